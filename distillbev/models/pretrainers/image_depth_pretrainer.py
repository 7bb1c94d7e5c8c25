# Copyright (c) distillbev contributors. All rights reserved.
"""Depth pre-training of a camera student's image encoder on LiDAR depth (no boxes).

Where no ImageNet weights can be downloaded, a camera student starts from a random image
backbone and has to learn to see and to lift at once. This model trains the student's image
backbone and neck, under the same module names (``img_backbone``, ``img_neck``), to predict the
per-pixel depth distribution over the lift-splat depth bins, supervised by the projected LiDAR
(BEVDepth's binary cross-entropy, :func:`depth_bce_loss`). It uses the training split's images
and LiDAR only: no box, no validation or test data. A student then starts from it with
``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='img_backbone.')`` (and
``prefix='img_neck.'``) in its backbone and neck configs.

Given the student's ``img_view_transformer`` (a :class:`BEVDepthViewTransformer`), the depth
head is that view transformer's camera-aware depth net instead of a small conv head, trained
with the student's own depth loss, and a BEVDepth student also loads
``prefix='img_view_transformer.'``: it starts with a working depth estimate, so its detection
schedule is spent on the BEV encoder and head.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmdet3d.models.detectors.base import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from torch import Tensor, nn

from ..students.bevdet import camera_params
from ..view_transforms.depth_loss import depth_bce_loss


@MODELS.register_module()
class ImageDepthPretrainer(Base3DDetector):
    """Image backbone + neck + a depth-bin head, trained on projected LiDAR depth.

    Step: images (B, N, 3, H, W) -> backbone -> neck (level ``img_neck_out_index``, stride
    ``downsample``) -> depth head -> softmax over D bins -> BEVDepth BCE against the nearest
    LiDAR depth of every ``downsample`` x ``downsample`` patch (``data_sample.gt_depth``, from
    ``MultiViewDepthFromLiDAR``). The depth head is either a 3x3 conv-BN-ReLU + 1x1 conv
    (``depth_cfg``, ``in_channels``) or, with ``img_view_transformer``, the student's
    camera-aware depth net (its context channels get no gradient).

    Args:
        img_backbone (dict): Image backbone (the student's, e.g. ``mmdet.ResNet``).
        img_neck (dict): Image neck (the student's, e.g. ``mmdet.FPN``).
        depth_cfg (Sequence[float], optional): ``[d_min, d_max, step]`` depth bins of the conv
            head (the student's ``grid_config['depth']``). Not with ``img_view_transformer``.
        in_channels (int, optional): Channels of the neck level (conv head).
        img_view_transformer (dict, optional): the BEVDepth student's view transformer config;
            replaces the conv head (its depth bins, loss weight and stride are used).
        mid_channels (int): Channels of the head's hidden layer. Defaults to 128.
        downsample (int): Stride of the neck level. Defaults to 16.
        img_neck_out_index (int): Neck output used. Defaults to 0.
        loss_weight (float): Weight of the depth loss. Defaults to 3.0 (BEVDepth).
        data_preprocessor (dict, optional): ``Det3DDataPreprocessor`` config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 img_backbone: dict,
                 img_neck: dict,
                 depth_cfg: Optional[Sequence[float]] = None,
                 in_channels: Optional[int] = None,
                 img_view_transformer: Optional[dict] = None,
                 mid_channels: int = 128,
                 downsample: int = 16,
                 img_neck_out_index: int = 0,
                 loss_weight: float = 3.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.img_backbone = MODELS.build(img_backbone)
        self.img_neck = MODELS.build(img_neck)
        self.downsample = int(downsample)
        self.img_neck_out_index = img_neck_out_index
        self.loss_weight = loss_weight
        if img_view_transformer is not None:
            if depth_cfg is not None or in_channels is not None:
                raise ValueError('ImageDepthPretrainer: give either img_view_transformer (the '
                                 'student\'s depth net) or depth_cfg + in_channels (a conv head),'
                                 ' not both')
            self.img_view_transformer = MODELS.build(img_view_transformer)
            if not hasattr(self.img_view_transformer, 'loss_depth'):
                raise TypeError(f'{type(self.img_view_transformer).__name__} has no depth loss: '
                                f'img_view_transformer must be a BEVDepthViewTransformer')
            self.depth_cfg = list(self.img_view_transformer.grid_config['depth'])
            return
        if depth_cfg is None or in_channels is None:
            raise ValueError('ImageDepthPretrainer needs depth_cfg and in_channels (conv head) '
                             'or img_view_transformer (the student\'s depth net)')
        d_min, d_max, step = (float(v) for v in depth_cfg)
        num_bins = int(round((d_max - d_min) / step))
        if num_bins <= 0:
            raise ValueError(f'depth_cfg {list(depth_cfg)} gives no depth bin; use '
                             f'[d_min, d_max, step] with d_max > d_min')
        self.depth_head = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, num_bins, 1))
        self.depth_cfg = [d_min, d_max, step]

    def extract_feat(self, batch_inputs_dict: dict,
                     batch_input_metas: Optional[List[dict]] = None) -> Tensor:
        """Depth-bin probabilities (B*N, D, H/downsample, W/downsample) of every view."""
        imgs = batch_inputs_dict['imgs']
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        x = self.img_neck(self.img_backbone(imgs.flatten(0, 1)))
        if isinstance(x, (list, tuple)):
            x = x[self.img_neck_out_index]
        if not hasattr(self, 'img_view_transformer'):
            return self.depth_head(x).softmax(dim=1)
        vt = self.img_view_transformer
        cams = camera_params(batch_input_metas, imgs.shape[1], imgs.device)
        return vt.depth_and_context(x, cams)[:, :vt.depth_channels].float().softmax(dim=1)

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """``loss_depth``: BEVDepth BCE, mean over supervised feature pixels."""
        if not all(hasattr(s, 'gt_depth') for s in batch_data_samples):
            raise KeyError('ImageDepthPretrainer needs data_sample.gt_depth: add '
                           'MultiViewDepthFromLiDAR to the pipeline and pack gt_depth with '
                           'PackMultiViewDet3DInputs(keys=[..., "gt_depth"]).')
        probs = self.extract_feat(batch_inputs_dict, [s.metainfo for s in batch_data_samples])
        gt_depth = torch.cat([torch.as_tensor(s.gt_depth, dtype=torch.float32)
                              for s in batch_data_samples]).to(probs.device)
        if hasattr(self, 'img_view_transformer'):
            img_shape = tuple(batch_inputs_dict['imgs'].shape[-2:])
            return dict(loss_depth=self.img_view_transformer.loss_depth(probs, gt_depth,
                                                                        img_shape=img_shape))
        return dict(loss_depth=depth_bce_loss(probs, gt_depth, self.depth_cfg,
                                              (self.downsample, self.downsample),
                                              self.loss_weight))

    def predict(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[Det3DDataSample]:
        """Expected depth (N, h, w) in metres of every view, as ``data_sample.pred_depth``."""
        probs = self.extract_feat(batch_inputs_dict, [s.metainfo for s in batch_data_samples])
        d_min, _, step = self.depth_cfg
        centres = d_min + step * (torch.arange(probs.shape[1], device=probs.device) + 0.5)
        depth = (probs * centres.view(1, -1, 1, 1)).sum(dim=1)
        depth = depth.view(len(batch_data_samples), -1, *depth.shape[-2:])
        for sample, d in zip(batch_data_samples, depth):
            sample.pred_depth = d
        return batch_data_samples

    def _forward(self, batch_inputs_dict: dict,
                 batch_data_samples: Optional[List[Det3DDataSample]] = None, **kwargs) -> Tensor:
        """Depth-bin probabilities (B*N, D, h, w)."""
        return self.extract_feat(batch_inputs_dict,
                                 [s.metainfo for s in batch_data_samples or []])
