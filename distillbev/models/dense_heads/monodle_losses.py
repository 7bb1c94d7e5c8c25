# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLE's detection loss terms (Ma et al., "Delving into Localization Errors for Monocular 3D
Object Detection", CVPR 2021), written from the formulas; each is a mean over its objects."""
import math

import torch
from torch import Tensor


def heatmap_focal_loss(prob: Tensor, target: Tensor, alpha: float = 2.0,
                       gamma: float = 4.0) -> Tensor:
    """CornerNet / CenterNet penalty-reduced focal loss, normalised by the peaks.

    ``L = -1/max(1, N_pos) * sum [ (1-p)^alpha log p             where y = 1
                                   (1-y)^gamma p^alpha log(1-p)  otherwise ]``

    Args:
        prob (Tensor): (B, C, H, W) probabilities (MonoDLE clamps them to [1e-4, 1 - 1e-4]).
        target (Tensor): (B, C, H, W) Gaussian targets, 1 at object cells.

    Returns:
        Tensor: scalar.
    """
    pos = target.eq(1).float()
    pos_loss = torch.log(prob) * (1 - prob) ** alpha * pos
    neg_loss = torch.log(1 - prob) * prob ** alpha * (1 - target) ** gamma * (1 - pos)
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1.0)


def laplacian_aleatoric_loss(pred: Tensor, target: Tensor, log_variance: Tensor) -> Tensor:
    """MonoDLE's depth loss: ``mean( sqrt(2) exp(-log_var) |pred - target| + log_var )``.

    This is the negative log-likelihood of a Laplace distribution with scale
    ``b = exp(log_var) / sqrt(2)`` (up to a constant), so the network lowers ``log_var`` where
    its depth is reliable.

    Args:
        pred (Tensor): (N,) predicted depths (after ``1 / sigmoid(x) - 1``).
        target (Tensor): (N,) GT depths.
        log_variance (Tensor): (N,) predicted log-variance.

    Returns:
        Tensor: scalar (mean over the N objects).
    """
    return (math.sqrt(2.0) * torch.exp(-log_variance) * (pred - target).abs() +
            log_variance).mean()


def dimension_aware_l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """MonoDLE's dimension-aware L1 on 3D sizes.

    The error of every side is divided by the GT side (a relative error, so large and small
    objects weigh alike), then rescaled by the constant ``c = mean|p - t| / mean(|p - t| / t)``
    (no gradient) so that the value equals the plain L1 and only the gradient is reweighted:
    ``L = c * mean(|p - t| / t)``.

    Args:
        pred (Tensor): (N, 3) predicted sizes (mean size + residual).
        target (Tensor): (N, 3) GT sizes (positive).

    Returns:
        Tensor: scalar.
    """
    rel = (pred - target).abs() / target.detach()
    with torch.no_grad():
        comp = (pred - target).abs().mean() / rel.mean().clamp(min=1e-12)
    return rel.mean() * comp


def multibin_heading_loss(logits: Tensor, residuals: Tensor, bins: Tensor,
                          res: Tensor) -> Tensor:
    """Heading: cross-entropy over the bins + L1 on the residual of the GT bin (both means).

    Args:
        logits (Tensor): (N, num_bins) bin logits.
        residuals (Tensor): (N, num_bins) predicted residuals.
        bins (Tensor): (N,) GT bins (long).
        res (Tensor): (N,) GT residuals.

    Returns:
        Tensor: scalar.
    """
    cls = torch.nn.functional.cross_entropy(logits, bins, reduction='mean')
    reg = (residuals.gather(1, bins[:, None])[:, 0] - res).abs().mean()
    return cls + reg
