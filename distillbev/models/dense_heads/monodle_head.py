# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLE's CenterNet3D head (the MonoDistill student's head)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from .monodle_coder import decode_single, depth_from_logit, gather, get_targets_single
from .monodle_losses import (dimension_aware_l1_loss, heatmap_focal_loss,
                             laplacian_aleatoric_loss, multibin_heading_loss)

# KITTI mean sizes (l, h, w) of Pedestrian, Cyclist, Car (MonoDLE's class statistics, reordered
# to mmdet3d's camera-box order)
KITTI_MEAN_SIZES = ((0.8442, 1.7626, 0.6607), (1.7370, 1.7628, 0.5971), (3.5259, 1.5256, 1.6286))
LOSS_KEYS = ('heatmap', 'offset_2d', 'size_2d', 'depth', 'offset_3d', 'size_3d', 'heading')


@MODELS.register_module()
class MonoDLEHead(BaseModule):
    """CenterNet3D head of MonoDLE (Ma et al., "Delving into Localization Errors for Monocular
    3D Object Detection", CVPR 2021), as used by MonoDistill (Chong et al., ICLR 2022).

    Seven branches on the stride-4 neck map, each 3x3 conv (``feat_channels``) + ReLU + 1x1
    conv: ``heatmap`` (num_classes logits), ``offset_2d`` (2), ``size_2d`` (2), ``depth`` (2:
    depth logit, log-variance), ``offset_3d`` (2), ``size_3d`` (3, residual over the class mean
    size), ``heading`` (num_bins bin logits + num_bins residuals). ``forward`` returns them as a
    dict of raw maps (logits; nothing in place), which distiller taps read by key.

    Loss (targets: :func:`~.monodle_coder.get_targets_single`), every term a mean over its
    objects and weighted by ``loss_weights`` (MonoDLE/MonoDistill: all 1, fixed: the
    hierarchical task learning of MonoDLE's successor GUPNet is not used):

    - heatmap: CenterNet focal loss on ``clamp(sigmoid(x), 1e-4, 1 - 1e-4)``, / #peaks;
    - offset_2d, size_2d: L1 (all objects); offset_3d: L1 (objects of uncropped images);
    - depth: Laplacian aleatoric uncertainty ``sqrt(2) exp(-s) |d - d*| + s`` with
      ``d = 1 / sigmoid(x) - 1``;
    - size_3d: dimension-aware L1; heading: bin cross-entropy + residual L1 at the GT bin.

    Images with no object give zero terms connected to the graph.

    Args:
        num_classes (int): heatmap classes. Defaults to 3.
        in_channels (int): neck channels. Defaults to 64.
        feat_channels (int): branch width. Defaults to 256.
        stride (int): input pixels per map cell. Defaults to 4.
        num_bins (int): heading bins. Defaults to 12.
        mean_sizes (Sequence): (num_classes, 3) mean (l, h, w); defaults to KITTI's
            Pedestrian, Cyclist, Car.
        max_objs (int): object slots per image. Defaults to 50.
        min_depth (float): nearer objects are no targets. Defaults to 2.0.
        loss_weights (dict, optional): weight per term (keys in ``LOSS_KEYS``); default 1.
        extra_branches (dict, optional): ``key -> module cfg`` of extra output maps computed
            from the same neck map and added to ``forward``'s dict under ``key`` (e.g. MonoMMKD's
            ``depth_dist=dict(type='DepthDistributionBranch', ...)``); they have no detection
            loss and no part in decoding (distillation losses read them). Defaults to None.
        test_cfg (dict, optional): ``topk`` (50), ``score_thr`` (0.2),
            ``depth_uncertainty_score`` (False).
    """

    def __init__(self, num_classes: int = 3, in_channels: int = 64, feat_channels: int = 256,
                 stride: int = 4, num_bins: int = 12,
                 mean_sizes: Sequence[Sequence[float]] = KITTI_MEAN_SIZES, max_objs: int = 50,
                 min_depth: float = 2.0, loss_weights: Optional[Dict[str, float]] = None,
                 extra_branches: Optional[Dict[str, dict]] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(mean_sizes) != num_classes:
            raise ValueError(f'MonoDLEHead: mean_sizes has {len(mean_sizes)} rows but '
                             f'num_classes={num_classes}; give one (l, h, w) per class')
        unknown = set(loss_weights or {}) - set(LOSS_KEYS)
        if unknown:
            raise ValueError(f'MonoDLEHead: unknown loss_weights {sorted(unknown)}; '
                             f'keys are {LOSS_KEYS}')
        self.num_classes, self.stride, self.num_bins = num_classes, stride, num_bins
        self.mean_sizes = [list(map(float, m)) for m in mean_sizes]
        self.max_objs, self.min_depth = max_objs, min_depth
        self.loss_weights = {k: 1.0 for k in LOSS_KEYS}
        self.loss_weights.update(loss_weights or {})
        self.test_cfg = dict(topk=50, score_thr=0.2, depth_uncertainty_score=False)
        unknown = set(test_cfg or {}) - set(self.test_cfg)
        if unknown:
            raise ValueError(f'MonoDLEHead: unknown test_cfg keys {sorted(unknown)}; '
                             f'keys are {sorted(self.test_cfg)}')
        self.test_cfg.update(test_cfg or {})
        channels = dict(heatmap=num_classes, offset_2d=2, size_2d=2, depth=2, offset_3d=2,
                        size_3d=3, heading=2 * num_bins)
        self.branches = nn.ModuleDict({
            name: nn.Sequential(
                nn.Conv2d(in_channels, feat_channels, 3, padding=1, bias=True),
                nn.ReLU(inplace=True), nn.Conv2d(feat_channels, out, 1, bias=True))
            for name, out in channels.items()})
        clash = set(extra_branches or {}) & set(channels)
        if clash:
            raise ValueError(f'MonoDLEHead: extra_branches {sorted(clash)} clash with the '
                             f'detection branches; pick other keys')
        self.extra_branches = nn.ModuleDict(
            {k: MODELS.build(cfg) for k, cfg in (extra_branches or {}).items()})

    def init_weights(self) -> None:
        """CenterNet init: heatmap bias -2.19 (prior 0.1); other branches N(0, 0.001), bias 0."""
        super().init_weights()
        for name, branch in self.branches.items():
            for m in branch.modules():
                if isinstance(m, nn.Conv2d) and name != 'heatmap':
                    nn.init.normal_(m.weight, std=0.001)
                    nn.init.zeros_(m.bias)
            if name == 'heatmap':
                nn.init.constant_(branch[-1].bias, -2.19)
        for branch in self.extra_branches.values():  # (a ModuleDict: not reached by mmengine)
            if hasattr(branch, 'init_weights'):
                branch.init_weights()

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Dict[str, Tensor]:
        """Args: x (Tensor | list[Tensor]): the stride-4 neck map (B, C, H, W) (or a one-element
        list, DLANeck's output). Returns: dict[str, Tensor]: the raw branch maps (B, *, H, W)."""
        if isinstance(x, (list, tuple)):
            x = x[-1]
        out = {name: branch(x) for name, branch in self.branches.items()}
        out.update({name: branch(x) for name, branch in self.extra_branches.items()})
        return out

    def get_targets(self, batch_data_samples: Sequence, feat_hw: Tuple[int, int],
                    device: torch.device) -> Dict[str, Tensor]:
        """Stacked targets of a batch (see :func:`get_targets_single`)."""
        per = [get_targets_single(
            s.gt_instances_3d, s.gt_instances, feat_hw, self.stride, self.num_classes,
            self.mean_sizes, self.max_objs, self.num_bins, self.min_depth,
            crop=bool(s.metainfo.get('mono_crop', False)), device=device)
            for s in batch_data_samples]
        return {k: torch.stack([p[k] for p in per]) for k in per[0]}

    def loss(self, x: Union[Tensor, Sequence[Tensor]],
             batch_data_samples: Sequence) -> Dict[str, Tensor]:
        """Forward and the detection losses (dict of scalars, already weighted)."""
        return self.loss_by_feat(self(x), batch_data_samples)

    def loss_by_feat(self, preds: Dict[str, Tensor],
                     batch_data_samples: Sequence) -> Dict[str, Tensor]:
        """Losses from the branch maps (see the class docstring)."""
        preds = {k: v.float() for k, v in preds.items() if k in self.branches}
        t = self.get_targets(batch_data_samples, preds['heatmap'].shape[-2:],
                             preds['heatmap'].device)
        zero = sum(p.sum() for p in preds.values()) * 0.0
        prob = torch.sigmoid(preds['heatmap']).clamp(1e-4, 1 - 1e-4)
        losses = dict(heatmap=heatmap_focal_loss(prob, t['heatmap']))
        mask, mask_3d = t['mask'], t['mask'] & t['mask_3d']
        g = {k: gather(v, t['indices']) for k, v in preds.items() if k != 'heatmap'}

        def sel(name: str, m: Tensor = mask) -> Tensor:
            return g[name][m]

        def l1(name: str, m: Tensor = mask) -> Tensor:
            return (sel(name, m) - t[name][m]).abs().mean() if m.any() else zero

        losses['offset_2d'] = l1('offset_2d')
        losses['size_2d'] = l1('size_2d')
        losses['offset_3d'] = l1('offset_3d', mask_3d)
        if mask.any():
            dep = sel('depth')
            losses['depth'] = laplacian_aleatoric_loss(depth_from_logit(dep[:, 0]),
                                                       t['depth'][mask], dep[:, 1])
            mean = preds['size_3d'].new_tensor(self.mean_sizes)[t['labels'][mask]]
            losses['size_3d'] = dimension_aware_l1_loss(sel('size_3d') + mean, t['dims'][mask])
            head = sel('heading')
            losses['heading'] = multibin_heading_loss(
                head[:, :self.num_bins], head[:, self.num_bins:], t['heading_bin'][mask],
                t['heading_res'][mask])
        else:
            losses.update(depth=zero, size_3d=zero, heading=zero)
        return {f'loss_{k}': losses[k] * self.loss_weights[k] for k in LOSS_KEYS}

    def predict(self, x: Union[Tensor, Sequence[Tensor]], batch_data_samples: Sequence,
                rescale: bool = True) -> List[InstanceData]:
        """Decode boxes (see :func:`decode_single`) for every image of the batch."""
        return self.predict_by_feat(self(x), [s.metainfo for s in batch_data_samples])

    def predict_by_feat(self, preds: Dict[str, Tensor],
                        batch_img_metas: Sequence[dict]) -> List[InstanceData]:
        """Per image an ``InstanceData`` with ``bboxes_3d`` (CameraInstance3DBoxes in the
        image's camera frame), ``scores_3d``, ``labels_3d`` and ``bboxes`` (2D, input pixels)."""
        results = []
        for i, meta in enumerate(batch_img_metas):
            if 'cam2img' not in meta:
                raise KeyError('MonoDLEHead.predict needs cam2img in the metainfo: keep '
                               "'cam2img' in Pack3DDetInputs' meta_keys")
            out = decode_single({k: v[i] for k, v in preds.items()}, meta['cam2img'],
                                self.stride, self.mean_sizes, num_bins=self.num_bins,
                                **self.test_cfg)
            res = InstanceData()
            for k, v in out.items():
                res[k] = v
            results.append(res)
        return results
