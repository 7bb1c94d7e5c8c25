# Copyright (c) distillbev contributors. All rights reserved.
"""tools/convert_deeplabv3_torchvision.py on a fake torchvision DeepLabV3-ResNet50 state dict
(an mmdet ResNet-50's own tensors under ``backbone.``, plus classifier heads): the output loads
strictly into a fresh mmdet ResNet with equal tensors, also through mmengine's Pretrained init
(what the CMKD-KITTI student config uses); layer4 and the heads are dropped and reported; a
missing tensor, a wrong depth or a non-DeepLabV3 file fail with a clear message."""
import importlib.util
import os.path as osp
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from mmdet.models.backbones import ResNet

_spec = importlib.util.spec_from_file_location(
    'convert_deeplabv3_torchvision',
    Path(__file__).parents[2] / 'tools' / 'convert_deeplabv3_torchvision.py')
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)


def _resnet(num_stages=4, **kwargs):
    return ResNet(depth=50, num_stages=num_stages, strides=(1, 2, 1, 1)[:num_stages],
                  dilations=(1, 1, 2, 4)[:num_stages], out_indices=(num_stages - 1, ),
                  style='pytorch', **kwargs)


@pytest.fixture(scope='module')
def fake_torchvision(tmp_path_factory):
    """(path, source ResNet state) of a torchvision-style DeepLabV3-R50 state dict."""
    torch.manual_seed(0)
    src = _resnet()
    src.init_weights()
    state = OrderedDict()
    for k, v in src.state_dict().items():
        v = v.clone()
        if v.is_floating_point():  # BN statistics and weights away from their defaults
            v += torch.randn_like(v) * 0.01
        state['backbone.' + k] = v
    state['classifier.0.convs.0.0.weight'] = torch.randn(256, 2048, 1, 1)
    state['classifier.4.weight'] = torch.randn(21, 256, 1, 1)
    state['classifier.4.bias'] = torch.randn(21)
    state['aux_classifier.0.weight'] = torch.randn(256, 1024, 3, 3)
    path = tmp_path_factory.mktemp('tv') / 'deeplabv3_resnet50_coco.pth'
    torch.save(state, path)
    return str(path), {k[len('backbone.'):]: v for k, v in state.items()
                       if k.startswith('backbone.')}


def test_mmdet_resnet_names_are_torchvision_names_without_prefix():
    names = set(_resnet().state_dict())
    assert {'conv1.weight', 'bn1.running_var', 'layer1.0.downsample.0.weight',
            'layer1.0.downsample.1.weight', 'layer3.5.conv2.weight', 'layer3.5.bn3.bias',
            'layer4.2.conv3.weight'} <= names
    assert not any(n.startswith(('stem', 'norm1', 'layer1.0.norm')) for n in names)


@pytest.mark.parametrize('num_stages', [3, 4])
def test_converted_checkpoint_loads_strictly_with_equal_tensors(fake_torchvision, tmp_path,
                                                                capsys, num_stages):
    src, source_state = fake_torchvision
    dst = str(tmp_path / 'ckpts' / 'deeplabv3_resnet50_coco_mmdet.pth')
    assert conv.main([src, dst, '--num-stages', str(num_stages)]) == 0
    printed = capsys.readouterr().out
    assert 'classifier.* (3)' in printed and 'aux_classifier.* (1)' in printed
    assert ('backbone.layer4.*' in printed) == (num_stages == 3)
    assert not osp.exists(dst + '.tmp')
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict'}
    torch.manual_seed(1)
    fresh = _resnet(num_stages)
    fresh.load_state_dict(ckpt['state_dict'], strict=True)
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, source_state[k]), k
    if num_stages == 3:
        assert not any(k.startswith('layer4.') for k in ckpt['state_dict'])

        # the config's way: mmengine's Pretrained init on a 3-stage ResNet (layer3, stride 8)
        model = _resnet(3, init_cfg=dict(type='Pretrained', checkpoint=dst))
        model.init_weights()
        assert torch.equal(model.layer3[5].conv3.weight, source_state['layer3.5.conv3.weight'])
        model.eval()
        with torch.no_grad():
            out = model(torch.randn(1, 3, 64, 96))
        assert [o.shape for o in out] == [(1, 1024, 8, 12)]


def test_missing_key_raises_a_clear_error(fake_torchvision, tmp_path):
    src, _ = fake_torchvision
    state = torch.load(src, map_location='cpu', weights_only=True)
    del state['backbone.layer3.2.conv2.weight']
    broken = str(tmp_path / 'broken.pth')
    torch.save(state, broken)
    dst = str(tmp_path / 'out.pth')
    with pytest.raises(conv.ConversionError,
                       match=r"1 tensor\(s\).*missing: \['backbone.layer3.2.conv2.weight'\]"):
        conv.main([broken, dst])
    assert not osp.exists(dst) and not osp.exists(dst + '.tmp')


def test_absent_bn_counters_are_filled(fake_torchvision):
    src, source_state = fake_torchvision
    state = torch.load(src, map_location='cpu', weights_only=True)
    state = {k: v for k, v in state.items() if not k.endswith('num_batches_tracked')}
    out = conv.convert_state_dict(state, num_stages=3)
    assert out['filled'] and all(k.endswith('num_batches_tracked') for k in out['filled'])
    _resnet(3).load_state_dict(out['state_dict'], strict=True)


def test_wrong_inputs_say_what_is_wrong(fake_torchvision):
    src, _ = fake_torchvision
    state = torch.load(src, map_location='cpu', weights_only=True)
    with pytest.raises(conv.ConversionError, match=r'--depth 101.*ResNet-50'):
        conv.convert_state_dict(state, depth=101)
    with pytest.raises(conv.ConversionError, match=r'no "backbone\.\*" keys'):
        conv.convert_state_dict({k[len('backbone.'):]: v for k, v in state.items()
                                 if k.startswith('backbone.')})
    with pytest.raises(conv.ConversionError, match=r'save the state_dict\(\)'):
        conv.convert_state_dict({'model': 'not tensors'})
    bad = dict(state)
    bad['backbone.conv1.weight'] = torch.zeros(64, 3, 3, 3)
    with pytest.raises(conv.ConversionError, match=r'backbone.conv1.weight: \(64, 3, 3, 3\)'):
        conv.convert_state_dict(bad)
