# Copyright (c) distillbev contributors. All rights reserved.
"""Channel-wise distillation of BEV feature maps, added to distillbev from outside the package."""
import torch
import torch.nn.functional as F
from mmdet3d.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class ChannelWiseDivergenceBEVLoss(nn.Module):
    """Channel-wise distillation (CWD).

    Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021. Each
    channel of a feature map is turned into a distribution over the spatial positions by a
    softmax with temperature ``tau``; the student's distribution of every channel is pulled
    towards the teacher's with the KL divergence KL(teacher || student):

    ``loss = loss_weight * tau^2 / (B * C) * sum_{b,c} sum_{hw} p_t log(p_t / p_s)``,
    ``p = softmax_{hw}(x[b, c] / tau)``.

    Args:
        tau (float): softmax temperature. Defaults to 1.0.
        loss_weight (float): multiplier of the result. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'ChannelWiseDivergenceBEVLoss: tau must be > 0, got {tau}')
        self.tau, self.loss_weight = float(tau), float(loss_weight)

    def forward(self, s_feat: Tensor, t_feat: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            s_feat (Tensor): (B, C, H, W) student features (after an adapter to C channels).
            t_feat (Tensor): (B, C, H, W) teacher features (no gradient needed).

        Returns:
            Tensor: scalar, the KL summed over positions, averaged over batch and channels.
        """
        if s_feat.shape != t_feat.shape:
            raise ValueError(f'ChannelWiseDivergenceBEVLoss: student {tuple(s_feat.shape)} and '
                             f'teacher {tuple(t_feat.shape)} features differ; map the student '
                             f'to the teacher with an adapter (e.g. Conv1x1Adapter)')
        b, c = s_feat.shape[:2]
        s = s_feat.float().reshape(b * c, -1) / self.tau
        t = t_feat.detach().float().reshape(b * c, -1) / self.tau
        log_pt, log_ps = F.log_softmax(t, dim=1), F.log_softmax(s, dim=1)
        kl = (log_pt.exp() * (log_pt - log_ps)).sum(dim=1)
        return self.loss_weight * self.tau ** 2 * kl.mean()
