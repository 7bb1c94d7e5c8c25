# Copyright (c) distillbev contributors. All rights reserved.
"""``Det3DDataPreprocessor`` that also prepares the previous frames' images."""
from typing import List

import torch
from mmdet3d.models.data_preprocessors import Det3DDataPreprocessor
from mmdet3d.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class TemporalDet3DDataPreprocessor(Det3DDataPreprocessor):
    """The stock preprocessor, plus ``inputs['prev_img']`` (from ``TemporalFrames``).

    Each sample's ``prev_img`` is a list over previous frames of (N, C, H, W) images (after
    mmengine's ``pseudo_collate``: a list over frames of lists over samples); they get the stock
    image treatment (channel order, mean / std) and come out as
    ``inputs['prev_imgs']``: a list over previous frames of (B, N, C, H, W) tensors. Without
    ``prev_img`` (e.g. a test pipeline without ``TemporalFrames``) it is the stock
    preprocessor.
    """

    def simple_process(self, data: dict, training: bool = False) -> dict:
        inputs = data.get('inputs')
        prev = inputs.pop('prev_img', None) if isinstance(inputs, dict) else None
        out = super().simple_process(data, training)
        if prev is not None:  # pseudo_collate: a list over frames of lists over samples
            out['inputs']['prev_imgs'] = [
                torch.stack([self._views(views) for views in frame]) for frame in prev
            ]
        return out

    def _views(self, imgs: Tensor) -> Tensor:
        """(N, C, H, W) raw views -> normalised float views on the model's device."""
        imgs = imgs.to(self.device)
        views: List[Tensor] = [self.preprocess_img(img) for img in imgs]
        return torch.stack(views)
