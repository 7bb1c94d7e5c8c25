# Copyright (c) distillbev contributors. All rights reserved.
"""`import distillbev` registers its modules into mmdet3d's own registries, and a config's
`custom_imports` does the same in a fresh interpreter."""
import subprocess
import sys

import pytest

import distillbev  # noqa: F401
from mmdet3d.registry import HOOKS, MODELS, TRANSFORMS

EXPECTED = {
    MODELS: {
        # students and their parts
        'BEVDet', 'BEVDepth', 'LiftSplatViewTransformer', 'BEVDepthViewTransformer',
        'CameraAwareDepthNet', 'BEVResNetBackbone', 'BEVLSSFPNNeck',
        'CMKDMonoBEV', 'LIDDepthViewTransformer', 'Conv2DCollapse', 'SCNetBEVNeck',
        # distillation
        'CrossModalDistiller', 'IdentityAdapter', 'Conv1x1Adapter', 'ConvReLUConvAdapter',
        'UpsampleMLPAdapter',
        # KD targets
        'BEVGrid', 'BEVBoxMask', 'BoxKeypoints', 'TeacherFPMask', 'TeacherConfidence',
        # KD losses (CMKD, UniDistill, DistillBEV)
        'MaskedFeatureMimicLoss', 'HeatmapResponseLoss', 'RegressionResponseLoss',
        'AnchorResponseLoss',
        'KeypointFeatureLoss', 'KeypointRelationLoss', 'FGBGAttentionFeatureLoss',
        # MonoMMKD (reconstructed) and the depth-image teacher's batching
        'DepthDistributionBranch', 'RPDDepthBins', 'DepthUncertaintyWeight', 'DualKLLoss',
        'DepthMimicLoss', 'DepthImageDet3DDataPreprocessor',
    },
    TRANSFORMS: {
        'LoadMultiViewImagesWithCalib', 'MultiViewImageAffineAug', 'GlobalBEVAug3D',
        'MultiViewDepthFromLiDAR', 'PackMultiViewDet3DInputs',
        'DepthImageInput', 'PackDepthImageInputs', 'MonoAffineSMOKEMeta',
    },
    HOOKS: {'StopDistillationHook', 'DistillWeightHook', 'TeacherFrozenGuardHook'},
}


def _distillbev_names(registry):
    return {name for name, cls in registry.module_dict.items()
            if cls.__module__.startswith('distillbev.')}


@pytest.mark.parametrize('registry', list(EXPECTED), ids=lambda r: r.name)
def test_modules_are_in_mmdet3d_registries(registry):
    assert registry.scope == 'mmdet3d'
    registered = _distillbev_names(registry)
    assert EXPECTED[registry] <= registered, EXPECTED[registry] - registered
    for name in EXPECTED[registry]:
        assert registry.get(name).__module__.startswith('distillbev.')


def test_custom_imports_registers_in_a_fresh_interpreter(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("custom_imports = dict(imports=['distillbev'], allow_failed_imports=False)\n"
                   "default_scope = 'mmdet3d'\n")
    code = ('import sys; from mmengine.config import Config; '
            f'Config.fromfile({str(cfg)!r}); '
            'from mmdet3d.registry import MODELS, TRANSFORMS; '
            "assert 'distillbev' in sys.modules; "
            "print(MODELS.get('CrossModalDistiller').__module__, "
            "TRANSFORMS.get('GlobalBEVAug3D').__module__)")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'distillbev.models.distillers' in out.stdout
