# Copyright (c) distillbev contributors. All rights reserved.
"""BEVDet and BEVDepth multi-view camera detectors on mmdet3d 1.x, in the LiDAR frame.

BEVDet: Huang et al., 2021, "BEVDet: High-performance Multi-camera 3D Object Detection in
Bird-Eye-View". BEVDepth: Li et al., AAAI 2023, "BEVDepth: Acquisition of Reliable Depth for
Multi-view 3D Object Detection". Written for mmdet3d 1.x from the papers; the BEV plane is the
(augmented) LiDAR frame, so the BEV maps line up cell for cell with mmdet3d LiDAR detectors
(CenterPoint, PointPillars) on the same grid.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from mmdet3d.models.detectors.base import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from ...utils.geometry import pad_to_4x4


def _stack_meta(metas: Sequence[dict], key: str, device: torch.device,
                default: Optional[Tensor] = None) -> Tensor:
    """Stack one geometry entry of the batch metainfo into a float32 tensor on ``device``."""
    values = []
    for meta in metas:
        value = meta.get(key)
        if value is None:
            if default is None:
                raise KeyError(
                    f'metainfo has no {key!r}: the camera students need the multi-view geometry '
                    f'(cam2img, cam2lidar or lidar2cam, img_aug_matrix, lidar_aug_matrix). '
                    f'Pack the data with distillbev PackMultiViewDet3DInputs (see '
                    f'distillbev.datasets.transforms).')
            value = default
        if isinstance(value, Tensor):
            value = value.detach().to(device=device, dtype=torch.float32)
        else:
            value = torch.as_tensor(np.asarray(value, dtype=np.float32), device=device)
        values.append(value)
    return torch.stack(values)


def camera_params(batch_input_metas: List[dict], num_views: int,
                  device: torch.device) -> Dict[str, Tensor]:
    """Geometry tensors for a view transformer from the metainfo (numpy or tensors).

    Args:
        batch_input_metas (list[dict]): per-sample metainfo with ``cam2img`` and ``cam2lidar``
            (or ``lidar2cam``), optionally ``img_aug_matrix`` and ``lidar_aug_matrix``.
        num_views (int): N, cameras per sample.
        device (torch.device): where the tensors go.

    Returns:
        dict: ``cam2img``, ``cam2lidar``, ``img_aug_matrix`` (B, N, 4, 4) and
        ``lidar_aug_matrix`` (B, 4, 4), float32 on ``device``. Missing augmentation
        matrices default to the identity; ``cam2lidar`` falls back to inv(``lidar2cam``).
    """
    eye_n = torch.eye(4).expand(num_views, 4, 4)
    cam2img = pad_to_4x4(_stack_meta(batch_input_metas, 'cam2img', device))
    if all('cam2lidar' in m for m in batch_input_metas):
        cam2lidar = _stack_meta(batch_input_metas, 'cam2lidar', device)
    else:
        lidar2cam = _stack_meta(batch_input_metas, 'lidar2cam', device)
        cam2lidar = torch.inverse(lidar2cam.double()).float()
    params = dict(
        cam2img=cam2img,
        cam2lidar=cam2lidar,
        img_aug_matrix=_stack_meta(batch_input_metas, 'img_aug_matrix', device, eye_n),
        lidar_aug_matrix=_stack_meta(batch_input_metas, 'lidar_aug_matrix', device,
                                     torch.eye(4)))
    for key in ('cam2img', 'cam2lidar', 'img_aug_matrix'):
        if params[key].shape[1] != num_views:
            raise ValueError(f'metainfo {key!r} has {params[key].shape[1]} views but the '
                             f'images have {num_views}.')
    return params


@MODELS.register_module()
class BEVDet(Base3DDetector):
    """BEVDet: image backbone/neck -> lift-splat view transformer -> BEV encoder -> CenterHead.

    Module paths (for distillation taps): ``img_backbone``, ``img_neck``,
    ``img_view_transformer`` (output ``(bev, depth)``: bev (B, C, Y, X), depth (B*N, D, h, w)),
    ``img_bev_encoder_backbone`` (tuple of (B, 2C, Y/2, X/2), (B, 4C, Y/4, X/4),
    (B, 8C, Y/8, X/8)), ``img_bev_encoder_neck`` ((B, 256, Y, X)), ``pts_bbox_head``
    (mmdet3d ``CenterHead``). All BEV maps are (B, C, Y, X): row = y, col = x, row 0 at y_min.

    Args:
        img_backbone (dict): image backbone, e.g. ``mmdet.ResNet`` with ``out_indices=(2, 3)``.
        img_neck (dict): image neck giving a stride-16 level, e.g. ``mmdet.FPN``.
        img_view_transformer (dict): e.g. :class:`LiftSplatViewTransformer`.
        img_bev_encoder_backbone (dict): e.g. :class:`BEVResNetBackbone`.
        img_bev_encoder_neck (dict): e.g. :class:`BEVLSSFPNNeck`.
        pts_bbox_head (dict): mmdet3d ``CenterHead`` (named like CenterPoint's head so that
            teacher and student heads have the same path).
        img_neck_out_index (int): which output of the image neck feeds the view transformer
            (default 0: the stride-16 level of an FPN over ResNet stages 3-4).
        train_cfg (dict, optional): ``dict(pts=...)`` as CenterPoint; given to the head.
        test_cfg (dict, optional): ``dict(pts=...)`` as CenterPoint; given to the head.
        data_preprocessor (dict, optional): ``Det3DDataPreprocessor`` config.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 img_backbone: dict,
                 img_neck: dict,
                 img_view_transformer: dict,
                 img_bev_encoder_backbone: dict,
                 img_bev_encoder_neck: dict,
                 pts_bbox_head: dict,
                 img_neck_out_index: int = 0,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.img_backbone = MODELS.build(img_backbone)
        self.img_neck = MODELS.build(img_neck)
        self.img_view_transformer = MODELS.build(img_view_transformer)
        self.img_bev_encoder_backbone = MODELS.build(img_bev_encoder_backbone)
        self.img_bev_encoder_neck = MODELS.build(img_bev_encoder_neck)
        pts_bbox_head = dict(pts_bbox_head)
        pts_bbox_head.update(train_cfg=train_cfg.get('pts') if train_cfg else None,
                             test_cfg=test_cfg.get('pts') if test_cfg else None)
        self.pts_bbox_head = MODELS.build(pts_bbox_head)
        self.img_neck_out_index = img_neck_out_index
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    @property
    def with_pts_bbox(self) -> bool:
        return True

    def extract_img_feat(self, imgs: Tensor) -> Tensor:
        """(B, N, 3, H, W) images -> (B, N, C, h, w) stride-16 features."""
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        batch, num_views = imgs.shape[:2]
        x = self.img_backbone(imgs.flatten(0, 1))
        x = self.img_neck(x)
        if isinstance(x, (list, tuple)):
            x = x[self.img_neck_out_index]
        return x.view(batch, num_views, *x.shape[1:])

    def get_cam_params(self, batch_input_metas: List[dict], num_views: int,
                       device: torch.device) -> Dict[str, Tensor]:
        """Geometry tensors for the view transformer (see :func:`camera_params`)."""
        return camera_params(batch_input_metas, num_views, device)

    def extract_bev(self, batch_inputs_dict: dict,
                    batch_input_metas: List[dict]) -> Dict[str, Union[Tensor, Tuple]]:
        """Run the camera branch up to the BEV neck.

        Returns:
            dict: ``bev`` (B, C, Y, X) view-transformer output, ``depth`` (B*N, D, h, w),
            ``bev_feats`` list with the (B, 256, Y, X) neck output, ``img_shape`` (H, W).
        """
        imgs = batch_inputs_dict['imgs']
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        img_feats = self.extract_img_feat(imgs)
        cam_params = self.get_cam_params(batch_input_metas, imgs.shape[1], imgs.device)
        img_shape = tuple(imgs.shape[-2:])
        bev, depth = self.img_view_transformer(img_feats, cam_params, img_shape=img_shape)
        neck = self.img_bev_encoder_neck(self.img_bev_encoder_backbone(bev))
        return dict(bev=bev, depth=depth, bev_feats=[neck], img_shape=img_shape)

    def extract_feat(self, batch_inputs_dict: dict,
                     batch_input_metas: List[dict]) -> List[Tensor]:
        """BEV neck features: a list with one (B, 256, Y, X) map (what CenterHead takes)."""
        return self.extract_bev(batch_inputs_dict, batch_input_metas)['bev_feats']

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """CenterHead losses (``task{i}.loss_heatmap``, ``task{i}.loss_bbox``)."""
        metas = [sample.metainfo for sample in batch_data_samples]
        out = self.extract_bev(batch_inputs_dict, metas)
        return self.pts_bbox_head.loss(out['bev_feats'], batch_data_samples, **kwargs)

    def predict(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[Det3DDataSample]:
        """Boxes in ``pred_instances_3d`` (``bboxes_3d``, ``scores_3d``, ``labels_3d``)."""
        metas = [sample.metainfo for sample in batch_data_samples]
        feats = self.extract_feat(batch_inputs_dict, metas)
        results = self.pts_bbox_head.predict(feats, batch_data_samples, **kwargs)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _forward(self, batch_inputs_dict: dict,
                 batch_data_samples: Optional[List[Det3DDataSample]] = None, **kwargs):
        """Raw CenterHead outputs (tuple over tasks of lists of dicts)."""
        metas = [sample.metainfo for sample in (batch_data_samples or [])]
        return self.pts_bbox_head(self.extract_feat(batch_inputs_dict, metas))


@MODELS.register_module()
class BEVDepth(BEVDet):
    """BEVDepth: BEVDet with a camera-aware depth net and LiDAR depth supervision.

    Same arguments and module paths as :class:`BEVDet`; ``img_view_transformer`` should be a
    :class:`BEVDepthViewTransformer`. ``loss()`` adds ``loss_depth`` computed from
    ``data_sample.gt_depth`` (N, H, W) (see ``MultiViewDepthFromLiDAR``).
    """

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """CenterHead losses plus ``loss_depth``."""
        if not all(hasattr(sample, 'gt_depth') for sample in batch_data_samples):
            raise KeyError('BEVDepth needs data_sample.gt_depth: add MultiViewDepthFromLiDAR to '
                           'the training pipeline and pack it with PackMultiViewDet3DInputs.')
        metas = [sample.metainfo for sample in batch_data_samples]
        out = self.extract_bev(batch_inputs_dict, metas)
        losses = self.pts_bbox_head.loss(out['bev_feats'], batch_data_samples, **kwargs)
        gt_depth = torch.stack([
            torch.as_tensor(sample.gt_depth, dtype=torch.float32)
            for sample in batch_data_samples
        ]).to(out['depth'].device)
        losses['loss_depth'] = self.img_view_transformer.loss_depth(
            out['depth'], gt_depth, img_shape=out['img_shape'])
        return losses
