# Copyright (c) distillbev contributors. All rights reserved.
"""MonoMMKD's modal-mimicking loss: the student's depth distribution against RPD LiDAR bins."""
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import no_autocast, synced_count, zero_like_loss


@MODELS.register_module()
class DepthMimicLoss(nn.Module):
    """Cross-entropy of depth-bin logits against one-hot RPD targets, mean over target cells.

    MonoMMKD (2025; no code released): the paper's "mimicking loss" compares the student
    branch's per-pixel depth distribution with the one-hot Road-Plane-Discretized LiDAR depth
    (the figure's "distribution discrepancy"). Ours: cross-entropy (= KL to the one-hot
    distribution), averaged over the cells that have a target (``bins >= 0``; DDP-averaged
    count when ``sync_normalizer``); 0 (connected to the graph) when no cell has one.

        ``L = loss_weight * sum_{b,h,w valid} -log softmax(logits)[bin] / max(1, N_valid)``

    Args:
        sync_normalizer (bool): DDP-averaged count. Defaults to True.
        loss_weight (float): Defaults to 1.0 (MonoMMKD's weight is not public).
    """

    def __init__(self, sync_normalizer: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.sync_normalizer, self.loss_weight = sync_normalizer, float(loss_weight)

    def forward(self, depth_logits: Tensor, bins: Tensor) -> Tensor:
        """Args:
            depth_logits (Tensor): (B, D, h, w) raw logits.
            bins (Tensor): (B, h, w) long targets (``RPDDepthBins``; -1 = none).

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        if depth_logits.shape[0] != bins.shape[0] or depth_logits.shape[-2:] != bins.shape[-2:]:
            raise ValueError(f'depth logits {tuple(depth_logits.shape)} and bins '
                             f'{tuple(bins.shape)} differ; draw the targets at the branch size')
        with no_autocast(depth_logits):
            logits = depth_logits.float()
            if int(bins.max()) >= logits.shape[1]:
                raise ValueError(f'bin {int(bins.max())} >= {logits.shape[1]} logits: the '
                                 f'branch and RPDDepthBins must have the same num_bins')
            valid = bins >= 0
            ce = F.cross_entropy(logits, bins.clamp(min=0).long(), reduction='none')
            count = synced_count(valid.sum().float(), self.sync_normalizer)
            if not valid.any():
                return zero_like_loss([logits]) * self.loss_weight
            loss = (ce * valid).sum() / count.clamp(min=1.0)
        return loss * self.loss_weight
