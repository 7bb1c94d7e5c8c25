# Copyright (c) distillbev contributors. All rights reserved.
"""A hand-made monocular KITTI-style data sample (one car, or no object) for MonoDLE tests."""
import torch
from mmdet3d.structures import CameraInstance3DBoxes, Det3DDataSample, points_cam2img
from mmengine.structures import InstanceData

MONO_HW = (64, 128)
MONO_CAM2IMG = torch.tensor([[100., 0., 64., 0.], [0., 100., 32., 0.], [0., 0., 1., 0.],
                             [0., 0., 0., 1.]])


def mono_sample(with_object: bool = True, hw=MONO_HW, cam2img=MONO_CAM2IMG):
    """A Det3DDataSample: a car at (0.5, 1.0, 10) m (bottom centre, camera frame), its projected
    gravity centre and a 2D box, or empty instances."""
    meta = dict(cam2img=cam2img.tolist(), img_shape=tuple(hw), pad_shape=tuple(hw),
                box_type_3d=CameraInstance3DBoxes)
    s = Det3DDataSample(metainfo=meta)
    if with_object:
        boxes = CameraInstance3DBoxes(torch.tensor([[0.5, 1.0, 10.0, 3.9, 1.6, 1.6, 0.2]]))
        c2d = points_cam2img(boxes.gravity_center, cam2img)
        s.gt_instances_3d = InstanceData(bboxes_3d=boxes, labels_3d=torch.tensor([2]),
                                         centers_2d=c2d, depths=boxes.gravity_center[:, 2])
        s.gt_instances = InstanceData(bboxes=torch.tensor([[50., 20., 90., 44.]]),
                                      labels=torch.tensor([2]))
    else:
        s.gt_instances_3d = InstanceData(
            bboxes_3d=CameraInstance3DBoxes(torch.zeros(0, 7)),
            labels_3d=torch.zeros(0, dtype=torch.long), centers_2d=torch.zeros(0, 2),
            depths=torch.zeros(0))
        s.gt_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                      labels=torch.zeros(0, dtype=torch.long))
    return s
