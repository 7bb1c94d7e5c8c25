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
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmdet3d.models.detectors.base import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from torch import Tensor, nn

from ..view_transforms.depth_loss import depth_bce_loss


@MODELS.register_module()
class ImageDepthPretrainer(Base3DDetector):
    """Image backbone + neck + a small depth-bin head, trained on projected LiDAR depth.

    Step: images (B, N, 3, H, W) -> backbone -> neck (level ``img_neck_out_index``, stride
    ``downsample``) -> 3x3 conv-BN-ReLU -> 1x1 conv to D bins -> softmax -> BEVDepth BCE against
    the nearest LiDAR depth of every ``downsample`` x ``downsample`` patch
    (``data_sample.gt_depth``, from ``MultiViewDepthFromLiDAR``).

    Args:
        img_backbone (dict): Image backbone (the student's, e.g. ``mmdet.ResNet``).
        img_neck (dict): Image neck (the student's, e.g. ``mmdet.FPN``).
        depth_cfg (Sequence[float]): ``[d_min, d_max, step]`` depth bins (the student's
            ``grid_config['depth']``).
        in_channels (int): Channels of the neck level.
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
                 depth_cfg: Sequence[float],
                 in_channels: int,
                 mid_channels: int = 128,
                 downsample: int = 16,
                 img_neck_out_index: int = 0,
                 loss_weight: float = 3.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        d_min, d_max, step = (float(v) for v in depth_cfg)
        num_bins = int(round((d_max - d_min) / step))
        if num_bins <= 0:
            raise ValueError(f'depth_cfg {list(depth_cfg)} gives no depth bin; use '
                             f'[d_min, d_max, step] with d_max > d_min')
        self.img_backbone = MODELS.build(img_backbone)
        self.img_neck = MODELS.build(img_neck)
        self.depth_head = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, num_bins, 1))
        self.depth_cfg = [d_min, d_max, step]
        self.downsample = int(downsample)
        self.img_neck_out_index = img_neck_out_index
        self.loss_weight = loss_weight

    def extract_feat(self, batch_inputs_dict: dict) -> Tensor:
        """Depth-bin probabilities (B*N, D, H/downsample, W/downsample) of every view."""
        imgs = batch_inputs_dict['imgs']
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        x = self.img_neck(self.img_backbone(imgs.flatten(0, 1)))
        if isinstance(x, (list, tuple)):
            x = x[self.img_neck_out_index]
        return self.depth_head(x).softmax(dim=1)

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """``loss_depth``: BEVDepth BCE, mean over supervised feature pixels."""
        if not all(hasattr(s, 'gt_depth') for s in batch_data_samples):
            raise KeyError('ImageDepthPretrainer needs data_sample.gt_depth: add '
                           'MultiViewDepthFromLiDAR to the pipeline and pack gt_depth with '
                           'PackMultiViewDet3DInputs(keys=[..., "gt_depth"]).')
        probs = self.extract_feat(batch_inputs_dict)
        gt_depth = torch.cat([torch.as_tensor(s.gt_depth, dtype=torch.float32)
                              for s in batch_data_samples]).to(probs.device)
        return dict(loss_depth=depth_bce_loss(probs, gt_depth, self.depth_cfg,
                                              (self.downsample, self.downsample),
                                              self.loss_weight))

    def predict(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[Det3DDataSample]:
        """Expected depth (N, h, w) in metres of every view, as ``data_sample.pred_depth``."""
        probs = self.extract_feat(batch_inputs_dict)
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
        return self.extract_feat(batch_inputs_dict)
