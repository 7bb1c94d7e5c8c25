# Copyright (c) distillbev contributors. All rights reserved.
"""Previous key frames for temporal students (BEVDet4D / BEVDepth4D, BEVFormer's queue)."""
import copy
from typing import Any, Dict, List, Optional, Union

import numpy as np
from mmdet3d.registry import DATASETS


def lidar2global(info: dict) -> np.ndarray:
    """(4, 4) LiDAR -> global pose of a key frame (``ego2global @ lidar2ego`` of the v2 infos)."""
    return (np.asarray(info['ego2global'], dtype=np.float64)
            @ np.asarray(info['lidar_points']['lidar2ego'], dtype=np.float64))


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
      BEVDet4D convention).

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
        for prev_idx in self._previous(info):
            if prev_idx is not None:
                last = self.dataset.get_data_info(prev_idx)
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
        sample.set_metainfo(dict(prev_frames=prev_metas, curr2prev=curr2prev,
                                 prev_is_current=repeated))
        return cur

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
