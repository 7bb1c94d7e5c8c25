# Copyright (c) distillbev contributors. All rights reserved.
"""Base of the KD losses computed per GT box at its BEV keypoints (UniDistill)."""
from typing import Optional, Tuple

from torch import Tensor, nn

from .utils import check_layout, check_same_shape, keypoint_box_loss


class KeypointBoxLoss(nn.Module):
    """Per-box loss at box keypoints, averaged over the valid boxes.

    Subclasses define :meth:`per_box`, the (B, M) loss of every box slot; the base checks the
    inputs, averages over the N valid boxes (N averaged over DDP ranks with ``sync_normalizer``,
    clamped to 1e-4, so 0 without boxes; see ``losses.utils.keypoint_box_loss``), computes in
    float32 and multiplies by ``loss_weight``.

    Args:
        criterion (str): one of the subclass's ``criteria``.
        align_corners (bool): ``grid_sample`` option; must match ``BoxKeypoints``.
        layout (str): ``'yx'`` for (B, C, Y, X) maps (mmdet3d, distillbev), ``'xy'`` for
            (B, C, X, Y) maps.
        sync_normalizer (bool): average the box count over DDP ranks.
        loss_weight (float, optional): multiplier of the result; None: the subclass's
            ``default_loss_weight`` (its paper's weight).
    """

    criteria: Tuple[str, ...] = ('l1', 'mse')
    default_loss_weight = 1.0

    def __init__(self, criterion: str = 'l1', align_corners: bool = False, layout: str = 'yx',
                 sync_normalizer: bool = True, loss_weight: Optional[float] = None) -> None:
        super().__init__()
        if criterion not in self.criteria:
            raise ValueError(f'{type(self).__name__}: criterion must be one of {self.criteria}; '
                             f'got {criterion!r}')
        check_layout(layout)
        self.criterion = criterion
        self.align_corners = align_corners
        self.layout = layout
        self.sync_normalizer = sync_normalizer
        self.loss_weight = float(self.default_loss_weight if loss_weight is None else loss_weight)

    def per_box(self, s_feat: Tensor, t_feat: Tensor, keypoints: Tensor) -> Tensor:
        """(B, M) float32 loss of every box slot (the teacher is detached by the caller)."""
        raise NotImplementedError

    def forward(self,
                s_feat: Tensor,
                t_feat: Tensor,
                keypoints: Tensor,
                valid: Optional[Tensor] = None) -> Tensor:
        """Loss of a batch.

        Args:
            s_feat (Tensor): (B, C, Y, X) student BEV features.
            t_feat (Tensor): (B, C, Y, X) teacher BEV features.
            keypoints (Tensor): (B, M, P, 2) normalised (x, y) sampling points.
            valid (Tensor, optional): (B, M) bool; all True if None.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        check_same_shape(s_feat, t_feat, type(self).__name__)
        loss = keypoint_box_loss(s_feat, keypoints, valid,
                                 lambda: self.per_box(s_feat, t_feat.detach(), keypoints),
                                 self.sync_normalizer)
        return loss * self.loss_weight


__all__ = ['KeypointBoxLoss']
