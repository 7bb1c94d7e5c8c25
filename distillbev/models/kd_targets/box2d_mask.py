# Copyright (c) distillbev contributors. All rights reserved.
"""Image-plane GT masks of MonoDistill (Chong et al., "MonoDistill: Learning Spatial Features for
Monocular 3D Object Detection", ICLR 2022): 2D-box masks at the backbone strides (object-level
feature distillation) and the 2D-centre windows of the head response distillation."""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmdet3d.models.utils import gaussian_radius
from mmdet3d.registry import MODELS
from mmdet3d.structures import points_cam2img
from torch import Tensor, nn

from ..dense_heads.monodle_coder import encode_heading, wrap_angle

Shape = Tuple[int, int]


def _as_boxes(boxes: Any, device: Optional[torch.device] = None) -> Tensor:
    if boxes is None:
        return torch.zeros((0, 4), device=device)
    t = boxes.tensor if hasattr(boxes, 'tensor') else torch.as_tensor(boxes)
    return t.float().reshape(-1, t.shape[-1] if t.numel() else 4)[:, :4]


def _keep(n: int, labels: Any, class_ids: Optional[Sequence[int]], device) -> Tensor:
    keep = torch.ones(n, dtype=torch.bool, device=device)
    if class_ids is not None:
        if labels is None:
            raise ValueError('class_ids needs gt_labels (2D) / gt_labels_3d')
        lab = torch.as_tensor(labels, device=device).long().reshape(-1)
        keep = torch.zeros_like(keep)
        for c in class_ids:
            keep |= lab == int(c)
    return keep


def project_boxes_3d(boxes_3d: Any, cam2img: Any, img_hw: Optional[Shape] = None) -> Tensor:
    """2D boxes (x1, y1, x2, y2) enclosing the projected corners of camera 3D boxes.

    Args:
        boxes_3d (CameraInstance3DBoxes): (M,) boxes in the camera frame (in front of it).
        cam2img (array-like): (3|4, 3|4) projection.
        img_hw (tuple, optional): clip to the image (H, W).

    Returns:
        Tensor: (M, 4) float32.
    """
    if len(boxes_3d) == 0:
        return torch.zeros((0, 4))
    corners = boxes_3d.corners.float()  # (M, 8, 3)
    uv = points_cam2img(corners.reshape(-1, 3), torch.as_tensor(cam2img, dtype=torch.float32))
    uv = uv.reshape(-1, 8, 2)
    boxes = torch.cat([uv.amin(1), uv.amax(1)], 1)
    if img_hw is not None:
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, img_hw[1])
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, img_hw[0])
    return boxes


def _level_shapes(shape: Any, strides: Sequence[int], metas: Optional[Sequence[dict]]
                  ) -> List[Shape]:
    if shape is not None:
        shapes = [shape] if isinstance(shape[0], int) else list(shape)
        if len(shapes) != len(strides):
            raise ValueError(f'{len(shapes)} shapes for {len(strides)} strides')
        return [tuple(int(v) for v in s) for s in shapes]
    if not metas:
        raise ValueError('give shape=[(H, W), ...] (e.g. "student.backbone.3.hw") or metas with '
                         'pad_shape / img_shape')
    h, w = metas[0].get('pad_shape', metas[0].get('img_shape'))[:2]
    return [(-(-int(h) // s), -(-int(w) // s)) for s in strides]


@MODELS.register_module()
class Box2DMask(nn.Module):
    """Binary masks of 2D GT boxes on feature maps of given strides (no parameters).

    A cell ``(i, j)`` of a stride-``s`` map is foreground when it holds a pixel of a box:
    ``floor(y1 / s) <= i <= floor(y2 / s)`` and ``floor(x1 / s) <= j <= floor(x2 / s)`` (the
    official code's truncation of the box coordinates divided by the stride, end inclusive).
    MonoDistill uses every labelled box (all classes) at strides 8, 16, 32.

    Args:
        strides (Sequence[int]): one mask per stride. Defaults to (8, 16, 32).
        source (str): ``'2d'`` (``gt_bboxes``, the default) or ``'3d'`` (the 2D hull of the
            projected corners of ``gt_bboxes_3d`` with each sample's ``cam2img``).
        class_ids (Sequence[int], optional): keep only these labels. Defaults to None (all).
    """

    def __init__(self, strides: Sequence[int] = (8, 16, 32), source: str = '2d',
                 class_ids: Optional[Sequence[int]] = None) -> None:
        super().__init__()
        if source not in ('2d', '3d'):
            raise ValueError(f"Box2DMask source must be '2d' or '3d'; got {source!r}")
        self.strides = [int(s) for s in strides]
        self.source, self.class_ids = source, class_ids

    def boxes(self, gt_bboxes, gt_labels, gt_bboxes_3d, gt_labels_3d, metas) -> List[Tensor]:
        """Per sample the (M, 4) image boxes (network-input pixels) after the class filter."""
        out = []
        num = len(gt_bboxes_3d if self.source == '3d' else gt_bboxes)
        for b in range(num):
            if self.source == '3d':
                meta = metas[b]
                boxes = project_boxes_3d(gt_bboxes_3d[b], meta['cam2img'],
                                         meta.get('img_shape'))
                labels = None if gt_labels_3d is None else gt_labels_3d[b]
            else:
                boxes = _as_boxes(gt_bboxes[b])
                labels = None if gt_labels is None else gt_labels[b]
            out.append(boxes[_keep(len(boxes), labels, self.class_ids, boxes.device)])
        return out

    def forward(self, gt_bboxes: Optional[Sequence[Any]] = None,
                gt_labels: Optional[Sequence[Any]] = None,
                gt_bboxes_3d: Optional[Sequence[Any]] = None,
                gt_labels_3d: Optional[Sequence[Any]] = None,
                metas: Optional[Sequence[dict]] = None,
                shape: Optional[Any] = None) -> Union[Tensor, List[Tensor]]:
        """Masks of a batch.

        Args:
            gt_bboxes (list): per sample (M, 4) 2D boxes in network-input pixels.
            gt_labels (list, optional): per sample (M,) labels (with ``class_ids``).
            gt_bboxes_3d (list, optional): per sample CameraInstance3DBoxes (``source='3d'``).
            gt_labels_3d (list, optional): their labels.
            metas (list[dict], optional): ``cam2img`` (source '3d') and ``pad_shape`` (when
                ``shape`` is not given).
            shape (tuple | list, optional): (H, W) per stride.

        Returns:
            list[Tensor]: (B, 1, H_l, W_l) float32 0/1 masks, one per stride (a tensor if one
            stride).
        """
        shapes = _level_shapes(shape, self.strides, metas)
        boxes = self.boxes(gt_bboxes, gt_labels, gt_bboxes_3d, gt_labels_3d, metas)
        outs = []
        for (h, w), s in zip(shapes, self.strides):
            masks = []
            for bx in boxes:
                m = torch.zeros((h, w), dtype=torch.float32, device=bx.device)
                cells = torch.floor(bx / s).long()
                for x1, y1, x2, y2 in cells.tolist():
                    m[max(y1, 0):max(y2 + 1, 0), max(x1, 0):max(x2 + 1, 0)] = 1.0
                masks.append(m)
            outs.append(torch.stack(masks)[:, None])
        return outs[0] if len(outs) == 1 else outs


@MODELS.register_module()
class Center2DWindow(nn.Module):
    """MonoDistill's response-distillation mask: a square window around each 2D-box centre.

    For each kept box (``class_ids``; camera depth in ``depth_range`` when ``gt_bboxes_3d`` is
    given), ``r = gaussian_radius((h, w) / stride, min_overlap)`` and the
    ``(2 floor(r) + 1)^2`` cells around ``floor(centre / stride)`` are set (the official
    thresholded Gaussian fills exactly this square). Also returns the K object slots at the
    heatmap cells (``centers_2d``, i.e. projected 3D centres, when given, else the 2D-box
    centres) for the heading KL: ``indices`` (B, K) ``y W + x``, ``valid`` (B, K) and, with
    ``gt_bboxes_3d``, ``heading_bin`` (B, K): the bin of the observation angle
    ``yaw - atan2(x, z)`` (MonoDLE's multi-bin encoding; 0 on empty slots).

    Args:
        stride (int): head stride. Defaults to 4.
        min_overlap (float): Defaults to 0.7.
        class_ids (Sequence[int], optional): MonoDistill: Car only. Defaults to None (all).
        depth_range (tuple): Defaults to (2.0, 65.0).
        max_objs (int): K. Defaults to 50.
        num_bins (int): heading bins. Defaults to 12.
    """

    def __init__(self, stride: int = 4, min_overlap: float = 0.7,
                 class_ids: Optional[Sequence[int]] = None,
                 depth_range: Tuple[float, float] = (2.0, 65.0), max_objs: int = 50,
                 num_bins: int = 12) -> None:
        super().__init__()
        self.num_bins = int(num_bins)
        self.stride, self.min_overlap, self.class_ids = int(stride), float(min_overlap), class_ids
        self.depth_range, self.max_objs = tuple(depth_range), int(max_objs)

    def forward(self, gt_bboxes: Sequence[Any], gt_labels: Optional[Sequence[Any]] = None,
                gt_bboxes_3d: Optional[Sequence[Any]] = None,
                centers_2d: Optional[Sequence[Any]] = None,
                shape: Optional[Shape] = None,
                metas: Optional[Sequence[dict]] = None) -> Dict[str, Tensor]:
        """Windows and object slots of a batch.

        Args:
            gt_bboxes (list): per sample (M, 4) 2D boxes in network-input pixels.
            gt_labels (list, optional): per sample (M,) labels (with ``class_ids``).
            gt_bboxes_3d (list, optional): per sample CameraInstance3DBoxes, same order (depth
                filter and heading bins).
            centers_2d (list, optional): per sample (M, 2) projected 3D centres (input pixels).
            shape (tuple, optional): (H, W) of the head maps; else from ``metas``.
            metas (list[dict], optional): ``pad_shape`` when ``shape`` is not given.

        Returns:
            dict: ``mask`` (B, 1, H, W) float32, ``indices`` (B, K) long, ``valid`` (B, K)
            bool, ``heading_bin`` (B, K) long.
        """
        h, w = _level_shapes(shape, [self.stride], metas)[0]
        masks, inds, valids, bins = [], [], [], []
        for b, raw in enumerate(gt_bboxes):
            bx = _as_boxes(raw)
            dev = bx.device
            keep = _keep(len(bx), None if gt_labels is None else gt_labels[b], self.class_ids,
                         dev)
            hbin = torch.zeros(len(bx), dtype=torch.long, device=dev)
            if gt_bboxes_3d is not None and len(bx):
                ctr3d = gt_bboxes_3d[b].gravity_center.float().to(dev)
                z = ctr3d[:, 2]
                keep &= (z >= self.depth_range[0]) & (z <= self.depth_range[1])
                yaw = gt_bboxes_3d[b].tensor[:, 6].float().to(dev)
                hbin = encode_heading(wrap_angle(yaw - torch.atan2(ctr3d[:, 0], z)),
                                      self.num_bins)[0]
            slot_bin = torch.zeros(self.max_objs, dtype=torch.long, device=dev)
            m = torch.zeros((h, w), dtype=torch.float32, device=dev)
            ind = torch.zeros(self.max_objs, dtype=torch.long, device=dev)
            val = torch.zeros(self.max_objs, dtype=torch.bool, device=dev)
            ctr = (bx[:, :2] + bx[:, 2:]) / 2
            peak = ctr if centers_2d is None else torch.as_tensor(centers_2d[b]).float().to(dev)
            k = 0
            for i in torch.nonzero(keep).flatten().tolist():
                size = (bx[i, 2:] - bx[i, :2]) / self.stride
                r = max(0, int(gaussian_radius((size[1], size[0]), self.min_overlap)))
                cx, cy = (torch.floor(ctr[i] / self.stride)).long().tolist()
                m[max(cy - r, 0):max(cy + r + 1, 0), max(cx - r, 0):max(cx + r + 1, 0)] = 1.0
                px, py = torch.floor(peak[i] / self.stride).long().tolist()
                if k < self.max_objs and 0 <= px < w and 0 <= py < h:
                    ind[k], val[k], slot_bin[k] = py * w + px, True, hbin[i]
                    k += 1
            masks.append(m)
            inds.append(ind)
            valids.append(val)
            bins.append(slot_bin)
        return dict(mask=torch.stack(masks)[:, None], indices=torch.stack(inds),
                    valid=torch.stack(valids), heading_bin=torch.stack(bins))
