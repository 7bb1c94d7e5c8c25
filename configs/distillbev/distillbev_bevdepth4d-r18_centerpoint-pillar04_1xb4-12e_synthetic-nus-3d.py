# Copyright (c) distillbev contributors. All rights reserved.
# DistillBEV (ICCV 2023) on its temporal student: BEVDepth4D-R18 (two key frames) on the generated
# nuScenes-layout data, with the 0.4 m CenterPoint-pillar teacher. DistillBEV distils the fused
# current-frame BEV features (the BEV encoder's input is the current lift-splat BEV concatenated
# with the previous frame's, warped), at the three levels and with the weights of
# distillbev_bevdepth-r50_centerpoint-pillar02_8xb8-cbgs-24e_nus-3d.py; the stage pairing and
# adapters are those of the BEVDepth-R18 student (the stages keep its widths: 80, 160, 320).
_base_ = [
    '../_base_/distillers/bevdepth4d-r18_centerpoint-pillar04_synthetic-nus.py',
    '../_base_/kd/distillbev.py'
]

model = dict(
    student_taps={{_base_.distillbev_student_taps}},
    teacher_taps={{_base_.distillbev_teacher_taps}},
    adapters={{_base_.distillbev_bevdepth_r18_adapters}},
    kd_targets={{_base_.distillbev_pillar04_kd_targets}},
    distill_losses={{_base_.distillbev_pillar04_distill_losses}},
    inherit_from_teacher={{_base_.distillbev_inherit_from_teacher}})
