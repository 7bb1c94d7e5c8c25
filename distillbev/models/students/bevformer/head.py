# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer's set-prediction detection head on the BEV map (Hungarian matching, NMS-free).

Li et al., ECCV 2022 (BEVFormer), Sec. 3.5 / 4.2: 900 object queries decoded on the BEV
(:class:`BEVFormerDecoder`), per-layer classification and regression branches, one-to-one
Hungarian matching (focal cost 2.0 + normalised-box L1 cost 0.25, no IoU cost), sigmoid focal loss
(weight 2.0) and L1 loss (weight 0.25, code weights 1 x 8 and 0.2 for the velocity) on every
decoder layer, top-300 decoding without NMS.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.models.utils import multi_apply
from mmdet.utils import reduce_mean
from mmdet3d.registry import MODELS, TASK_UTILS
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
from mmengine.model import BaseModule, bias_init_with_prob
from mmengine.structures import InstanceData
from torch import Tensor, nn

from .decoder import BEVFormerDecoder, inverse_sigmoid

_ASSIGNER = dict(type='mmdet.HungarianAssigner', match_costs=[
    dict(type='mmdet.FocalLossCost', weight=2.0),
    dict(type='BBox3DL1MatchCost', weight=0.25)])


@MODELS.register_module()
class BEVFormerHead(BaseModule):
    """DETR-style 3D head: object queries -> decoder on the BEV -> boxes (LiDAR frame).

    Regression code per query (see ``bbox_coder``): ``(cx, cy, log dx, log dy, cz, log dz,
    sin, cos, vx, vy)``; ``cx, cy, cz`` are predicted as sigmoid offsets of the refined reference
    point and returned in metres over ``point_cloud_range``.

    Args:
        num_classes (int): classes. Defaults to 10.
        in_channels (int): C of the BEV map (= decoder width). Defaults to 256.
        num_query (int): object queries (published: 900).
        point_cloud_range (Sequence[float]): ``[x_min, y_min, z_min, x_max, y_max, z_max]``.
        decoder (dict, optional): :class:`BEVFormerDecoder` arguments.
        num_reg_fcs (int): hidden FC layers of the branches. Defaults to 2.
        code_size (int): regression code length. Defaults to 10.
        code_weights (Sequence[float], optional): per-entry L1 weights; default
            ``[1] * 8 + [0.2, 0.2]``.
        with_box_refine (bool): per-layer branches refine the references. Defaults to True.
        bbox_coder (dict, optional): ``NMSFreeBBox3DCoder`` config.
        loss_cls (dict, optional): default sigmoid focal loss (gamma 2, alpha 0.25, weight 2).
        loss_bbox (dict, optional): default ``mmdet.L1Loss`` weight 0.25.
        train_cfg (dict, optional): ``assigner`` (default mmdet ``HungarianAssigner`` with the
            published costs); BEV grid entries (``point_cloud_range``, ``voxel_size``,
            ``out_size_factor``) are kept for ``BEVGrid.from_detector``.
        test_cfg (dict, optional): unused (decoding settings live in ``bbox_coder``).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 256, num_query: int = 900,
                 point_cloud_range: Sequence[float] = (-51.2, -51.2, -5.0, 51.2, 51.2, 3.0),
                 decoder: Optional[dict] = None, num_reg_fcs: int = 2, code_size: int = 10,
                 code_weights: Optional[Sequence[float]] = None, with_box_refine: bool = True,
                 bbox_coder: Optional[dict] = None, loss_cls: Optional[dict] = None,
                 loss_bbox: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes, self.num_query, self.code_size = num_classes, num_query, code_size
        self.embed_dims = in_channels
        self.pc_range = [float(v) for v in point_cloud_range]
        self.train_cfg, self.test_cfg = train_cfg, test_cfg
        self.with_box_refine = with_box_refine
        weights = code_weights if code_weights is not None else [1.0] * 8 + [0.2, 0.2]
        self.register_buffer('code_weights', torch.tensor(weights, dtype=torch.float32),
                             persistent=False)
        dec = dict(decoder or {})
        dec.setdefault('layer_cfg', {})['embed_dims'] = in_channels
        self.decoder = BEVFormerDecoder(**dec)
        self.query_embedding = nn.Embedding(num_query, 2 * in_channels)
        self.reference_points = nn.Linear(in_channels, 3)
        cls, reg = [], []
        for _ in range(num_reg_fcs):
            cls += [nn.Linear(in_channels, in_channels), nn.LayerNorm(in_channels),
                    nn.ReLU(inplace=True)]
            reg += [nn.Linear(in_channels, in_channels), nn.ReLU()]
        cls_branch = nn.Sequential(*cls, nn.Linear(in_channels, num_classes))
        reg_branch = nn.Sequential(*reg, nn.Linear(in_channels, code_size))
        n = self.decoder.num_layers
        if with_box_refine:
            self.cls_branches = nn.ModuleList([copy.deepcopy(cls_branch) for _ in range(n)])
            self.reg_branches = nn.ModuleList([copy.deepcopy(reg_branch) for _ in range(n)])
        else:  # one shared branch pair
            self.cls_branches = nn.ModuleList([cls_branch] * n)
            self.reg_branches = nn.ModuleList([reg_branch] * n)
        self.bbox_coder = TASK_UTILS.build(bbox_coder or dict(
            type='NMSFreeBBox3DCoder', num_classes=num_classes))
        self.loss_cls = MODELS.build(loss_cls or dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0))
        self.loss_bbox = MODELS.build(loss_bbox or dict(type='mmdet.L1Loss', loss_weight=0.25))
        self.assigner = TASK_UTILS.build((train_cfg or {}).get('assigner', _ASSIGNER))
        self._reset()

    def _reset(self) -> None:
        nn.init.xavier_uniform_(self.reference_points.weight)
        nn.init.zeros_(self.reference_points.bias)
        for branch in self.cls_branches:
            nn.init.constant_(branch[-1].bias, bias_init_with_prob(0.01))

    def init_weights(self) -> None:
        super().init_weights()
        self._reset()

    def forward(self, bev: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-layer predictions on a BEV map.

        Args:
            bev (Tensor): (B, C, H, W) BEV features.

        Returns:
            tuple[Tensor, Tensor]: class logits (L, B, Q, num_classes) and boxes
            (L, B, Q, code_size) with the centres in metres.
        """
        bs = bev.shape[0]
        query_pos, query = self.query_embedding.weight.split(self.embed_dims, -1)
        query_pos = query_pos.unsqueeze(0).expand(bs, -1, -1)
        query = query.unsqueeze(0).expand(bs, -1, -1)
        init_ref = self.reference_points(query_pos).sigmoid()
        states, refs = self.decoder(query, query_pos, bev, tuple(bev.shape[-2:]), init_ref,
                                    self.reg_branches if self.with_box_refine else None)
        all_cls, all_box = [], []
        rng = bev.new_tensor(self.pc_range)
        for i in range(states.shape[0]):
            all_cls.append(self.cls_branches[i](states[i]))
            tmp = self.reg_branches[i](states[i])
            inv = inverse_sigmoid(refs[i])
            centre = (torch.cat([tmp[..., 0:2], tmp[..., 4:5]], -1) + inv).sigmoid()
            centre = centre * (rng[3:] - rng[:3]) + rng[:3]
            all_box.append(torch.cat([centre[..., :2], tmp[..., 2:4], centre[..., 2:3],
                                      tmp[..., 5:]], -1))
        return torch.stack(all_cls), torch.stack(all_box)

    # ------------------------------------------------------------------ training
    def _targets_single(self, cls_score: Tensor, bbox_pred: Tensor,
                        gt: InstanceData) -> Tuple[Tensor, Tensor, Tensor, int]:
        """Hungarian targets of one sample: labels (Q,), box targets and weights (Q, 10),
        number of positives."""
        num_q = cls_score.shape[0]
        gt_boxes = gt.bboxes_3d.tensor.to(bbox_pred)
        box_type = type(gt.bboxes_3d)
        norm_gt = self.bbox_coder.encode(box_type(gt_boxes, box_dim=gt_boxes.shape[-1]))
        gt_labels = gt.labels_3d.to(cls_score.device).long()
        assign = self.assigner.assign(
            InstanceData(scores=cls_score.detach(), bboxes=bbox_pred.detach()),
            InstanceData(labels=gt_labels, bboxes=norm_gt))
        pos = (assign.gt_inds > 0).nonzero().squeeze(-1)
        matched = assign.gt_inds[pos] - 1
        labels = gt_labels.new_full((num_q, ), self.num_classes)
        labels[pos] = gt_labels[matched]
        targets = bbox_pred.new_zeros(num_q, self.code_size)
        weights = bbox_pred.new_zeros(num_q, self.code_size)
        targets[pos] = norm_gt[matched, :self.code_size]
        weights[pos] = 1.0
        return labels, targets, weights, int(pos.numel())

    def loss_by_layer(self, cls_scores: Tensor, bbox_preds: Tensor,
                      gts: List[InstanceData]) -> Tuple[Tensor, Tensor]:
        """Focal + L1 losses of one decoder layer.

        Args:
            cls_scores (Tensor): (B, Q, num_classes) logits.
            bbox_preds (Tensor): (B, Q, 10) boxes (centres in metres).
            gts (list[InstanceData]): per sample ``bboxes_3d`` and ``labels_3d``.

        Returns:
            tuple[Tensor, Tensor]: ``loss_cls`` = focal sum / max(#pos, 1) x 2.0 and
            ``loss_bbox`` = sum over positives of code-weighted |pred - target| / max(#pos, 1)
            x 0.25 (#pos averaged over GPUs).
        """
        labels, targets, weights, num_pos = multi_apply(self._targets_single, list(cls_scores),
                                                        list(bbox_preds), gts)
        labels, targets, weights = torch.cat(labels), torch.cat(targets), torch.cat(weights)
        avg = reduce_mean(cls_scores.new_tensor([float(sum(num_pos))])).clamp(min=1).item()
        cls_flat = cls_scores.flatten(0, 1)
        loss_cls = self.loss_cls(cls_flat, labels, torch.ones_like(labels, dtype=cls_flat.dtype),
                                 avg_factor=avg)
        box_flat = bbox_preds.flatten(0, 1)
        finite = torch.isfinite(targets).all(-1)
        loss_bbox = self.loss_bbox(box_flat[finite], targets[finite],
                                   (weights * self.code_weights)[finite], avg_factor=avg)
        return torch.nan_to_num(loss_cls), torch.nan_to_num(loss_bbox)

    def loss(self, feats: List[Tensor], batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Losses of every decoder layer: ``loss_cls``/``loss_bbox`` (last) and
        ``d{i}.loss_cls``/``d{i}.loss_bbox`` (earlier layers)."""
        all_cls, all_box = self(feats[0])
        gts = [sample.gt_instances_3d for sample in batch_data_samples]
        losses = {}
        last = all_cls.shape[0] - 1
        for i in range(all_cls.shape[0]):
            loss_cls, loss_bbox = self.loss_by_layer(all_cls[i], all_box[i], gts)
            prefix = '' if i == last else f'd{i}.'
            losses[f'{prefix}loss_cls'] = loss_cls
            losses[f'{prefix}loss_bbox'] = loss_bbox
        return losses

    def predict(self, feats: List[Tensor], batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[InstanceData]:
        """Top-k boxes of the last layer: ``bboxes_3d``, ``scores_3d``, ``labels_3d``."""
        all_cls, all_box = self(feats[0])
        results = []
        for b, sample in enumerate(batch_data_samples):
            out = self.bbox_coder.decode(all_cls[-1, b], all_box[-1, b])
            box_type = sample.metainfo.get('box_type_3d', LiDARInstance3DBoxes)
            inst = InstanceData()
            inst.bboxes_3d = box_type(out['bboxes'], box_dim=out['bboxes'].shape[-1])
            inst.scores_3d = out['scores']
            inst.labels_3d = out['labels']
            results.append(inst)
        return results
