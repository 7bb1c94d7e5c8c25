# Copyright (c) distillbev contributors. All rights reserved.
"""``Det3DDataPreprocessor`` that also stacks a depth-image teacher's input."""
import torch
from mmdet3d.models.data_preprocessors import Det3DDataPreprocessor
from mmdet3d.registry import MODELS
from mmengine.model.utils import stack_batch


@MODELS.register_module()
class DepthImageDet3DDataPreprocessor(Det3DDataPreprocessor):
    """The stock preprocessor, plus ``inputs['depth_imgs']`` (B, C, H, W).

    Each sample's ``inputs['depth_img']`` (packed by ``PackDepthImageInputs``: the teacher's
    input, already encoded by ``DepthImageInput``) is moved to the device and stacked, padded
    like the images (``pad_size_divisor``) with ``depth_pad_value``; it gets no mean/std, no
    channel swap (the RGB, ``inputs['imgs']``, gets the stock treatment). Without ``depth_img``
    (e.g. a test pipeline) it is the stock preprocessor.

    Args:
        depth_pad_value (float): value of padded pixels. Defaults to 0.
        **kwargs: see ``Det3DDataPreprocessor``.
    """

    def __init__(self, depth_pad_value: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth_pad_value = float(depth_pad_value)

    def simple_process(self, data: dict, training: bool = False) -> dict:
        inputs, depth = data.get('inputs'), None
        if isinstance(inputs, dict) and 'depth_img' in inputs:  # the caller's batch is kept
            inputs = dict(inputs)
            depth = inputs.pop('depth_img')
            data = dict(data, inputs=inputs)
        out = super().simple_process(data, training)
        if depth is not None:
            if torch.is_tensor(depth):  # default_collate: already (B, C, H, W)
                depth = list(depth)
            depth = [d.to(self.device).float() for d in depth]
            out['inputs']['depth_imgs'] = stack_batch(depth, self.pad_size_divisor,
                                                      self.depth_pad_value)
        return out
