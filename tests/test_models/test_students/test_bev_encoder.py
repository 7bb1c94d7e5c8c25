# Copyright (c) distillbev contributors. All rights reserved.
import torch

from distillbev.models.students.bev_encoder import BEVLSSFPNNeck, BEVResNetBackbone


def test_bev_encoder_shapes_and_defaults():
    backbone = BEVResNetBackbone(8)
    assert backbone.num_channels == [16, 32, 64]
    feats = backbone(torch.randn(2, 8, 32, 24))
    assert [tuple(f.shape) for f in feats] == [(2, 16, 16, 12), (2, 32, 8, 6), (2, 64, 4, 3)]
    neck = BEVLSSFPNNeck(16 + 64, 32)
    out = neck(feats)
    assert out.shape == (2, 32, 32, 24)  # back to the input BEV grid


def test_bev_encoder_is_translation_equivariant_in_y_and_x():
    """A blob at (row 5, col 18) of a (32, 24) map peaks near the same cell after the encoder
    only if rows stay rows: checks the encoder does not transpose."""
    torch.manual_seed(0)
    backbone, neck = BEVResNetBackbone(4, num_layers=(1, 1, 1)), BEVLSSFPNNeck(8 + 32, 8)
    with torch.no_grad():
        for m in list(backbone.modules()) + list(neck.modules()):
            if isinstance(m, torch.nn.Conv2d):
                m.weight.fill_(0.01)
    backbone.eval(), neck.eval()
    x = torch.zeros(1, 4, 32, 24)
    x[0, :, 4:7, 17:20] = 10.0
    out = neck(backbone(x))[0].sum(0)
    row, col = divmod(int(out.argmax()), 24)
    assert abs(row - 5) <= 3 and abs(col - 18) <= 3
