# Copyright (c) distillbev contributors. All rights reserved.
import torch

from distillbev.models.kd_targets import TeacherFPMask


def test_fp_mask_by_hand():
    # B = 2, one row of 4 cells; two tasks (2 classes + 1 class), logits
    t0 = torch.tensor([[[[-3.0, 0.0, 2.0, -3.0]], [[-3.0, -3.0, -3.0, -3.0]]],
                       [[[-3.0, -3.0, -3.0, -3.0]], [[-3.0, -3.0, -3.0, -3.0]]]])
    t1 = torch.tensor([[[[-3.0, -3.0, -3.0, -1.0]]], [[[-3.0, -3.0, -3.0, -3.0]]]])
    # sigmoid: -3 -> 0.047 (< 0.1), 0 -> 0.5, 2 -> 0.88, -1 -> 0.27
    t_preds = [[dict(heatmap=t0)], [dict(heatmap=t1)]]  # raw CenterHead.forward layout
    gt = torch.tensor([[[[0.0, 0.0, 0.5, 0.0]]], [[[0.0, 0.0, 0.0, 0.0]]]])
    fg = torch.tensor([[[[0.0, 1.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0, 0.0]]]])
    out = TeacherFPMask(thr=0.1, gt_thr=0.1)(t_preds, gt, fg_mask=fg)
    # teacher > 0.1 at cols 1, 2, 3; GT-free at 0, 1, 3; not foreground at 0, 2, 3 -> col 3
    assert out['mask'].tolist() == [[[[0.0, 0.0, 0.0, 1.0]]], [[[0.0, 0.0, 0.0, 0.0]]]]
    assert out['scale'].flatten().tolist() == [1.0, 1.0]  # 1 / max(1, N_fp)
    # without the fg mask, col 1 is a false positive too -> scale 1 / 2
    out2 = TeacherFPMask()(t_preds, [gt, gt])
    assert out2['mask'][0, 0, 0].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert out2['scale'][0].item() == 0.5
    # probabilities instead of logits; resized levels (nearest: columns 0 and 2)
    probs = [torch.sigmoid(t0), torch.sigmoid(t1)]
    out3 = TeacherFPMask(teacher_is_prob=True)(probs, gt, shape=[(1, 4), (1, 2)])
    assert out3['mask'][0][0, 0, 0].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert out3['mask'][1][0, 0, 0].tolist() == [0.0, 0.0]
