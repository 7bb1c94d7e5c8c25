# Copyright (c) distillbev contributors. All rights reserved.
"""BEVFormer, the multi-camera spatiotemporal transformer detector, on mmdet3d 1.x.

Li et al., ECCV 2022, "BEVFormer: Learning Bird's-Eye-View Representation from Multi-Camera Images
via Spatiotemporal Transformers". Written for mmdet3d 1.x from the paper and its published
settings; the BEV plane is the (augmented) LiDAR frame of the distillbev students.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmdet3d.models.detectors.base import Base3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from torch import Tensor

from ..bevdet import camera_params


def _curr2prev(metas: List[dict], k: int, ref: Tensor) -> Tensor:
    """(B, 4, 4) current -> k-th previous frame of every sample (``TemporalFrames``)."""
    return torch.as_tensor(np.stack([np.asarray(m['curr2prev'][k]) for m in metas]),
                           dtype=ref.dtype, device=ref.device)


def _has_prev(metas: List[dict], k: int, device: torch.device) -> Tensor:
    """(B,) bool: the k-th previous frame is a real one (not a repeat at a scene start)."""
    return torch.tensor([not bool(m.get('prev_is_current', [True] * (k + 1))[k]) for m in metas],
                        dtype=torch.bool, device=device)


def _can_bus(metas: List[dict], dims: int, device: torch.device, frame: str) -> Tensor:
    """(B, dims) float32 CAN-bus vectors from the metainfo key ``can_bus`` of every sample.

    Raises:
        ValueError: a sample lacks the key (or has a vector of another length).
    """
    missing = [i for i, m in enumerate(metas) if m.get('can_bus') is None]
    if missing:
        raise ValueError(
            f"BEVFormer (bev_encoder.use_can_bus=True) reads the metainfo key 'can_bus', which "
            f'sample(s) {missing} of the batch lack ({frame}). Make the temporal infos with '
            f"tools/add_temporal_infos.py and keep 'can_bus' in the packer's meta_keys "
            f"(PackMultiViewDet3DInputs(..., extra_meta_keys=['can_bus'])) of the train and test "
            f'pipelines, under TemporalFrames (which turns it into deltas to the previous frame); '
            f'or set use_can_bus=False in the bev_encoder config.')
    vecs = np.stack([np.asarray(m['can_bus'], dtype=np.float32).reshape(-1) for m in metas])
    if vecs.shape[1] != dims:
        raise ValueError(f"BEVFormer: metainfo 'can_bus' has {vecs.shape[1]} floats ({frame}), "
                         f'the encoder expects can_bus_dims={dims}')
    return torch.from_numpy(vecs).to(device)


@MODELS.register_module()
class BEVFormer(Base3DDetector):
    """Images -> backbone/FPN -> BEV encoder (queries, TSA, SCA) -> detection head.

    Module paths (distillation taps): ``img_backbone``, ``img_neck``, ``bev_encoder`` (output:
    the BEV (B, C, H, W), row = y, col = x, row 0 at y_min), ``pts_bbox_head``. The head is
    either :class:`BEVFormerHead` (set prediction, the paper's) or mmdet3d's ``CenterHead``
    on the same BEV (dense heatmaps, so response KD applies); both take ``[bev]``.

    Temporal queue (paper Sec. 3.4 / 4.2): with ``TemporalFrames(num_prev=queue_length - 1)``
    the inputs carry ``prev_imgs`` and the metainfo ``prev_frames``, ``curr2prev`` and
    ``prev_is_current``. The previous frames' BEVs are computed oldest first, each from the one
    before it, without gradient and in eval mode; the newest one feeds the current frame's TSA.
    At test time the same chain is recomputed from the wrapper's previous frames for every
    sample (no BEV is cached across calls, so results do not depend on the evaluation order).
    Without ``prev_imgs`` (or at a scene start) the queries attend to themselves.

    CAN bus (``bev_encoder.use_can_bus``, the published setting): each frame's metainfo
    ``can_bus`` (18 floats; ``TemporalFrames`` has turned the stored vector into position /
    heading deltas to the frame before it in the queue, 0 for the queue's first frame) is
    embedded by the encoder's MLP and added to all of that frame's BEV queries. A sample (or a
    previous frame) without the key raises a ``ValueError`` at the forward that reads it.

    Args:
        img_backbone (dict): e.g. ``mmdet.ResNet``.
        img_neck (dict): e.g. ``mmdet.FPN`` with ``out_channels`` = the encoder's C.
        bev_encoder (dict): :class:`BEVFormerEncoder`.
        pts_bbox_head (dict): :class:`BEVFormerHead` or ``CenterHead``.
        num_prev (int): previous frames used (``queue_length - 1``). Defaults to 2.
        train_cfg (dict, optional): ``dict(pts=...)`` handed to the head.
        test_cfg (dict, optional): ``dict(pts=...)`` handed to the head.
        data_preprocessor (dict, optional): ``TemporalDet3DDataPreprocessor`` config.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, img_backbone: dict, img_neck: dict, bev_encoder: dict,
                 pts_bbox_head: dict, num_prev: int = 2, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.img_backbone = MODELS.build(img_backbone)
        self.img_neck = MODELS.build(img_neck)
        self.bev_encoder = MODELS.build(bev_encoder)
        head = dict(pts_bbox_head)
        head.update(train_cfg=train_cfg.get('pts') if train_cfg else None,
                    test_cfg=test_cfg.get('pts') if test_cfg else None)
        self.pts_bbox_head = MODELS.build(head)
        self.num_prev = num_prev
        self.train_cfg, self.test_cfg = train_cfg, test_cfg

    @property
    def with_pts_bbox(self) -> bool:
        return True

    def extract_img_feat(self, imgs: Tensor) -> List[Tensor]:
        """(B, N, 3, H, W) images -> list over levels of (B, N, C, h_l, w_l)."""
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        batch, views = imgs.shape[:2]
        feats = self.img_neck(self.img_backbone(imgs.flatten(0, 1)))
        feats = feats if isinstance(feats, (list, tuple)) else [feats]
        return [f.view(batch, views, *f.shape[1:]) for f in feats]

    def frame_bev(self, imgs: Tensor, metas: List[dict], prev_bev: Optional[Tensor] = None,
                  curr2prev: Optional[Tensor] = None, has_prev: Optional[Tensor] = None,
                  frame: str = 'the current frame') -> Tensor:
        """The BEV of one frame given its predecessor's BEV (in its own frame).

        Args:
            imgs (Tensor): (B, N, 3, H, W) images of the frame.
            metas (list[dict]): the frame's metainfo per sample (cameras; ``can_bus`` with
                ``bev_encoder.use_can_bus``).
            prev_bev (Tensor, optional): (B, C, H, W) the predecessor's BEV.
            curr2prev (Tensor, optional): (B, 4, 4) this frame -> the predecessor.
            has_prev (Tensor, optional): (B,) bool, samples with a real predecessor.
            frame (str): which frame, for the missing-``can_bus`` error.

        Returns:
            Tensor: (B, C, H, W) BEV.
        """
        if imgs.dim() == 4:
            imgs = imgs.unsqueeze(1)
        cam = camera_params(metas, imgs.shape[1], imgs.device)
        can_bus = None
        if getattr(self.bev_encoder, 'use_can_bus', False):
            can_bus = _can_bus(metas, self.bev_encoder.can_bus_dims, imgs.device, frame)
        return self.bev_encoder(self.extract_img_feat(imgs), cam, tuple(imgs.shape[-2:]),
                                prev_bev, curr2prev, has_prev, can_bus=can_bus)

    def history_bev(self, batch_inputs_dict: dict, metas: List[dict]) -> Dict[str, Tensor]:
        """The newest previous frame's BEV, built along the queue without gradient, in eval
        mode. Returns ``dict(prev_bev, curr2prev, has_prev)`` (empty without history)."""
        prev_imgs = batch_inputs_dict.get('prev_imgs') or []
        num = min(self.num_prev, len(prev_imgs))
        if num == 0:
            return {}
        device = prev_imgs[0].device
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                bev = None
                for k in reversed(range(num)):  # oldest first
                    frame_metas = [m['prev_frames'][k] for m in metas]
                    frame = f"previous frame {k}, metainfo['prev_frames'][{k}]"
                    if bev is None:
                        bev = self.frame_bev(prev_imgs[k], frame_metas, frame=frame)
                        continue
                    ref = prev_imgs[k]
                    # frame k -> frame k + 1 = (current -> k + 1) @ inv(current -> k)
                    rel = _curr2prev(metas, k + 1, ref) @ torch.inverse(_curr2prev(metas, k, ref))
                    bev = self.frame_bev(prev_imgs[k], frame_metas, bev, rel,
                                         _has_prev(metas, k + 1, device), frame=frame)
        finally:
            self.train(was_training)
        return dict(prev_bev=bev, curr2prev=_curr2prev(metas, 0, bev),
                    has_prev=_has_prev(metas, 0, device))

    def extract_feat(self, batch_inputs_dict: dict, batch_input_metas: List[dict]) -> List[Tensor]:
        """A list with the current BEV (B, C, H, W) (what both head types take)."""
        history = self.history_bev(batch_inputs_dict, batch_input_metas)
        return [self.frame_bev(batch_inputs_dict['imgs'], batch_input_metas, **history)]

    def loss(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """The head's losses on the current frame's BEV."""
        metas = [sample.metainfo for sample in batch_data_samples]
        feats = self.extract_feat(batch_inputs_dict, metas)
        return self.pts_bbox_head.loss(feats, batch_data_samples, **kwargs)

    def predict(self, batch_inputs_dict: dict, batch_data_samples: List[Det3DDataSample],
                **kwargs) -> List[Det3DDataSample]:
        """Boxes in ``pred_instances_3d`` (``bboxes_3d``, ``scores_3d``, ``labels_3d``)."""
        metas = [sample.metainfo for sample in batch_data_samples]
        feats = self.extract_feat(batch_inputs_dict, metas)
        results = self.pts_bbox_head.predict(feats, batch_data_samples, **kwargs)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _forward(self, batch_inputs_dict: dict,
                 batch_data_samples: Optional[List[Det3DDataSample]] = None, **kwargs):
        """Raw head outputs."""
        metas = [sample.metainfo for sample in (batch_data_samples or [])]
        feats = self.extract_feat(batch_inputs_dict, metas)
        head = self.pts_bbox_head
        return head(feats[0]) if isinstance(head, MODELS.get('BEVFormerHead')) else head(feats)
