# Copyright (c) distillbev contributors. All rights reserved.
"""Homogeneous-matrix helpers shared by the data pipeline (numpy) and the models (torch)."""
from typing import Sequence, Union

import numpy as np
import torch
from torch import Tensor


def pad_to_4x4(mat: Union[np.ndarray, Tensor, Sequence]) -> Union[np.ndarray, Tensor]:
    """Embed (..., 3, 3), (..., 3, 4) or (..., 4, 4) matrices into the top-left of 4x4 identities.

    The one implementation for both backends: camera intrinsics (3x3), projection matrices
    (3x4) and homogeneous transforms (4x4), single or batched.

    Args:
        mat (np.ndarray | Tensor | Sequence): (..., R, C) with R, C in {3, 4}. Nested lists and
            numpy arrays are read as numpy.

    Returns:
        np.ndarray | Tensor: (..., 4, 4). numpy input: a new float64 array. Tensor input: same
        dtype and device; (..., 4, 4) tensors are returned as they are (no copy).

    Raises:
        ValueError: the last two dimensions are not 3 or 4.
    """
    is_tensor = isinstance(mat, Tensor)
    if not is_tensor:
        mat = np.asarray(mat, dtype=np.float64)
    if mat.ndim < 2 or mat.shape[-2] not in (3, 4) or mat.shape[-1] not in (3, 4):
        raise ValueError(f'pad_to_4x4 expects (..., 3, 3), (..., 3, 4) or (..., 4, 4) matrices, '
                         f'got shape {tuple(mat.shape)}')
    rows, cols = mat.shape[-2:]
    if is_tensor:
        if (rows, cols) == (4, 4):
            return mat
        out = torch.eye(4, dtype=mat.dtype, device=mat.device).expand(
            *mat.shape[:-2], 4, 4).clone()
    else:
        out = np.broadcast_to(np.eye(4, dtype=np.float64), (*mat.shape[:-2], 4, 4)).copy()
    out[..., :rows, :cols] = mat
    return out


__all__ = ['pad_to_4x4']
