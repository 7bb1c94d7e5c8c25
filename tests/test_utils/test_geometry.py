# Copyright (c) distillbev contributors. All rights reserved.
import numpy as np
import pytest
import torch

from distillbev.datasets.transforms.mv_geometry import pad_to_4x4 as np_pad
from distillbev.models.view_transforms.frustum import pad_to_4x4 as torch_pad
from distillbev.utils.geometry import pad_to_4x4

K = [[100., 0., 50.], [0., 100., 40.], [0., 0., 1.]]
K4 = [[100., 0., 50., 0.], [0., 100., 40., 0.], [0., 0., 1., 0.], [0., 0., 0., 1.]]


def test_one_implementation_for_numpy_and_torch():
    assert np_pad is pad_to_4x4 and torch_pad is pad_to_4x4


def test_numpy_single_batched_and_3x4():
    out = pad_to_4x4(K)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, K4)
    batched = pad_to_4x4(np.stack([K, K]).astype(np.float32))
    assert batched.shape == (2, 4, 4) and batched.dtype == np.float64
    np.testing.assert_array_equal(batched[1], K4)
    p = np.arange(12.).reshape(3, 4)
    np.testing.assert_array_equal(pad_to_4x4(p), np.vstack([p, [0., 0., 0., 1.]]))


def test_torch_keeps_dtype_and_passes_4x4_through():
    k = torch.tensor(K, dtype=torch.float32).expand(2, 3, 3, 3)
    out = pad_to_4x4(k)
    assert out.shape == (2, 3, 4, 4) and out.dtype == torch.float32
    assert torch.equal(out[1, 2], torch.tensor(K4))
    k4 = torch.eye(4, dtype=torch.float64)[None]
    assert pad_to_4x4(k4) is k4


def test_bad_shape_names_the_accepted_ones():
    with pytest.raises(ValueError, match=r'\(\.\.\., 3, 3\)'):
        pad_to_4x4(np.zeros((2, 2)))
    with pytest.raises(ValueError, match='got shape'):
        pad_to_4x4(torch.zeros(5, 4))
