# Copyright (c) distillbev contributors. All rights reserved.
"""Convert torchvision DeepLabV3-ResNet50/101 weights into an mmdet ``ResNet`` checkpoint.

CMKD's student image backbone (Hong et al., ECCV 2022, after CaDDN) is torchvision's
COCO-trained DeepLabV3-ResNet50, read at its dilated ``layer3`` (stride 8, 1024 channels). This
keeps the ``backbone.*`` tensors of a torchvision ``deeplabv3_resnet50/101`` state dict under
mmdet ``ResNet`` names (torchvision's ``backbone.conv1.weight`` -> mmdet's ``conv1.weight``: the
ResNet parameter names are the same once ``backbone.`` is stripped), drops the rest
(``classifier.*``, ``aux_classifier.*``, and ``layer4`` with ``--num-stages 3``) and prints what
it dropped, checks that every tensor of the mmdet ResNet is there with its shape, and writes an
mmengine checkpoint (``state_dict`` + ``meta``) atomically.

1. On a machine with torchvision and internet access, save the state dict:

    python -c "import torch, torchvision; m = torchvision.models.segmentation.\\
deeplabv3_resnet50(weights='COCO_WITH_VOC_LABELS_V1'); \\
torch.save(m.state_dict(), 'deeplabv3_resnet50_coco_torchvision.pth')"

2. Convert (``--num-stages 3``: the student stops at ``layer3``):

    python tools/convert_deeplabv3_torchvision.py deeplabv3_resnet50_coco_torchvision.pth \\
        checkpoints/deeplabv3_resnet50_coco_mmdet.pth --num-stages 3

3. Load it with ``init_cfg=dict(type='Pretrained', checkpoint=...)`` on ``mmdet.ResNet(depth=50,
   num_stages=3, strides=(1, 2, 1), dilations=(1, 1, 2), out_indices=(2,), style='pytorch')``.

Architecture note: torchvision's dilated ResNet gives the *first* block of ``layer3`` the
previous dilation (1) in its 3x3 conv and dilation 2 to the other blocks; mmdet's ``ResNet``
dilates every block of the stage (2). The tensors are the same, only that one conv's dilation
differs.
"""
import argparse
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import torch

PREFIX = 'backbone.'
# blocks of (layer1, layer2, layer3, layer4) -> ResNet depth
DEPTH_BY_BLOCKS = {(3, 4, 6, 3): 50, (3, 4, 23, 3): 101, (3, 8, 36, 3): 152}
# torchvision DeepLabV3: replace_stride_with_dilation=[False, True, True] (output stride 8)
STRIDES = (1, 2, 1, 1)
DILATIONS = (1, 1, 2, 4)


class ConversionError(ValueError):
    """The input is not a torchvision DeepLabV3 / ResNet state dict the converter can use."""


def _state_dict(checkpoint: Any, source: str) -> Dict[str, torch.Tensor]:
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get('state_dict'), dict):
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict) or not checkpoint or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ConversionError(
            f'{source}: expected a state dict (name -> tensor), e.g. saved with '
            f'torch.save(deeplabv3_resnet50(weights=...).state_dict(), path); save the '
            f'state_dict(), not the whole model.')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in checkpoint.items())


def _blocks_per_layer(names: List[str]) -> Tuple[int, ...]:
    counts = []
    for layer in range(1, 5):
        idx = {int(n.split('.')[1]) for n in names if n.startswith(f'layer{layer}.')}
        counts.append(max(idx) + 1 if idx else 0)
    return tuple(counts)


def mmdet_resnet_state(depth: int, num_stages: int) -> Dict[str, torch.Tensor]:
    """State dict of mmdet's ``ResNet`` (DeepLabV3 strides/dilations, first ``num_stages``)."""
    from mmdet.models.backbones import ResNet
    model = ResNet(depth=depth, num_stages=num_stages, strides=STRIDES[:num_stages],
                   dilations=DILATIONS[:num_stages], out_indices=(num_stages - 1, ),
                   style='pytorch')
    return model.state_dict()


def convert_state_dict(checkpoint: Any, num_stages: int = 4, depth: Optional[int] = None,
                       source: str = 'checkpoint') -> Dict[str, Any]:
    """torchvision DeepLabV3 state dict -> mmdet ResNet state dict.

    Args:
        checkpoint (dict): torchvision state dict (``backbone.*``, ``classifier.*``,
            ``aux_classifier.*``), or a dict holding it under ``state_dict``.
        num_stages (int): ResNet stages kept (3: up to ``layer3``, CMKD's level; 4: all).
        depth (int, optional): 50 / 101 / 152; None reads it from the block counts.
        source (str): name used in messages.

    Returns:
        dict: ``state_dict`` (OrderedDict, mmdet names), ``dropped`` (list of source keys),
        ``filled`` (BN ``num_batches_tracked`` counters absent from the source, set to 0),
        ``depth``.

    Raises:
        ConversionError: no ``backbone.*`` keys, unknown or inconsistent depth, a missing
            tensor or a shape mismatch (each named).
    """
    if num_stages not in (3, 4):
        raise ConversionError(f'num_stages={num_stages}: use 3 (up to layer3, CMKD) or 4')
    state = _state_dict(checkpoint, source)
    backbone = OrderedDict((k[len(PREFIX):], v) for k, v in state.items() if k.startswith(PREFIX))
    if not backbone:
        raise ConversionError(
            f'{source}: no "{PREFIX}*" keys (found e.g. {list(state)[:4]}): not a torchvision '
            f'DeepLabV3 state dict (deeplabv3_resnet50/101(...).state_dict()).')
    blocks = _blocks_per_layer(list(backbone))
    found = DEPTH_BY_BLOCKS.get(blocks)
    if depth is None:
        if found is None:
            raise ConversionError(
                f'{source}: blocks per layer {blocks} match no ResNet depth '
                f'({DEPTH_BY_BLOCKS}); pass --depth if the file is a partial backbone.')
        depth = found
    elif found is not None and found != depth:
        raise ConversionError(f'{source}: --depth {depth}, but the file holds a ResNet-{found} '
                              f'(blocks per layer {blocks}).')
    expected = mmdet_resnet_state(depth, num_stages)
    out: Dict[str, torch.Tensor] = OrderedDict()
    dropped = [k for k in state if not k.startswith(PREFIX)]
    for name, value in backbone.items():
        if name in expected:
            out[name] = value
        else:  # layer4 with num_stages=3, anything that is not a ResNet tensor
            dropped.append(PREFIX + name)
    missing = [k for k in expected if k not in out]
    filled = [k for k in missing if k.endswith('num_batches_tracked')]
    missing = [k for k in missing if k not in filled]
    if missing:
        raise ConversionError(
            f'{source}: {len(missing)} tensor(s) of mmdet ResNet-{depth} ({num_stages} stages) '
            f'are missing: {[PREFIX + k for k in missing[:10]]}'
            f'{" ..." if len(missing) > 10 else ""}. The file must be a complete torchvision '
            f'deeplabv3_resnet{depth} state dict.')
    bad = [f'{PREFIX}{k}: {tuple(out[k].shape)} vs {tuple(v.shape)}' for k, v in expected.items()
           if k in out and out[k].shape != v.shape]
    if bad:
        raise ConversionError(f'{source}: shapes differ from mmdet ResNet-{depth} (file vs '
                              f'mmdet): {bad[:10]}')
    for k in filled:
        out[k] = torch.zeros_like(expected[k])
    # mmdet's order
    out = OrderedDict((k, out[k]) for k in expected)
    return dict(state_dict=out, dropped=dropped, filled=filled, depth=depth)


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` to ``path + '.tmp'``, then ``os.replace`` it over ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = path + '.tmp'
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def convert_file(src: str, dst: str, num_stages: int = 4,
                 depth: Optional[int] = None) -> Dict[str, Any]:
    """Read ``src``, convert it (:func:`convert_state_dict`) and write ``dst`` atomically.

    Returns:
        dict: what :func:`convert_state_dict` returns.
    """
    if not osp.isfile(src):
        raise FileNotFoundError(f'{src!r} does not exist')
    checkpoint = torch.load(src, map_location='cpu', weights_only=True)
    result = convert_state_dict(checkpoint, num_stages, depth, source=src)
    meta = dict(converted_from=osp.abspath(src), converter='tools/convert_deeplabv3_torchvision.py',
                arch=f'mmdet ResNet-{result["depth"]}, {num_stages} stages, torchvision DeepLabV3 '
                     f'backbone weights', dropped_keys=len(result['dropped']))
    atomic_torch_save(dict(meta=meta, state_dict=result['state_dict']), dst)
    return result


def _groups(keys: List[str]) -> Dict[str, int]:
    groups: Dict[str, int] = OrderedDict()
    for k in keys:
        parts = k.split('.')
        group = '.'.join(parts[:2]) if parts[0] == PREFIX[:-1] else parts[0]
        groups[group] = groups.get(group, 0) + 1
    return groups


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='torchvision DeepLabV3 state dict (.pth)')
    parser.add_argument('dst', help='output mmengine checkpoint (.pth)')
    parser.add_argument('--num-stages', type=int, default=4, choices=(3, 4),
                        help='ResNet stages to keep (3: up to layer3, as CMKD reads it)')
    parser.add_argument('--depth', type=int, default=None, choices=(50, 101, 152),
                        help='ResNet depth (default: read from the file)')
    return parser.parse_args(argv)


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    result = convert_file(args.src, args.dst, args.num_stages, args.depth)
    groups = ', '.join(f'{g}.* ({n})' for g, n in _groups(result['dropped']).items())
    print(f'dropped {len(result["dropped"])} tensors: {groups or "none"}')
    if result['filled']:
        print(f'set {len(result["filled"])} absent BN num_batches_tracked counters to 0')
    print(f'wrote {args.dst}: mmdet ResNet-{result["depth"]}, {args.num_stages} stages, '
          f'{len(result["state_dict"])} tensors')
    return 0


if __name__ == '__main__':
    sys.exit(main())
