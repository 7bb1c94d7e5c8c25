# Copyright (c) distillbev contributors. All rights reserved.
"""Depth supervision of a lift-splat camera student from sparse LiDAR depth (BEVDepth).

BEVDepth (Li et al., AAAI 2023, "BEVDepth: Acquisition of Reliable Depth for Multi-view 3D
Object Detection"): the LiDAR depth image is reduced to the feature stride by taking the nearest
(minimum positive) depth in each patch, binned into a one-hot target over the depth bins, and the
predicted depth distribution is trained with binary cross-entropy on the pixels that have a
target. CaDDN / CMKD (KITTI): the same patch targets binned with linear-increasing bins plus an
out-of-range class, trained with a softmax focal loss (:func:`depth_focal_loss`).
"""
from typing import Mapping, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .lid import lid_index, lid_params


def downsample_gt_depth(gt_depth: Tensor, feat_size: Tuple[int, int],
                        stride: Tuple[int, int]) -> Tensor:
    """Minimum positive depth of every ``stride`` patch (0 where the patch has no depth).

    The depth image is zero-padded (or cropped) to ``(h * stride_h, w * stride_w)`` first, so
    feature maps of padded images (``pad_size_divisor``) line up with their top-left corner.

    Args:
        gt_depth (Tensor): (M, H, W) sparse depth in metres, 0 (or negative) = no measurement.
        feat_size (tuple): ``(h, w)`` of the feature map.
        stride (tuple): ``(stride_h, stride_w)`` integer pixels per feature cell.

    Returns:
        Tensor: (M, h, w) float32 depth, 0 where the patch holds no positive depth.
    """
    (h, w), (sh, sw) = feat_size, (int(stride[0]), int(stride[1]))
    depth = gt_depth.float()
    height, width = h * sh, w * sw
    depth = depth[:, :height, :width]
    depth = F.pad(depth, (0, width - depth.shape[2], 0, height - depth.shape[1]))
    depth = torch.where(depth > 0, depth, torch.full_like(depth, float('inf')))
    depth = depth.view(-1, h, sh, w, sw).amin(dim=(2, 4))
    return torch.where(torch.isinf(depth), torch.zeros_like(depth), depth)


def depth_to_onehot(depth: Tensor, depth_cfg: Sequence[float]) -> Tuple[Tensor, Tensor]:
    """One-hot depth-bin targets, BEVDet/BEVDepth binning.

    Bin ``k`` covers ``[d_min + k * step, d_min + (k + 1) * step)`` (its frustum plane is the
    lower edge ``d_min + k * step``). Depths outside ``[d_min, d_min + D * step)`` and empty
    pixels (depth <= 0) get no target.

    Args:
        depth (Tensor): (...) depth in metres, 0 = none.
        depth_cfg (sequence): ``[d_min, d_max, step]``.

    Returns:
        tuple: ``onehot`` (..., D) float32 and ``valid`` (...) bool.
    """
    d_min, d_max, step = (float(v) for v in depth_cfg)
    num_bins = int(round((d_max - d_min) / step))
    index = torch.floor((depth.double() - d_min) / step).long()
    valid = (depth > 0) & (index >= 0) & (index < num_bins)
    onehot = F.one_hot(index.clamp(0, num_bins - 1), num_bins).float()
    onehot = onehot * valid.unsqueeze(-1).float()
    return onehot, valid


def depth_bce_loss(depth_probs: Tensor, gt_depth: Tensor, depth_cfg: Sequence[float],
                   stride: Tuple[int, int], loss_weight: float = 3.0) -> Tensor:
    """BEVDepth depth loss.

    ``loss = loss_weight * sum_{valid pixels} sum_k BCE(p_k, t_k) / max(1, #valid pixels)``
    (sum over bins, mean over supervised feature pixels), computed in fp32 with autocast off.
    Finite (0) when no pixel has a target.

    Args:
        depth_probs (Tensor): (M, D, h, w) predicted depth distribution (softmax over D),
            M = B * N.
        gt_depth (Tensor): (M, H, W) sparse LiDAR depth in the augmented image (0 = none).
        depth_cfg (sequence): ``[d_min, d_max, step]``.
        stride (tuple): integer ``(stride_h, stride_w)`` of the feature map.
        loss_weight (float): weight (BEVDepth: 3.0).

    Returns:
        Tensor: scalar loss.
    """
    num_bins, h, w = depth_probs.shape[1:]
    target_depth = downsample_gt_depth(gt_depth.to(depth_probs.device), (h, w), stride)
    onehot, valid = depth_to_onehot(target_depth, depth_cfg)
    if onehot.shape[-1] != num_bins:
        raise ValueError(f'depth_probs has {num_bins} bins but depth_cfg {list(depth_cfg)} '
                         f'gives {onehot.shape[-1]}.')
    with torch.autocast(device_type=depth_probs.device.type, enabled=False):
        preds = depth_probs.float().permute(0, 2, 3, 1)[valid]
        targets = onehot[valid]
        loss = F.binary_cross_entropy(preds, targets, reduction='none').sum()
        loss = loss / valid.sum().clamp(min=1).float()
    return loss * loss_weight


def depth_focal_loss(depth_probs: Tensor, gt_depth: Tensor, depth_cfg: Mapping,
                     stride: Tuple[int, int], alpha: float = 0.25, gamma: float = 2.0,
                     loss_weight: float = 1.0, eps: float = 1e-8) -> Tensor:
    """CaDDN's depth loss (``DDNLoss``, kept by CMKD): softmax focal loss over LID classes.

    Targets: the LiDAR depth image reduced to the feature stride by :func:`downsample_gt_depth`
    (nearest return per patch), binned by :func:`~.lid.lid_index` with ``target=True``: bins
    ``0 .. D-1``, and class ``D`` for returns outside ``[d_min, d_max)``. Per supervised pixel
    ``FL = -alpha (1 - p_t)^gamma log p_t`` (kornia's ``focal_loss``: ``alpha`` on every class),
    ``loss = loss_weight * mean over the pixels with a LiDAR return``. CaDDN averages over every
    pixel of a densified depth map; the sparse LiDAR targets here leave pixels without a return
    unsupervised instead. fp32, autocast off; 0 (finite) when no pixel has a return.

    Args:
        depth_probs (Tensor): (M, D + 1, h, w) softmax over the D bins and the out-of-range class.
        gt_depth (Tensor): (M, H, W) sparse LiDAR depth of the augmented image (0 = none).
        depth_cfg (dict): ``dict(mode='LID', min=, max=, num_bins=D)``.
        stride (tuple): integer ``(stride_h, stride_w)`` of the feature map.
        alpha (float): CaDDN / CMKD: 0.25. gamma (float): 2.0.
        loss_weight (float): CMKD: 0.5 (SECOND / CenterPoint teachers) or 1.0 (PointPillars).
        eps (float): floor of the probabilities inside the log.

    Returns:
        Tensor: scalar loss.
    """
    d_min, d_max, num_bins = lid_params(depth_cfg)
    if depth_probs.shape[1] != num_bins + 1:
        raise ValueError(f'depth_probs has {depth_probs.shape[1]} classes but the LID config '
                         f'{dict(depth_cfg)} gives {num_bins} bins + 1 out-of-range class.')
    h, w = depth_probs.shape[-2:]
    target_depth = downsample_gt_depth(gt_depth.to(depth_probs.device), (h, w), stride)
    valid = target_depth > 0
    target = lid_index(target_depth, d_min, d_max, num_bins, target=True)
    with torch.autocast(device_type=depth_probs.device.type, enabled=False):
        probs = depth_probs.float().permute(0, 2, 3, 1)[valid]  # (P, D + 1)
        p_t = probs.gather(1, target[valid].unsqueeze(1)).squeeze(1).clamp(min=eps)
        focal = -alpha * (1 - p_t).pow(gamma) * torch.log(p_t)
        loss = focal.sum() / valid.sum().clamp(min=1).float()
    return loss * loss_weight
