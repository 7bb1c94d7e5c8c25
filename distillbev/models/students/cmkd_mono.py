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
teacher's ``middle_encoder`` (PointPillarsScatter) output stands. CMKD refines that map with a
"domain adaptation" neck (:class:`~distillbev.models.layers.SCNetBEVNeck`, ``bev_neck``) before
the BEV backbone and distils the neck's output.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import ConfigDict
from torch import Tensor, nn

from mmdet3d.models.detectors.base import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from .bevdet import camera_params


@MODELS.register_module()
class CMKDMonoBEV(Base3DDetector):
    """Mono camera -> LID depth lift-splat -> z collapse -> teacher-architecture BEV detector.

    Data flow and module paths (taps, ``inherit_from_teacher``):

    - ``img_backbone`` (e.g. ``mmdet.ResNet``; CMKD: DeepLabV3-R50's dilated ``layer3``),
      ``img_neck`` (e.g. ``mmdet.FPN``, or None: the backbone's outputs go straight on); the level
      ``img_neck_out_index`` feeds the view transformer (CaDDN uses stride 8);
    - ``img_view_transformer`` (:class:`LIDDepthViewTransformer`): output ``(bev, depth)``,
      bev (B, C * nz, Y, X) on the teacher's voxel grid (KITTI camera: ``cam2img`` = P2,
      ``lidar2cam`` = ``R0_rect @ Tr_velo_to_cam``, plus ``img_aug_matrix`` and
      ``lidar_aug_matrix`` from the metainfo), depth (B, D + 1, h, w) probabilities;
    - ``bev_compressor`` (:class:`Conv2DCollapse`): (B, C_teacher, Y, X);
    - ``bev_neck`` (e.g. :class:`SCNetBEVNeck`, CMKD's "domain adaptation"; ``nn.Identity`` when
      not configured): (B, C_teacher, Y, X), CMKD's distilled level (tap ``'bev_neck'``: the map
      the BEV backbone reads, against the teacher's PointPillars scatter output);
    - ``backbone`` (``SECOND``), ``neck`` (``SECONDFPN``), ``bbox_head`` (``Anchor3DHead``): the
      teacher's, same configs.

    Losses: the anchor head's GT losses times ``det_loss_weight`` (0 skips them and only runs
    the head, CMKD's KITTI distillation, where the teacher's responses replace the labels),
    plus ``loss_depth`` of the view transformer from ``data_sample.gt_depth`` (1, H, W)
    (``MultiViewDepthFromLiDAR`` after the image augmentation). With ``train_head=False``
    (CMKD's stage 1, ``*_bev.yaml``) :meth:`loss` stops at ``bev_neck``: the BEV backbone, neck
    and head do not run, return no loss and get no gradient (the distiller adds the BEV feature
    loss). Predictions always run the whole model: LiDAR boxes in ``pred_instances_3d``,
    evaluated by the stock ``KittiMetric``.

    Args:
        img_backbone, img_view_transformer, bev_compressor, backbone, neck,
            bbox_head (dict): module configs.
        img_neck (dict | None): image neck config; None passes the backbone's outputs on (the
            view transformer's 1x1 context conv is then CaDDN's 1024 -> 64 channel reduction).
        bev_neck (dict, optional): BEV map refinement between ``bev_compressor`` and
            ``backbone``, C, Y, X kept (CMKD: ``dict(type='SCNetBEVNeck', ...)``). Defaults to
            None (``nn.Identity``: the compressed map goes straight to the backbone).
        img_neck_out_index (int): output (of the neck, or of the backbone without a neck) fed
            to the view transformer. Defaults to 0.
        det_loss_weight (float): weight of the head's GT losses. Defaults to 1.0.
        with_depth_loss (bool): add ``loss_depth``. Defaults to True.
        train_head (bool): run the BEV backbone, neck and head in :meth:`loss`. False: CMKD's
            stage 1, the image branch alone (``det_loss_weight`` is then ignored; with
            ``with_depth_loss=False`` the student itself returns no loss). Defaults to True.
        train_cfg, test_cfg (dict, optional): the anchor head's (as ``VoxelNet``).
        data_preprocessor (dict, optional): ``Det3DDataPreprocessor`` config.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 img_backbone: dict,
                 img_neck: Optional[dict],
                 img_view_transformer: dict,
                 bev_compressor: dict,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 bev_neck: Optional[dict] = None,
                 img_neck_out_index: int = 0,
                 det_loss_weight: float = 1.0,
                 with_depth_loss: bool = True,
                 train_head: bool = True,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.img_backbone = MODELS.build(img_backbone)
        self.img_neck = None if img_neck is None else MODELS.build(img_neck)
        self.img_view_transformer = MODELS.build(img_view_transformer)
        self.bev_compressor = MODELS.build(bev_compressor)
        # always a module, so that the tap 'bev_neck' names the distilled level either way
        self.bev_neck = nn.Identity() if bev_neck is None else MODELS.build(bev_neck)
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
        self.train_head = bool(train_head)
        self.train_cfg, self.test_cfg = train_cfg, test_cfg

    def extract_bev(self, batch_inputs_dict: dict, batch_input_metas: List[dict],
                    with_bev_backbone: bool = True) -> Dict[str, Union[Tensor, Tuple, None]]:
        """Camera branch up to the BEV neck.

        Args:
            batch_inputs_dict (dict): ``imgs`` (B, 3, H, W) or (B, 1, 3, H, W).
            batch_input_metas (list[dict]): the samples' metainfo (camera geometry).
            with_bev_backbone (bool): run ``backbone`` and ``neck`` too. Defaults to True.

        Returns:
            dict: ``lifted`` (B, C * nz, Y, X), ``bev`` (B, C_teacher, Y, X: the ``bev_neck``
            output, the distilled level), ``depth`` (B, D + 1, h, w), ``feats`` (the neck's
            list, what the head takes; None without ``with_bev_backbone``), ``img_shape``.
        """
        imgs = batch_inputs_dict['imgs']
        if imgs.dim() == 4:  # (B, 3, H, W): one camera
            imgs = imgs.unsqueeze(1)
        batch, num_views = imgs.shape[:2]
        x = self.img_backbone(imgs.flatten(0, 1))
        if self.img_neck is not None:
            x = self.img_neck(x)
        if isinstance(x, (list, tuple)):
            x = x[self.img_neck_out_index]
        x = x.view(batch, num_views, *x.shape[1:])
        cams = camera_params(batch_input_metas, num_views, imgs.device)
        img_shape = tuple(imgs.shape[-2:])
        lifted, depth = self.img_view_transformer(x, cams, img_shape=img_shape)
        bev = self.bev_neck(self.bev_compressor(lifted))
        feats = self.neck(self.backbone(bev)) if with_bev_backbone else None
        return dict(lifted=lifted, bev=bev, depth=depth, feats=feats, img_shape=img_shape)

    def extract_feat(self, batch_inputs_dict: dict,
                     batch_input_metas: Optional[List[dict]] = None) -> List[Tensor]:
        """The neck's output (a list with one (B, C, Y', X') map)."""
        return self.extract_bev(batch_inputs_dict, batch_input_metas or [])['feats']

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """``loss_cls``, ``loss_bbox``, ``loss_dir`` (unless ``det_loss_weight == 0`` or
        ``train_head`` is False) and ``loss_depth``."""
        metas = [sample.metainfo for sample in batch_data_samples]
        out = self.extract_bev(batch_inputs_dict, metas, with_bev_backbone=self.train_head)
        losses: Dict[str, Tensor] = {}
        # train_head=False (CMKD stage 1): the BEV backbone, neck and head did not run
        if self.train_head and self.det_loss_weight > 0:
            det = self.bbox_head.loss(out['feats'], batch_data_samples, **kwargs)
            for key, value in det.items():
                if self.det_loss_weight != 1.0 and 'loss' in key:
                    value = ([v * self.det_loss_weight for v in value]
                             if isinstance(value, (list, tuple)) else value * self.det_loss_weight)
                losses[key] = value
        elif self.train_head:  # the head still runs: response distillation reads its outputs
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
