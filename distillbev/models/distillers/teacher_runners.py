# Copyright (c) distillbev contributors. All rights reserved.
"""Teacher runners: how the frozen teacher is run so that its taps record (one class per kind).

A runner is a small class registered in mmdet3d's ``MODELS`` (like every distillbev component,
so a project adds a new teacher kind with ``@MODELS.register_module()`` and ``custom_imports``)
and named in the distiller's config: ``teacher_runner=dict(type='TeacherFeatureRunner')``.

The base class :class:`TeacherRunner` owns what every kind shares: mapping batch inputs onto the
teacher's input keys, voxelising points with the teacher's own data preprocessor, ``no_grad``,
fp32 (autocast off), recording the teacher taps, and the early exit (the tap recorder raises
:class:`~.taps.TapsComplete` once every tap fired; it is caught here and nowhere else). A
subclass only implements :meth:`TeacherRunner.forward`.

- ``TeacherFeatureRunner``: ``extract_feat`` (legacy ``teacher_forward='extract_feat'``);
- ``TeacherFeatureHeadRunner``: ``extract_feat`` + the head (legacy ``'extract_feat+head'``);
- ``TeacherTensorRunner``: the teacher's ``_forward`` (legacy ``'tensor'``);
- ``TeacherDepthImageRunner``: image-input ``extract_feat`` [+ head], ``imgs`` <- the batch's
  ``depth_imgs``, never voxelises (MonoDistill-style depth-image teachers);
- voxelising: every runner voxelises the mapped ``points`` with the teacher's own data
  preprocessor when that preprocessor voxelizes (``voxelize='auto'``; ``True`` / ``False`` force
  it), so LiDAR teachers need no voxel layer in the student's config.
"""
import contextlib
from typing import Any, Dict, Optional, Sequence, Union

import torch
from mmdet3d.registry import MODELS
from torch import nn

from .refs import DistillerConfigError
from .taps import TapRecorder, TapsComplete

LEGACY_RUNNERS = {'extract_feat': 'TeacherFeatureRunner',
                  'extract_feat+head': 'TeacherFeatureHeadRunner',
                  'tensor': 'TeacherTensorRunner'}


class TeacherRunner:
    """Base teacher runner: input mapping, voxelisation, no_grad/fp32, taps, early exit.

    Args:
        inputs (dict, optional): teacher input key -> key of the preprocessed batch inputs.
            Defaults to ``dict(points='points')``.
        voxelize (bool | str): ``'auto'`` (default): when the teacher's ``data_preprocessor``
            voxelizes (``voxel=True``) and ``voxels`` is not mapped, voxelise the mapped
            ``points`` with it (so the teacher's voxel layer never has to be copied into the
            student's config); True: always (build error if the teacher cannot); False: never.
        fp32 (bool): run the teacher with autocast disabled. Defaults to True.
    """

    name = 'base'
    default_inputs: Dict[str, str] = dict(points='points')

    def __init__(self, inputs: Optional[Dict[str, str]] = None,
                 voxelize: Union[bool, str] = 'auto', fp32: bool = True) -> None:
        if voxelize not in (True, False, 'auto'):
            raise DistillerConfigError(f"{type(self).__name__}: voxelize must be True, False or "
                                       f"'auto', got {voxelize!r}")
        self.inputs = dict(inputs or self.default_inputs)
        self.voxelize = voxelize
        self.fp32 = fp32

    def check(self, teacher: nn.Module, recorder: TapRecorder) -> None:
        """Build-time validation against the teacher and its taps (override to add checks)."""
        pre = getattr(teacher, 'data_preprocessor', None)
        if self.voxelize is True and not hasattr(pre, 'voxelize'):
            raise DistillerConfigError(
                f'{type(self).__name__}(voxelize=True): the teacher\'s data_preprocessor '
                f'({type(pre).__name__}) has no voxelize(); use voxelize="auto" or map '
                f'voxels from the batch: inputs=dict(points="points", voxels="voxels")')

    def _teacher_inputs(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> dict:
        t_inputs = {}
        for key, src in self.inputs.items():
            if src not in inputs:
                raise KeyError(f'teacher_inputs maps {key!r} to batch input {src!r}, but the batch '
                               f'has {sorted(inputs)}; check the pipeline (Pack3DDetInputs keys)')
            t_inputs[key] = inputs[src]
        pre = getattr(teacher, 'data_preprocessor', None)
        wanted = self.voxelize is True or (self.voxelize == 'auto' and getattr(pre, 'voxel', False))
        if wanted and 'voxels' not in t_inputs and 'points' in t_inputs:
            t_inputs['voxels'] = pre.voxelize(t_inputs['points'], data_samples)
        return t_inputs

    def forward(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> None:
        """Run the teacher far enough for its taps to fire (outputs are read from the taps)."""
        raise NotImplementedError

    def __call__(self, teacher: nn.Module, recorder: TapRecorder, inputs: dict,
                 data_samples: Sequence) -> Dict[str, Any]:
        """Run the frozen teacher on a batch and return its tap values.

        Args:
            teacher (nn.Module): the frozen teacher (kept in eval mode).
            recorder (TapRecorder): the teacher's taps.
            inputs (dict): the preprocessed batch inputs (the student's).
            data_samples (list[Det3DDataSample]): the batch samples.

        Returns:
            dict: tap name -> recorded value.
        """
        teacher.eval()
        param = next(iter(teacher.parameters()), None)
        device_type = param.device.type if param is not None else 'cpu'
        amp = torch.autocast(device_type=device_type, enabled=False) if self.fp32 \
            else contextlib.nullcontext()
        with torch.no_grad(), amp, recorder:
            t_inputs = self._teacher_inputs(teacher, inputs, data_samples)
            try:
                self.forward(teacher, t_inputs, data_samples)
            except TapsComplete:  # early exit: every teacher tap has fired
                pass
        return recorder.pop_values()


@MODELS.register_module()
class TeacherFeatureRunner(TeacherRunner):
    """``teacher.extract_feat``: backbone/neck taps (the head does not run).

    Args:
        with_metas (bool): call ``extract_feat(inputs, metas)`` (mmdet3d's two-stage/MVX
            detectors such as CenterPoint, and distillbev's BEV students) or
            ``extract_feat(inputs)`` (mmdet3d's single-stage detectors). Defaults to True.
        feature_index (int, optional): element of ``extract_feat``'s output that the head takes
            (``1`` = point features of an MVX detector's ``(img_feats, pts_feats)``).
        **kwargs: see :class:`TeacherRunner`.
    """

    name = 'extract_feat'

    def __init__(self, with_metas: bool = True, feature_index: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_metas = with_metas
        self.feature_index = feature_index

    def features(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> Any:
        """``extract_feat``'s output (after ``feature_index``)."""
        if self.with_metas:
            feats = teacher.extract_feat(inputs, [s.metainfo for s in data_samples])
        else:
            feats = teacher.extract_feat(inputs)
        return feats if self.feature_index is None else feats[self.feature_index]

    def forward(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> None:
        self.features(teacher, inputs, data_samples)


@MODELS.register_module()
class TeacherFeatureHeadRunner(TeacherFeatureRunner):
    """``extract_feat`` then the head's forward (head taps, e.g. CenterHead logits; no decoding,
    no NMS, no loss).

    Args:
        head (str): attribute of the teacher head; ``'auto'`` picks ``pts_bbox_head`` if the
            teacher has one, else ``bbox_head``.
        **kwargs: see :class:`TeacherFeatureRunner`.
    """

    name = 'extract_feat+head'

    def __init__(self, head: str = 'auto', **kwargs) -> None:
        super().__init__(**kwargs)
        self.head = head

    def check(self, teacher: nn.Module, recorder: TapRecorder) -> None:
        super().check(teacher, recorder)
        if self.head == 'auto':
            self.head = head_attribute(teacher)
        if getattr(teacher, self.head, None) is None:
            raise DistillerConfigError(f'the teacher has no head {self.head!r}; set '
                                       f'teacher_head to its head attribute')

    def forward(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> None:
        getattr(teacher, self.head)(self.features(teacher, inputs, data_samples))


@MODELS.register_module()
class TeacherTensorRunner(TeacherRunner):
    """``teacher._forward(inputs, data_samples)``: the teacher's own tensor mode."""

    name = 'tensor'

    def forward(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> None:
        teacher._forward(inputs, data_samples)


@MODELS.register_module()
class TeacherDepthImageRunner(TeacherFeatureHeadRunner):
    """A teacher whose input is an image-like tensor: a mono detector run on projected LiDAR
    depth images (MonoDistill, MonoMMKD). Never voxelises; ``extract_feat(inputs)`` (mmdet3d's
    single-stage mono convention), plus the head when ``head`` is set.

    Args:
        inputs (dict): defaults to ``dict(imgs='depth_imgs')`` (the batch's ``depth_imgs``,
            (B, C, H, W), become the teacher's ``imgs``).
        head (str, optional): head attribute to run after the features (``'auto'``:
            ``bbox_head``); None (default) runs the features only.
        **kwargs: see :class:`TeacherFeatureRunner` (``with_metas`` defaults to False).
    """

    name = 'depth_image'
    default_inputs = dict(imgs='depth_imgs')

    def __init__(self, head: Optional[str] = None, with_metas: bool = False, **kwargs) -> None:
        kwargs.setdefault('voxelize', False)
        super().__init__(head=head, with_metas=with_metas, **kwargs)

    def check(self, teacher: nn.Module, recorder: TapRecorder) -> None:
        if self.head is not None:
            super().check(teacher, recorder)
        if self.voxelize:
            raise DistillerConfigError('TeacherDepthImageRunner reads images: voxelize must be '
                                       'False')

    def _teacher_inputs(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> dict:
        t_inputs = super()._teacher_inputs(teacher, inputs, data_samples)
        for key, value in t_inputs.items():
            if not (torch.is_tensor(value) and value.dim() in (4, 5)):
                raise ValueError(
                    f'TeacherDepthImageRunner: teacher input {key!r} (batch '
                    f'{self.inputs[key]!r}) must be an image tensor (B, C, H, W) or (B, N, C, H, '
                    f'W), got {type(value).__name__} {tuple(getattr(value, "shape", ()))}; add '
                    f'the depth-image transform to the pipeline and pack its key')
        return t_inputs

    def forward(self, teacher: nn.Module, inputs: dict, data_samples: Sequence) -> None:
        feats = self.features(teacher, inputs, data_samples)
        if self.head is not None:
            getattr(teacher, self.head)(feats)


def head_attribute(teacher: nn.Module) -> str:
    """``'pts_bbox_head'`` when the teacher has one, else ``'bbox_head'``."""
    return 'pts_bbox_head' if getattr(teacher, 'pts_bbox_head', None) is not None \
        else 'bbox_head'


def legacy_runner_cfg(mode: str, teacher: nn.Module, recorder: TapRecorder,
                      head: str = 'auto') -> dict:
    """The runner config of a legacy ``teacher_forward`` string.

    ``'auto'`` is ``'extract_feat+head'`` when a teacher tap lies in the head, else
    ``'extract_feat'``. The ``extract_feat`` calling convention follows mmdet3d's detector APIs,
    read from the teacher's methods rather than its class: a teacher with ``extract_pts_feat``
    (the MVX two-stage API, e.g. CenterPoint) returns ``(img_feats, pts_feats)`` and takes metas;
    another teacher takes metas when its head is ``pts_bbox_head`` (distillbev's BEV detectors)
    and not when it is ``bbox_head`` (mmdet3d's single-stage detectors). Teachers outside these
    conventions name a runner: ``teacher_runner=dict(type=..., with_metas=..., feature_index=...)``.

    Args:
        mode (str): ``'auto'``, ``'extract_feat'``, ``'extract_feat+head'`` or ``'tensor'``.
        teacher (nn.Module): the teacher.
        recorder (TapRecorder): the teacher's taps.
        head (str): head attribute or ``'auto'``.

    Returns:
        dict: a runner config (``type`` plus arguments).
    """
    if mode not in ('auto', *LEGACY_RUNNERS):
        raise DistillerConfigError(
            f"teacher_forward must be 'auto', 'extract_feat', 'extract_feat+head' or "
            f"'tensor', got {mode!r}")
    if mode == 'tensor':
        return dict(type=LEGACY_RUNNERS[mode])
    head = head_attribute(teacher) if head == 'auto' else head
    if mode == 'auto':
        in_head = any(p == head or p.startswith(head + '.') for p in recorder.paths().values())
        mode = 'extract_feat+head' if in_head else 'extract_feat'
    mvx = callable(getattr(teacher, 'extract_pts_feat', None))
    cfg = dict(type=LEGACY_RUNNERS[mode], with_metas=mvx or head.startswith('pts_'),
               feature_index=(1 if head.startswith('pts') else 0) if mvx else None)
    if mode == 'extract_feat+head':
        cfg['head'] = head
    return cfg


def build_teacher_runner(cfg: Optional[Union[dict, TeacherRunner]], teacher: nn.Module,
                         recorder: TapRecorder, teacher_forward: str = 'auto',
                         head: str = 'auto', inputs: Optional[Dict[str, str]] = None,
                         fp32: bool = True) -> TeacherRunner:
    """Build and check the distiller's teacher runner.

    Args:
        cfg (dict | TeacherRunner, optional): ``teacher_runner`` of the distiller; None uses the
            legacy ``teacher_forward`` (see :func:`legacy_runner_cfg`).
        teacher (nn.Module): the teacher.
        recorder (TapRecorder): the teacher's taps.
        teacher_forward (str): legacy runner name.
        head (str): head attribute for the legacy names.
        inputs (dict, optional): ``teacher_inputs`` (used when the runner config sets none).
        fp32 (bool): ``teacher_fp32`` (used when the runner config sets none).

    Returns:
        TeacherRunner: the checked runner.
    """
    if not isinstance(cfg, TeacherRunner):
        cfg = dict(cfg or legacy_runner_cfg(teacher_forward, teacher, recorder, head))
        cfg.setdefault('fp32', fp32)
        if inputs is not None:
            cfg.setdefault('inputs', inputs)
        cls = MODELS.get(cfg.get('type')) if isinstance(cfg.get('type'), str) else cfg.get('type')
        if not (isinstance(cls, type) and issubclass(cls, TeacherRunner)):
            raise DistillerConfigError(
                f'teacher_runner type {cfg.get("type")!r} is not a registered TeacherRunner '
                f'subclass; use one of {sorted(LEGACY_RUNNERS.values())} + '
                f'TeacherDepthImageRunner, or register your own with @MODELS.register_module()')
        cfg = MODELS.build(cfg)
    cfg.check(teacher, recorder)
    return cfg
