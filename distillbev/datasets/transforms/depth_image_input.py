# Copyright (c) distillbev contributors. All rights reserved.
"""The input of a depth-image teacher ("LiDAR Net" of MonoDistill / MonoMMKD) and its packing.

Order in a pipeline (RGB and depth move together, so the teacher sees the student's frame)::

    LoadImageFromFileMono3D -> LoadAnnotations3D -> LoadKittiDepthImage -> MonoAffineAug
    -> DepthImageInput -> PackDepthImageInputs (distillation) / Pack3DDetInputs (teacher alone)

``MonoAffineAug`` warps ``depth_img`` (metres) with the RGB's affine (nearest) and multiplies it by
the crop scale; :class:`DepthImageInput` then encodes it for the network.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet3d.datasets.transforms import Pack3DDetInputs
from mmdet3d.registry import TRANSFORMS

# MonoDistill (lib/datasets/kitti/kitti_dataset.py, @26ca8dae): depth / 80, then this mean / std
MONODISTILL_DEPTH_MEAN = 8.765
MONODISTILL_DEPTH_STD = 11.275


def encode_depth_image(depth: np.ndarray, max_depth: float = 80.0,
                       mean: float = MONODISTILL_DEPTH_MEAN, std: float = MONODISTILL_DEPTH_STD,
                       channels: int = 3) -> np.ndarray:
    """``((depth / max_depth) - mean) / std`` replicated on ``channels`` channels.

    Args:
        depth (np.ndarray): (H, W) metres (0 = no LiDAR return).
        max_depth (float): divisor. Defaults to 80.
        mean (float): subtracted after the division. Defaults to MonoDistill's 8.765.
        std (float): divisor after the mean. Defaults to MonoDistill's 11.275.
        channels (int): copies of the map (the DLA stem takes 3). Defaults to 3.

    Returns:
        np.ndarray: (H, W, channels) float32 (an HWC image, like a decoded RGB).
    """
    enc = (np.asarray(depth, np.float32) / np.float32(max_depth) - np.float32(mean)) \
        / np.float32(std)
    return np.repeat(enc[..., None], channels, axis=2).astype(np.float32)


def decode_depth_image(enc, max_depth: float = 80.0, mean: float = MONODISTILL_DEPTH_MEAN,
                       std: float = MONODISTILL_DEPTH_STD):
    """Inverse of :func:`encode_depth_image` (any channel), in metres."""
    return (enc * std + mean) * max_depth


@TRANSFORMS.register_module()
class DepthImageInput(BaseTransform):
    """Encode the (augmented) LiDAR depth image as the teacher's network input.

    MonoDistill's encoding [code]: the depth map (metres, already multiplied by the crop scale
    by the augmentation) is replicated on 3 channels (the first conv of the DLA-34 stem takes
    RGB), divided by 80 and normalised with mean 8.765 / std 11.275. The mean/std look like
    metre statistics applied after the division (MonoSKD, and so MonoMMKD's lineage, keeps only
    the ``/ 80``: ``mean=0, std=1``); the defaults keep MonoDistill's numbers so that its LiDAR
    Net sees what the official one saw. Pixels without a return (0 m) are encoded like any
    other (``-mean / std``), as in the official code. The encoding is done here, once: the
    teacher's ``data_preprocessor`` must be the identity (``mean=[0, 0, 0], std=[1, 1, 1],
    bgr_to_rgb=False``), since the distiller hands ``depth_imgs`` to the teacher as they are.

    Args:
        out_key (str): ``'img'`` replaces the RGB (training / testing the teacher alone);
            ``'depth_input'`` (default) keeps the RGB for the student and stores the teacher's
            input next to it (packed by :class:`PackDepthImageInputs`).
        max_depth (float): Defaults to 80.
        mean (float): Defaults to 8.765.
        std (float): Defaults to 11.275.
        channels (int): Defaults to 3.
    """

    def __init__(self, out_key: str = 'depth_input', max_depth: float = 80.0,
                 mean: float = MONODISTILL_DEPTH_MEAN, std: float = MONODISTILL_DEPTH_STD,
                 channels: int = 3) -> None:
        if out_key not in ('img', 'depth_input'):
            raise ValueError(f"DepthImageInput: out_key must be 'img' or 'depth_input', got "
                             f'{out_key!r}')
        self.out_key, self.max_depth, self.mean, self.std = out_key, max_depth, mean, std
        self.channels = channels

    def transform(self, results: dict) -> dict:
        if 'depth_img' not in results:
            raise KeyError('DepthImageInput needs results["depth_img"]: put LoadKittiDepthImage '
                           'before it (and MonoAffineAug between them)')
        depth = results['depth_img']
        if 'img' in results and tuple(depth.shape[:2]) != tuple(results['img'].shape[:2]):
            raise ValueError(f'depth image {tuple(depth.shape[:2])} and RGB '
                             f'{tuple(results["img"].shape[:2])} differ in size: the depth image '
                             f'must go through the same augmentation (MonoAffineAug) as the RGB')
        results[self.out_key] = encode_depth_image(depth, self.max_depth, self.mean, self.std,
                                                   self.channels)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(out_key={self.out_key!r}, max_depth={self.max_depth}, '
                f'mean={self.mean}, std={self.std}, channels={self.channels})')


@TRANSFORMS.register_module()
class PackDepthImageInputs(Pack3DDetInputs):
    """``Pack3DDetInputs`` that also packs a depth-image teacher's input and the depth map.

    Besides the stock keys, ``keys`` may list:

    - ``'depth_input'`` (from :class:`DepthImageInput`): packed as ``inputs['depth_img']``, a
      (C, H, W) float32 tensor; ``DepthImageDet3DDataPreprocessor`` stacks it into the batch's
      ``depth_imgs`` (B, C, H, W), which ``TeacherDepthImageRunner`` feeds to the teacher;
    - ``'gt_depth'``: ``results['depth_img']`` (metres after the augmentation) as
      ``data_sample.gt_depth``, a (1, H, W) float32 tensor (e.g. depth-bin KD targets).
    """

    def __init__(self, keys: Sequence[str], meta_keys: Optional[Sequence[str]] = None) -> None:
        self.depth_keys = [k for k in keys if k in ('depth_input', 'gt_depth')]
        rest = tuple(k for k in keys if k not in self.depth_keys)
        if meta_keys is None:
            super().__init__(keys=rest)
        else:
            super().__init__(keys=rest, meta_keys=tuple(meta_keys))

    def pack_single_results(self, results: dict) -> dict:
        packed = super().pack_single_results(results)
        if 'depth_input' in self.depth_keys:
            enc = np.ascontiguousarray(results['depth_input'], dtype=np.float32)
            packed['inputs']['depth_img'] = torch.from_numpy(enc).permute(2, 0, 1).contiguous()
        if 'gt_depth' in self.depth_keys:
            depth = np.ascontiguousarray(results['depth_img'], dtype=np.float32)
            packed['data_samples'].gt_depth = torch.from_numpy(depth)[None]
        return packed
