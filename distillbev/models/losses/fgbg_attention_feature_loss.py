# Copyright (c) distillbev contributors. All rights reserved.
"""DistillBEV region-decomposed, attention-weighted BEV feature distillation."""
from typing import List, Optional, Sequence, Union

import torch
from mmdet3d.registry import MODELS
from torch import Tensor, nn

from .utils import as_list, broadcast_levels, check_same_shape, check_spatial, no_autocast

_Levels = Union[Tensor, Sequence[Optional[Tensor]], None]
_Weight = Union[float, Sequence[float]]


@MODELS.register_module()
class FGBGAttentionFeatureLoss(nn.Module):
    """Foreground / background / teacher-false-positive feature KD with attention.

    DistillBEV (Wang et al., "DistillBEV: Boosting Multi-Camera 3D Object Detection with
    Cross-Modal Knowledge Distillation", ICCV 2023), applied per level (a list of levels is
    summed). For one level with student ``S`` (after the adapter) and teacher ``T`` (detached),
    both (B, C, H, W), and ``d = (S - T)^2`` (``criterion='mse'``):

    - spatial attention ``a = H W softmax_hw(mean_c |T| / temp_spatial)`` (B, 1, H, W); with
      ``attention='teacher_student'``, ``a = (a_T + a_S) / 2`` with ``a_S`` the same map of the
      (detached, adapted) student features;
    - channel attention ``c = C softmax_c(mean_hw |T| / temp_channel)`` (B, C, 1, 1);
    - regions: ``FG = fg_mask > 0``; ``FP = (fp_mask > 0) * (1 - FG)``;
      ``BG = (1 - FG) * (1 - FP)``;
    - scales: ``fg_scale`` (B, 1, H, W) (``BEVBoxMask(scale='sqrt_area')``: 1 / sqrt(box
      area in cells)); ``bg_scale`` if given, else ``1 / max(1, sum BG)`` per sample (the
      official ``1 / (H W - N_fg - N_fp)``); ``fp_scale`` if given, else ``1 / max(1, sum FP)``;

    and the terms (all **summed** over channels and cells and divided by B, as the official
    code, hence the small weights):

    - ``L_fg = fg_weight / B * sum d * FG * fg_scale * a (* c if use_channel_mask)``
    - ``L_bg = bg_weight / B * sum d * BG * bg_scale * a (* c if use_channel_mask)``
    - ``L_fp = fp_weight / B * sum d * FP * fp_scale * a (* c if fp_uses_channel_att)``
    - ``L_sp = spatial_weight / B * sum_{b,h,w} |mean_c T - conv3x3(mean_c S)|`` with a learned
      1 -> 1 channel 3x3 conv per level (owned here: put this loss inside the distiller so the
      optimiser sees it),
    - ``L_ch = channel_weight / B * sum_{b,c} |mean_hw T - mean_hw S|`` (if channel_weight > 0).

    Returned: ``loss_weight * sum_levels (L_fg + L_bg + L_fp + L_sp + L_ch)``. Released
    BEVDepth weights (defaults): fg 6e-3, bg 4e-2, spatial 2.5e-3 on 3 levels, fp 6e-2 on the
    head level (give ``fp_mask`` only there), channel off, temperatures 0.5, and
    ``attention='teacher_student'`` (the released training scripts average the two attention
    maps; the default ``'teacher'`` is the repository's single-level config).

    Args:
        num_levels (int): number of feature levels (one spatial conv each). Defaults to 1.
        fg_weight (float | list[float]): per-level or shared. Defaults to 6e-3.
        bg_weight (float | list[float]): Defaults to 4e-2.
        fp_weight (float | list[float]): Defaults to 6e-2 (only where ``fp_mask`` is given).
        spatial_weight (float | list[float]): Defaults to 2.5e-3.
        channel_weight (float | list[float]): Defaults to 0.
        temp_spatial (float): spatial softmax temperature. Defaults to 0.5.
        temp_channel (float): channel softmax temperature. Defaults to 0.5.
        attention (str): ``'teacher'`` or ``'teacher_student'`` (spatial). Defaults to 'teacher'.
        use_channel_mask (bool): channel attention on the FG/BG terms. Defaults to False.
        fp_uses_channel_att (bool): channel attention on the FP term (official). Defaults True.
        criterion (str): ``'mse'`` (official) or ``'l1'``. Defaults to 'mse'.
        loss_weight (float): overall multiplier. Defaults to 1.0.
    """

    def __init__(self,
                 num_levels: int = 1,
                 fg_weight: _Weight = 6e-3,
                 bg_weight: _Weight = 4e-2,
                 fp_weight: _Weight = 6e-2,
                 spatial_weight: _Weight = 2.5e-3,
                 channel_weight: _Weight = 0.0,
                 temp_spatial: float = 0.5,
                 temp_channel: float = 0.5,
                 attention: str = 'teacher',
                 use_channel_mask: bool = False,
                 fp_uses_channel_att: bool = True,
                 criterion: str = 'mse',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if attention not in ('teacher', 'teacher_student'):
            raise ValueError(f"attention must be 'teacher' or 'teacher_student'; got {attention!r}")
        if criterion not in ('mse', 'l1'):
            raise ValueError(f"criterion must be 'mse' or 'l1'; got {criterion!r}")
        self.num_levels = int(num_levels)
        self.fg_weight = self._per_level(fg_weight, 'fg_weight')
        self.bg_weight = self._per_level(bg_weight, 'bg_weight')
        self.fp_weight = self._per_level(fp_weight, 'fp_weight')
        self.spatial_weight = self._per_level(spatial_weight, 'spatial_weight')
        self.channel_weight = self._per_level(channel_weight, 'channel_weight')
        self.temp_spatial = float(temp_spatial)
        self.temp_channel = float(temp_channel)
        self.attention = attention
        self.use_channel_mask = use_channel_mask
        self.fp_uses_channel_att = fp_uses_channel_att
        self.criterion = criterion
        self.loss_weight = float(loss_weight)
        self.spatial_convs = nn.ModuleList(
            [nn.Conv2d(1, 1, kernel_size=3, padding=1) for _ in range(self.num_levels)])

    def _per_level(self, w: _Weight, name: str) -> List[float]:
        if isinstance(w, (list, tuple)):
            if len(w) != self.num_levels:
                raise ValueError(f'{name} has {len(w)} values for {self.num_levels} levels')
            return [float(v) for v in w]
        return [float(w)] * self.num_levels

    def forward(self,
                s_feat: Union[Tensor, Sequence[Tensor]],
                t_feat: Union[Tensor, Sequence[Tensor]],
                fg_mask: _Levels,
                fg_scale: _Levels = None,
                bg_scale: _Levels = None,
                fp_mask: _Levels = None,
                fp_scale: _Levels = None) -> Tensor:
        """Loss over the levels.

        Args:
            s_feat (Tensor | list[Tensor]): per level (B, C, H, W) student features (adapted).
            t_feat (Tensor | list[Tensor]): per level (B, C, H, W) teacher features.
            fg_mask (Tensor | list[Tensor]): per level (B, 1, H, W) binary GT-box mask at that
                level's resolution (``BEVBoxMask(out_shapes=[...])['mask']``).
            fg_scale (Tensor | list[Tensor], optional): per level (B, 1, H, W); 1 if None.
            bg_scale (Tensor | list[Tensor], optional): per level (B, 1, 1, 1) or
                (B, 1, H, W); None: ``1 / #BG cells`` (recommended, FP-aware).
            fp_mask (Tensor | list[Tensor | None], optional): per level (B, 1, H, W) teacher
                false positives (``TeacherFPMask``); None: no FP term on that level.
            fp_scale (Tensor | list[Tensor | None], optional): per level (B, 1, 1, 1);
                None: ``1 / #FP cells``.

        Returns:
            Tensor: scalar float32, already multiplied by ``loss_weight``.
        """
        s_list, t_list = as_list(s_feat), as_list(t_feat)
        n = len(s_list)
        if len(t_list) != n:
            raise ValueError(f'{n} student levels but {len(t_list)} teacher levels')
        if n != self.num_levels:
            raise ValueError(f'FGBGAttentionFeatureLoss was built with num_levels='
                             f'{self.num_levels} but got {n} levels; set num_levels={n}')
        if fg_mask is None:
            raise ValueError('FGBGAttentionFeatureLoss needs fg_mask (BEVBoxMask output)')
        args = [broadcast_levels(a, n, name) for a, name in (
            (fg_mask, 'fg_mask'), (fg_scale, 'fg_scale'), (bg_scale, 'bg_scale'),
            (fp_mask, 'fp_mask'), (fp_scale, 'fp_scale'))]
        with no_autocast(s_list[0]):
            total = s_list[0].new_zeros((), dtype=torch.float32)
            for i in range(n):
                total = total + self._level(i, s_list[i], t_list[i], *[a[i] for a in args])
        return total * self.loss_weight

    @staticmethod
    def _spatial_att(x: Tensor, temp: float) -> Tensor:
        bsz, _, h, w = x.shape
        logits = x.abs().mean(dim=1).reshape(bsz, -1) / temp
        return (h * w * torch.softmax(logits, dim=1)).reshape(bsz, 1, h, w)

    def _level(self, i: int, s: Tensor, t: Tensor, fg_mask: Tensor, fg_scale: Optional[Tensor],
               bg_scale: Optional[Tensor], fp_mask: Optional[Tensor],
               fp_scale: Optional[Tensor]) -> Tensor:
        check_same_shape(s, t, f'FGBGAttentionFeatureLoss level {i}')
        for m, name in ((fg_mask, 'fg_mask'), (fg_scale, 'fg_scale'), (fp_mask, 'fp_mask')):
            check_spatial(m, s, f'FGBGAttentionFeatureLoss level {i} {name}')
        s, t = s.float(), t.detach().float()
        bsz, chans = s.shape[:2]
        with torch.no_grad():
            att = self._spatial_att(t, self.temp_spatial)
            if self.attention == 'teacher_student':
                att = (att + self._spatial_att(s.detach(), self.temp_spatial)) / 2
            chan_att = chans * torch.softmax(
                t.abs().mean(dim=(2, 3)) / self.temp_channel, dim=1)[..., None, None]
            fg = (fg_mask.detach().float() > 0).float()
            fg_s = fg if fg_scale is None else fg * fg_scale.detach().float()
            if fp_mask is not None:
                fp = (fp_mask.detach().float() > 0).float() * (1 - fg)
            else:
                fp = torch.zeros_like(fg)
            bg = (1 - fg) * (1 - fp)
            if bg_scale is None:
                bg_s = bg / bg.sum(dim=(1, 2, 3), keepdim=True).clamp(min=1)
            else:
                bg_s = bg * bg_scale.detach().float()
            if fp_scale is None:
                fp_s = fp / fp.sum(dim=(1, 2, 3), keepdim=True).clamp(min=1)
            else:
                fp_s = fp * fp_scale.detach().float()
        d = (s - t) ** 2 if self.criterion == 'mse' else (s - t).abs()
        d_att = d * att
        if self.use_channel_mask:
            d_fgbg = d_att * chan_att
        else:
            d_fgbg = d_att
        loss = (self.fg_weight[i] * (d_fgbg * fg_s).sum()
                + self.bg_weight[i] * (d_fgbg * bg_s).sum())
        if fp_mask is not None and self.fp_weight[i] != 0:
            d_fp = d_att * chan_att if self.fp_uses_channel_att else d_att
            loss = loss + self.fp_weight[i] * (d_fp * fp_s).sum()
        if self.spatial_weight[i] != 0:
            s_mean = self.spatial_convs[i](s.mean(dim=1, keepdim=True))
            t_mean = t.mean(dim=1, keepdim=True)
            loss = loss + self.spatial_weight[i] * (t_mean - s_mean).abs().sum()
        if self.channel_weight[i] != 0:
            loss = loss + self.channel_weight[i] * (
                t.mean(dim=(2, 3)) - s.mean(dim=(2, 3))).abs().sum()
        return loss / bsz

    def extra_repr(self) -> str:
        return (f'num_levels={self.num_levels}, fg_weight={self.fg_weight}, '
                f'bg_weight={self.bg_weight}, fp_weight={self.fp_weight}, '
                f'spatial_weight={self.spatial_weight}, channel_weight={self.channel_weight}, '
                f'attention={self.attention!r}, loss_weight={self.loss_weight}')
