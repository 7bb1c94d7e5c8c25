# Copyright (c) distillbev contributors. All rights reserved.
"""Previous key frames for temporal students (BEVDet4D / BEVDepth4D, BEVFormer's queue), and
BEVFormer's CAN-bus deltas along that queue."""
import copy
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmdet3d.registry import DATASETS


def lidar2global(info: dict) -> np.ndarray:
    """(4, 4) LiDAR -> global pose of a key frame (``ego2global @ lidar2ego`` of the v2 infos)."""
    return (np.asarray(info['ego2global'], dtype=np.float64)
            @ np.asarray(info['lidar_points']['lidar2ego'], dtype=np.float64))


def can_bus_patch_angle(can_bus: Sequence[float]) -> float:
    """BEVFormer's patch angle: the yaw of the CAN-bus orientation quaternion, in degrees.

    Args:
        can_bus (Sequence[float]): the 18-d vector of the temporal infos (orientation quaternion
            ``w, x, y, z`` in ``[3:7]``).

    Returns:
        float: heading of the ego's x axis in the global x-y plane, degrees in [0, 360)
        (0 for an all-zero quaternion).
    """
    w, x, y, z = (float(v) for v in can_bus[3:7])
    norm2 = w * w + x * x + y * y + z * z
    if norm2 == 0.0:
        return 0.0
    # first column of the rotation matrix (the rotated x axis); the norm cancels in arctan2
    yaw = float(np.degrees(np.arctan2(2.0 * (w * z + x * y), norm2 - 2.0 * (y * y + z * z))))
    return yaw + 360.0 if yaw < 0.0 else yaw


def can_bus_delta(curr: Sequence[float],
                  prev: Optional[Sequence[float]] = None) -> np.ndarray:
    """BEVFormer's model input from the stored (absolute) 18-d CAN-bus vectors of two frames.

    The stored layout (:mod:`distillbev.datasets.temporal_infos`): position (3), orientation
    quaternion ``w, x, y, z`` (4), acceleration (3), rotation rate (3), velocity (3), two zeros.
    The two zeros become the patch angle (:func:`can_bus_patch_angle`) in radians (``[16]``) and
    degrees (``[17]``); then the position ``[0:3]`` becomes current minus previous (global
    frame, metres) and the angle in degrees ``[17]`` current minus previous (no wrap at 0/360,
    as published). Without a previous frame (the first frame of a queue) those four entries are
    0. The other 14 entries stay absolute.

    Args:
        curr (Sequence[float]): the frame's stored vector, 18 floats.
        prev (Sequence[float], optional): the previous frame's; None for the first frame.

    Returns:
        np.ndarray: (18, ) float32.
    """
    cur = np.asarray(curr, dtype=np.float64).reshape(-1).copy()
    if cur.shape != (18, ):
        raise ValueError(f'a CAN-bus vector has 18 floats, got {cur.shape[0]}')
    angle = can_bus_patch_angle(cur)
    cur[-2], cur[-1] = np.radians(angle), angle
    if prev is None:
        cur[:3] = 0.0
        cur[-1] = 0.0
    else:
        before = np.asarray(prev, dtype=np.float64).reshape(-1)
        cur[:3] -= before[:3]
        cur[-1] -= can_bus_patch_angle(before)
    return cur.astype(np.float32)


def _stored_can_bus(info: dict, what: str) -> List[float]:
    if info.get('can_bus') is None:
        raise KeyError(f'TemporalFrames: the {what} info ({info.get("token")}) has no can_bus, '
                       f'which the packer asks for (meta_keys): run tools/add_temporal_infos.py '
                       f'and use its *_temporal.pkl files')
    return info['can_bus']


@DATASETS.register_module()
class TemporalFrames:
    """Each item is a key frame with its ``num_prev`` previous key frames of the same scene.

    Needs infos with ``prev`` tokens (``tools/add_temporal_infos.py``). The current frame goes
    through the dataset's pipeline as usual; each previous frame goes through the same pipeline
    replaying the current frame's augmentation draws (``GlobalBEVAug3D``'s and
    ``MultiViewImageAffineAug``'s), so one BEV augmentation ``A`` holds for every frame and warped
    frames line up. The item adds:

    - ``inputs['prev_img']``: list over previous frames of their packed images;
    - metainfo ``prev_frames``: the previous frames' metainfo (cameras, ``img_aug_matrix``...);
    - metainfo ``curr2prev``: list of (4, 4) maps from the current frame's augmented LiDAR frame to
      each previous frame's, ``A inv(P_prev) P_cur inv(A)`` with ``P`` the LiDAR -> global pose;
    - metainfo ``prev_is_current``: True where a scene's first frames repeat themselves (the
      BEVDet4D convention);
    - metainfo ``can_bus`` (BEVFormer), where the pipeline's packer keeps it (``'can_bus'`` in its
      meta_keys): replaced by :func:`can_bus_delta` of the frame's stored vector against the
      one before it in the queue (``(18, )`` float32: position and patch-angle deltas, the rest
      absolute). The current frame's is against ``prev_frames[0]``, ``prev_frames[k]``'s
      against ``prev_frames[k + 1]``; the oldest previous frame (or the current one with
      ``num_prev=0``) has no predecessor, so its four delta entries are 0, as the first frame of
      BEVFormer's queue. A repeated frame at a scene start is its own predecessor (deltas 0).
      The same at training and test time.

    Args:
        dataset (dict): the wrapped dataset's config (e.g. ``NuScenesDataset``).
        num_prev (int): previous key frames. Defaults to 1.
    """

    def __init__(self, dataset: Union[dict, Any], num_prev: int = 1) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.num_prev = num_prev
        self.metainfo = self.dataset.metainfo
        self._index: Dict[str, int] = {}
        for i in range(len(self.dataset)):
            info = self.dataset.get_data_info(i)
            if 'prev' not in info:
                raise KeyError('TemporalFrames needs infos with prev/next tokens: run '
                               'tools/add_temporal_infos.py and use its *_temporal.pkl files')
            self._index[info['token']] = i

    def __len__(self) -> int:
        return len(self.dataset)

    def _previous(self, info: dict) -> List[Optional[int]]:
        out, token = [], info['prev']
        for _ in range(self.num_prev):
            idx = self._index.get(token) if token else None
            out.append(idx)
            if idx is not None:
                token = self.dataset.get_data_info(idx)['prev']
        return out

    def __getitem__(self, idx: int) -> dict:
        cur = self.dataset[idx]
        sample = cur['data_samples']
        meta = sample.metainfo
        info = self.dataset.get_data_info(self._index[meta['token']])
        aug = np.asarray(meta.get('lidar_aug_matrix', np.eye(4)), dtype=np.float64)
        pose_cur = lidar2global(info)
        prev_imgs, prev_metas, curr2prev, repeated = [], [], [], []
        last = info
        chain = [info]  # the infos of the current, then the previous frames (newest first)
        for prev_idx in self._previous(info):
            if prev_idx is not None:
                last = self.dataset.get_data_info(prev_idx)
            chain.append(last)
            frame = copy.deepcopy(last)
            if 'bev_aug_params' in meta:
                frame['replay_bev_aug_params'] = meta['bev_aug_params']
            if 'img_aug_params' in meta:
                frame['replay_img_aug_params'] = meta['img_aug_params']
            out = self.dataset.pipeline(frame)
            prev_imgs.append(out['inputs']['img'])
            prev_metas.append(out['data_samples'].metainfo)
            rel = np.linalg.inv(lidar2global(last)) @ pose_cur  # current LiDAR -> previous LiDAR
            curr2prev.append((aug @ rel @ np.linalg.inv(aug)).astype(np.float32))
            repeated.append(prev_idx is None)
        cur['inputs']['prev_img'] = prev_imgs
        # BEVFormer's CAN-bus input: each frame against its predecessor in the queue
        for k, frame_meta in enumerate(prev_metas):
            if 'can_bus' in frame_meta:
                frame_meta['can_bus'] = self._can_bus(chain, k + 1)
        extra = dict(can_bus=self._can_bus(chain, 0)) if 'can_bus' in meta else {}
        sample.set_metainfo(dict(prev_frames=prev_metas, curr2prev=curr2prev,
                                 prev_is_current=repeated, **extra))
        return cur

    @staticmethod
    def _can_bus(chain: List[dict], i: int) -> np.ndarray:
        """:func:`can_bus_delta` of ``chain[i]`` against ``chain[i + 1]`` (none past the end)."""
        what = 'current' if i == 0 else f'previous frame {i - 1}'
        prev = (_stored_can_bus(chain[i + 1], f'previous frame {i}')
                if i + 1 < len(chain) else None)
        return can_bus_delta(_stored_can_bus(chain[i], what), prev)

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    # what mmdet3d's CBGSDataset asks of the dataset it wraps, so that class-balanced sampling
    # runs over temporal samples: CBGSDataset(dataset=dict(type='TemporalFrames', ...))
    def full_init(self) -> None:
        """The wrapped dataset's ``full_init`` (done already by ``__init__``'s index)."""
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    def get_cat_ids(self, idx: int):
        """The wrapped dataset's category ids of sample ``idx`` (CBGS balancing)."""
        return self.dataset.get_cat_ids(idx)
