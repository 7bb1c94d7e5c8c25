# Copyright (c) distillbev contributors. All rights reserved.
"""MonoMMKD's depth-distribution branch on a monocular student (reconstructed)."""
from typing import Sequence, Union

from mmdet3d.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class DepthDistributionBranch(BaseModule):
    """Per-location depth-bin logits from the student's stride-4 map.

    MonoMMKD ("Modal Mimicking Knowledge Distillation for Monocular 3D Detection", 2025; no code
    released) adds a depth-estimation branch to the student whose per-pixel depth distribution
    is supervised by LiDAR depth discretised with Road Plane Discretization (RPD) — the
    "modal mimicking" part; see :class:`~distillbev.models.kd_targets.RPDDepthBins`. What is
    the paper's: a branch predicting a distribution over discrete depth bins, trained against
    one-hot LiDAR bin targets. What is ours (the paper gives no architecture): the branch is a
    MonoDLE-style head branch (3x3 conv ``feat_channels`` + ReLU + 1x1 conv to ``num_bins``) on
    the same stride-4 neck map as the detection branches; the logits are raw (softmax in the
    losses), zero-initialised last layer (uniform distribution at the start) and are never used
    by the detector's decoding, so attaching the branch changes no prediction.

    Attach it to ``MonoDLEHead`` as an extra output key::

        bbox_head=dict(type='MonoDLEHead', ...,
                       extra_branches=dict(depth_dist=dict(type='DepthDistributionBranch',
                                                           in_channels=64, num_bins=80)))

    The head's ``forward`` dict then has ``depth_dist`` (B, num_bins, H/4, W/4); distiller taps
    read it as ``student.heads.depth_dist``.

    Args:
        in_channels (int): channels of the input map. Defaults to 64 (DLA neck).
        num_bins (int): depth bins. Defaults to 80.
        feat_channels (int): hidden width. Defaults to 256.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self, in_channels: int = 64, num_bins: int = 80, feat_channels: int = 256,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_bins = int(num_bins)
        self.branch = nn.Sequential(
            nn.Conv2d(in_channels, feat_channels, 3, padding=1, bias=True), nn.ReLU(inplace=True),
            nn.Conv2d(feat_channels, self.num_bins, 1, bias=True))

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.normal_(self.branch[0].weight, std=0.001)
        nn.init.zeros_(self.branch[0].bias)
        nn.init.zeros_(self.branch[-1].weight)
        nn.init.zeros_(self.branch[-1].bias)

    def forward(self, x: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Args: x (Tensor | list[Tensor]): (B, C, H, W) (or a list: its last map).
        Returns: Tensor: (B, num_bins, H, W) depth-bin logits."""
        if isinstance(x, (list, tuple)):
            x = x[-1]
        return self.branch(x)
