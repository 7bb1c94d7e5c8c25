# Copyright (c) distillbev contributors. All rights reserved.
"""CMKD's monocular BEV student on KITTI: CaDDN-style depth lifting onto a LiDAR teacher's grid.

CMKD (Hong et al., ECCV 2022, "Cross-Modality Knowledge Distillation Network for Monocular 3D
Object Detection"), KITTI form: a CaDDN image branch (Reading et al., CVPR 2021) turns the left
colour image into a BEV map on the LiDAR teacher's grid, and a BEV backbone, neck and anchor head
that are *the teacher's architecture* turn it into boxes, so that the teacher's BEV backbone,
neck and head weights can be copied into the student and its BEV features and head outputs
distilled cell for cell.

Written for mmdet3d 1.x; the BEV half uses mmdet3d's own ``SECOND`` / ``SECONDFPN`` /
``Anchor3DHead`` under the names of mmdet3d's ``VoxelNet`` (``backbone``, ``neck``,
``bbox_head``): with the PointPillars KITTI teacher, ``inherit_from_teacher=['backbone', 'neck',
'bbox_head']`` copies them, and the student's ``bev_compressor`` output stands where the
teacher's ``middle_encoder`` (PointPillarsScatter) output stands.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import ConfigDict
from torch import Tensor

from mmdet3d.models.detectors.base import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from .bevdet import camera_params


@MODELS.register_module()
class CMKDMonoBEV(Base3DDetector):
    """Mono camera -> LID depth lift-splat -> z collapse -> teacher-architecture BEV detector.

    Data flow and module paths (taps, ``inherit_from_teacher``):

    - ``img_backbone`` (e.g. ``mmdet.ResNet``), ``img_neck`` (e.g. ``mmdet.FPN``; the level
      ``img_neck_out_index`` feeds the view transformer: CaDDN uses stride 8);
    - ``img_view_transformer`` (:class:`LIDDepthViewTransformer`): output ``(bev, depth)``,
      bev (B, C * nz, Y, X) on the teacher's voxel grid (KITTI camera: ``cam2img`` = P2,
      ``lidar2cam`` = ``R0_rect @ Tr_velo_to_cam``, plus ``img_aug_matrix`` and
      ``lidar_aug_matrix`` from the metainfo), depth (B, D + 1, h, w) probabilities;
    - ``bev_compressor`` (:class:`Conv2DCollapse`): (B, C_teacher, Y, X), CMKD's distilled level
      (the map the teacher's BEV backbone reads: PointPillars' scatter output);
    - ``backbone`` (``SECOND``), ``neck`` (``SECONDFPN``), ``bbox_head`` (``Anchor3DHead``): the
      teacher's, same configs.

    Losses: the anchor head's GT losses times ``det_loss_weight`` (0 skips them and only runs
    the head, CMKD's KITTI distillation, where the teacher's responses replace the labels),
    plus ``loss_depth`` of the view transformer from ``data_sample.gt_depth`` (1, H, W)
    (``MultiViewDepthFromLiDAR`` after the image augmentation). Predictions: LiDAR boxes in
    ``pred_instances_3d``, evaluated by the stock ``KittiMetric``.

    Args:
        img_backbone, img_neck, img_view_transformer, bev_compressor, backbone, neck,
            bbox_head (dict): module configs.
        img_neck_out_index (int): neck output fed to the view transformer. Defaults to 0.
        det_loss_weight (float): weight of the head's GT losses. Defaults to 1.0.
        with_depth_loss (bool): add ``loss_depth``. Defaults to True.
        train_cfg, test_cfg (dict, optional): the anchor head's (as ``VoxelNet``).
        data_preprocessor (dict, optional): ``Det3DDataPreprocessor`` config.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 img_backbone: dict,
                 img_neck: dict,
                 img_view_transformer: dict,
                 bev_compressor: dict,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 img_neck_out_index: int = 0,
                 det_loss_weight: float = 1.0,
                 with_depth_loss: bool = True,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.img_backbone = MODELS.build(img_backbone)
        self.img_neck = MODELS.build(img_neck)
        self.img_view_transformer = MODELS.build(img_view_transformer)
        self.bev_compressor = MODELS.build(bev_compressor)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        # Anchor3DHead reads its configs by attribute (train_cfg.assigner)
        train_cfg = None if train_cfg is None else ConfigDict(train_cfg)
        test_cfg = None if test_cfg is None else ConfigDict(test_cfg)
        bbox_head = dict(bbox_head)
        bbox_head.update(train_cfg=train_cfg, test_cfg=test_cfg)
        self.bbox_head = MODELS.build(bbox_head)
        self.img_neck_out_index = img_neck_out_index
        self.det_loss_weight = float(det_loss_weight)
        self.with_depth_loss = with_depth_loss
        self.train_cfg, self.test_cfg = train_cfg, test_cfg

    def extract_bev(self, batch_inputs_dict: dict,
                    batch_input_metas: List[dict]) -> Dict[str, Union[Tensor, Tuple]]:
        """Camera branch up to the BEV neck.

        Returns:
            dict: ``lifted`` (B, C * nz, Y, X), ``bev`` (B, C_teacher, Y, X), ``depth``
            (B, D + 1, h, w), ``feats`` (the neck's list, what the head takes), ``img_shape``.
        """
        imgs = batch_inputs_dict['imgs']
        if imgs.dim() == 4:  # (B, 3, H, W): one camera
            imgs = imgs.unsqueeze(1)
        batch, num_views = imgs.shape[:2]
        x = self.img_neck(self.img_backbone(imgs.flatten(0, 1)))
        if isinstance(x, (list, tuple)):
            x = x[self.img_neck_out_index]
        x = x.view(batch, num_views, *x.shape[1:])
        cams = camera_params(batch_input_metas, num_views, imgs.device)
        img_shape = tuple(imgs.shape[-2:])
        lifted, depth = self.img_view_transformer(x, cams, img_shape=img_shape)
        bev = self.bev_compressor(lifted)
        feats = self.neck(self.backbone(bev))
        return dict(lifted=lifted, bev=bev, depth=depth, feats=feats, img_shape=img_shape)

    def extract_feat(self, batch_inputs_dict: dict,
                     batch_input_metas: Optional[List[dict]] = None) -> List[Tensor]:
        """The neck's output (a list with one (B, C, Y', X') map)."""
        return self.extract_bev(batch_inputs_dict, batch_input_metas or [])['feats']

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """``loss_cls``, ``loss_bbox``, ``loss_dir`` (unless ``det_loss_weight == 0``) and
        ``loss_depth``."""
        metas = [sample.metainfo for sample in batch_data_samples]
        out = self.extract_bev(batch_inputs_dict, metas)
        losses: Dict[str, Tensor] = {}
        if self.det_loss_weight > 0:
            det = self.bbox_head.loss(out['feats'], batch_data_samples, **kwargs)
            for key, value in det.items():
                if self.det_loss_weight != 1.0 and 'loss' in key:
                    value = ([v * self.det_loss_weight for v in value]
                             if isinstance(value, (list, tuple)) else value * self.det_loss_weight)
                losses[key] = value
        else:  # the head still runs: its outputs are what response distillation reads
            self.bbox_head(out['feats'])
        if self.with_depth_loss:
            if not all(hasattr(sample, 'gt_depth') for sample in batch_data_samples):
                raise KeyError('CMKDMonoBEV needs data_sample.gt_depth: add '
                               'MultiViewDepthFromLiDAR after the augmentations and pack it with '
                               'PackMultiViewDet3DInputs (or set with_depth_loss=False).')
            gt_depth = torch.stack([
                torch.as_tensor(sample.gt_depth, dtype=torch.float32)
                for sample in batch_data_samples
            ]).to(out['depth'].device)
            losses['loss_depth'] = self.img_view_transformer.loss_depth(
                out['depth'], gt_depth, img_shape=out['img_shape'])
        return losses

    def predict(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[Det3DDataSample]:
        """LiDAR boxes in ``pred_instances_3d`` (``bboxes_3d``, ``scores_3d``, ``labels_3d``)."""
        metas = [sample.metainfo for sample in batch_data_samples]
        feats = self.extract_feat(batch_inputs_dict, metas)
        results = self.bbox_head.predict(feats, batch_data_samples, **kwargs)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _forward(self, batch_inputs_dict: dict,
                 batch_data_samples: Optional[List[Det3DDataSample]] = None, **kwargs):
        """Raw anchor-head outputs ``(cls_scores, bbox_preds, dir_cls_preds)``."""
        metas = [sample.metainfo for sample in (batch_data_samples or [])]
        return self.bbox_head(self.extract_feat(batch_inputs_dict, metas))
