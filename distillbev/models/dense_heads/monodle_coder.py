# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLE's target encoding and box decoding (CenterNet3D on a stride-4 image map).

MonoDLE (Ma et al., "Delving into Localization Errors for Monocular 3D Object Detection",
CVPR 2021), the student of MonoDistill. Conventions (image pixels of the network input,
``s`` = the head's stride, ``(cx, cy)`` = the integer heatmap cell of an object):

- heatmap cell: ``floor(c3d / s)``, ``c3d`` = projection of the box's gravity centre
  (mmdet3d's ``centers_2d``); objects whose cell is outside the map are not targets;
- ``offset_2d = c2d / s - cell`` (``c2d`` = centre of the 2D box), ``size_2d = (w, h) / s``;
- ``offset_3d = c3d / s - cell``; ``depth`` = camera z of the gravity centre;
- ``size_3d`` = (l, h, w) minus the class mean size (mmdet3d's camera-box order);
- heading: the observation angle ``alpha = yaw - atan2(x, z)`` in ``num_bins`` bins with a
  residual to the bin centre (bin 0 is centred on 0).
"""
import math
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet3d.models.utils import draw_heatmap_gaussian, gaussian_radius
from mmdet3d.structures import CameraInstance3DBoxes, points_img2cam
from torch import Tensor


def wrap_angle(angle: Tensor) -> Tensor:
    """Angles wrapped to [-pi, pi)."""
    return torch.remainder(angle + math.pi, 2 * math.pi) - math.pi


def encode_heading(alpha: Tensor, num_bins: int = 12) -> Tuple[Tensor, Tensor]:
    """Multi-bin encoding: ``alpha`` -> (bin index (long), residual to the bin centre).

    Bin ``k`` covers ``[k a - a/2, k a + a/2)`` (mod 2 pi) with ``a = 2 pi / num_bins``; the
    residual lies in ``[-a/2, a/2)``.
    """
    step = 2 * math.pi / num_bins
    shifted = torch.remainder(alpha + step / 2, 2 * math.pi)
    bins = torch.div(shifted, step, rounding_mode='floor').long().clamp(max=num_bins - 1)
    res = shifted - bins.to(shifted.dtype) * step - step / 2
    return bins, res


def decode_heading(bins: Tensor, res: Tensor, num_bins: int = 12) -> Tensor:
    """Inverse of :func:`encode_heading`: the angle in [-pi, pi)."""
    return wrap_angle(bins.to(res.dtype) * (2 * math.pi / num_bins) + res)


def depth_from_logit(x: Tensor, eps: float = 1e-6) -> Tensor:
    """MonoDLE's depth transform ``1 / (sigmoid(x) + eps) - 1`` (metres)."""
    return 1.0 / (torch.sigmoid(x) + eps) - 1.0


def _mean_sizes(mean_sizes: Sequence[Sequence[float]], ref: Tensor) -> Tensor:
    return ref.new_tensor(mean_sizes, dtype=torch.float32).reshape(-1, 3)


def get_targets_single(gt_instances_3d, gt_instances, feat_hw: Tuple[int, int], stride: int,
                       num_classes: int, mean_sizes: Sequence[Sequence[float]],
                       max_objs: int = 50, num_bins: int = 12, min_depth: float = 2.0,
                       min_overlap: float = 0.7, crop: bool = False,
                       device: Optional[torch.device] = None) -> Dict[str, Tensor]:
    """Targets of one image.

    Args:
        gt_instances_3d (InstanceData): ``bboxes_3d`` (CameraInstance3DBoxes),
            ``labels_3d`` (M,), ``centers_2d`` (M, 2) input pixels.
        gt_instances (InstanceData): ``bboxes`` (M, 4) 2D boxes (x1, y1, x2, y2), same order.
        feat_hw (tuple): (H, W) of the head maps.
        stride (int): input pixels per map cell.
        num_classes (int): heatmap channels.
        mean_sizes (Sequence): (num_classes, 3) mean (l, h, w) per class.
        max_objs (int): object slots K (extra objects are dropped). Defaults to 50.
        num_bins (int): heading bins. Defaults to 12.
        min_depth (float): objects nearer than this are ignored (MonoDLE: 2 m).
        min_overlap (float): Gaussian radius overlap (CenterNet: 0.7).
        crop (bool): the image was randomly cropped: no 3D-offset target (MonoDLE).
        device (torch.device, optional): output device.

    Returns:
        dict: ``heatmap`` (C, H, W); per slot (K, ...): ``indices`` (long, y W + x), ``mask``
        (bool), ``mask_3d`` (bool), ``labels``, ``offset_2d`` (2), ``size_2d`` (2), ``depth``,
        ``offset_3d`` (2), ``size_3d`` (3, residual), ``dims`` (3), ``heading_bin`` (long),
        ``heading_res``.
    """
    h, w = feat_hw
    boxes = gt_instances_3d.bboxes_3d
    device = device or boxes.tensor.device
    f32 = dict(dtype=torch.float32, device=device)
    t = dict(heatmap=torch.zeros((num_classes, h, w), **f32),
             indices=torch.zeros(max_objs, dtype=torch.long, device=device),
             mask=torch.zeros(max_objs, dtype=torch.bool, device=device),
             mask_3d=torch.zeros(max_objs, dtype=torch.bool, device=device),
             labels=torch.zeros(max_objs, dtype=torch.long, device=device),
             offset_2d=torch.zeros((max_objs, 2), **f32), size_2d=torch.zeros((max_objs, 2), **f32),
             depth=torch.zeros(max_objs, **f32), offset_3d=torch.zeros((max_objs, 2), **f32),
             size_3d=torch.zeros((max_objs, 3), **f32), dims=torch.ones((max_objs, 3), **f32),
             heading_bin=torch.zeros(max_objs, dtype=torch.long, device=device),
             heading_res=torch.zeros(max_objs, **f32))
    if len(boxes) == 0:
        return t
    tensor = boxes.tensor.to(**f32)
    centre = boxes.gravity_center.to(**f32)
    labels = gt_instances_3d.labels_3d.to(device).long()
    c3d = torch.as_tensor(gt_instances_3d.centers_2d, **f32) / stride
    box2d = torch.as_tensor(gt_instances.bboxes, **f32) / stride
    cells = torch.floor(c3d).long()
    keep = (cells[:, 0] >= 0) & (cells[:, 0] < w) & (cells[:, 1] >= 0) & (cells[:, 1] < h) & \
        (centre[:, 2] >= min_depth) & (labels >= 0) & (labels < num_classes)
    idx = torch.nonzero(keep).flatten()[:max_objs]
    n = len(idx)
    if n == 0:
        return t
    cells, labels, c3d, box2d = cells[idx], labels[idx], c3d[idx], box2d[idx]
    centre, tensor = centre[idx], tensor[idx]
    size2d = torch.stack([box2d[:, 2] - box2d[:, 0], box2d[:, 3] - box2d[:, 1]], 1)
    c2d = (box2d[:, :2] + box2d[:, 2:]) / 2
    for i in range(n):
        radius = max(0, int(gaussian_radius((size2d[i, 1], size2d[i, 0]),
                                            min_overlap=min_overlap)))
        draw_heatmap_gaussian(t['heatmap'][labels[i]], cells[i], radius)
    alpha = wrap_angle(tensor[:, 6] - torch.atan2(centre[:, 0], centre[:, 2]))
    bins, res = encode_heading(alpha, num_bins)
    dims = tensor[:, 3:6]
    t['indices'][:n] = cells[:, 1] * w + cells[:, 0]
    t['mask'][:n] = True
    t['mask_3d'][:n] = not crop
    t['labels'][:n] = labels
    t['offset_2d'][:n] = c2d - cells.float()
    t['size_2d'][:n] = size2d
    t['depth'][:n] = centre[:, 2]
    t['offset_3d'][:n] = c3d - cells.float()
    t['size_3d'][:n] = dims - _mean_sizes(mean_sizes, dims)[labels]
    t['dims'][:n] = dims
    t['heading_bin'][:n] = bins
    t['heading_res'][:n] = res
    return t


def gather(feat: Tensor, indices: Tensor) -> Tensor:
    """(B, C, H, W) map, (B, K) flat indices -> (B, K, C)."""
    b, c = feat.shape[:2]
    flat = feat.reshape(b, c, -1).permute(0, 2, 1)
    return flat.gather(1, indices.unsqueeze(-1).expand(-1, -1, c))


def decode_single(preds: Dict[str, Tensor], cam2img: Tensor, stride: int,
                  mean_sizes: Sequence[Sequence[float]], topk: int = 50,
                  num_bins: int = 12, score_thr: float = 0.2,
                  depth_uncertainty_score: bool = False) -> Dict[str, Tensor]:
    """Top-K heatmap peaks of one image -> 3D boxes in its camera frame.

    Args:
        preds (dict): maps of ONE image, each (C, H, W): ``heatmap`` (logits), ``offset_2d``,
            ``size_2d``, ``depth`` (logit, log-variance), ``offset_3d``, ``size_3d``,
            ``heading`` (num_bins logits + num_bins residuals).
        cam2img (Tensor): (3|4, 3|4) projection of the network input image.
        stride (int): input pixels per cell.
        mean_sizes (Sequence): (num_classes, 3) mean (l, h, w).
        topk (int): peaks kept before the threshold. Defaults to 50.
        num_bins (int): heading bins. Defaults to 12.
        score_thr (float): minimum score. Defaults to 0.2 (MonoDLE).
        depth_uncertainty_score (bool): multiply the score by ``exp(-log_var)`` clamped to 1.

    Returns:
        dict: ``bboxes_3d`` (CameraInstance3DBoxes, bottom centre), ``scores_3d``,
        ``labels_3d``, ``bboxes`` (N, 4) 2D boxes in input pixels.
    """
    heat = torch.sigmoid(preds['heatmap'].float()).clamp(1e-4, 1 - 1e-4)[None]
    peaks = (heat == torch.nn.functional.max_pool2d(heat, 3, 1, 1)).float() * heat
    c, h, w = heat.shape[1:]
    scores, flat = peaks.reshape(-1).topk(min(topk, c * h * w))
    labels = torch.div(flat, h * w, rounding_mode='floor')
    inds = flat % (h * w)
    ys = torch.div(inds, w, rounding_mode='floor').float()
    xs = (inds % w).float()

    def at(name: str) -> Tensor:
        return gather(preds[name].float()[None], inds[None])[0]  # (K, C)

    off2d, size2d, off3d = at('offset_2d'), at('size_2d'), at('offset_3d')
    dep, size3d, head = at('depth'), at('size_3d'), at('heading')
    depth = depth_from_logit(dep[:, 0])
    if depth_uncertainty_score:
        scores = scores * torch.exp(-dep[:, 1]).clamp(max=1.0)
    cam = torch.as_tensor(cam2img, dtype=torch.float32, device=depth.device)
    p23 = cam[2, 3] if cam.shape[0] >= 3 and cam.shape[1] >= 4 else depth.new_zeros(())
    uvd = torch.stack([(xs + off3d[:, 0]) * stride, (ys + off3d[:, 1]) * stride, depth + p23], 1)
    centre = points_img2cam(uvd, cam)
    dims = size3d + _mean_sizes(mean_sizes, size3d)[labels]
    bins = head[:, :num_bins].argmax(1)
    res = head[:, num_bins:].gather(1, bins[:, None])[:, 0]
    alpha = decode_heading(bins, res, num_bins)
    yaw = wrap_angle(alpha + torch.atan2(centre[:, 0], centre[:, 2]))
    cx, cy = (xs + off2d[:, 0]) * stride, (ys + off2d[:, 1]) * stride
    bw, bh = size2d[:, 0] * stride, size2d[:, 1] * stride
    bboxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
    keep = scores >= score_thr
    boxes3d = CameraInstance3DBoxes(torch.cat([centre, dims, yaw[:, None]], 1)[keep],
                                    box_dim=7, origin=(0.5, 0.5, 0.5))
    return dict(bboxes_3d=boxes3d, scores_3d=scores[keep], labels_3d=labels[keep],
                bboxes=bboxes[keep])
