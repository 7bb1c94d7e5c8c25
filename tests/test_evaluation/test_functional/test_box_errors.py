# Copyright (c) distillbev contributors. All rights reserved.
import math

import numpy as np
import torch
from mmdet3d.structures import CameraInstance3DBoxes, LiDARInstance3DBoxes

from distillbev.evaluation.functional.box_errors import (box_error_stats, boxes_in_lidar_axes,
                                                         match_by_centre)


def box(x, y, z=0., length=4., w=2., h=1.5, yaw=0.):
    return [x, y, z, length, w, h, yaw]


def test_match_by_centre_takes_detections_by_score_and_leaves_far_ones():
    gt = np.array([box(0, 0), box(10, 0)])
    pred = np.array([box(0.5, 0), box(0.2, 0), box(10, 3)])
    # the 0.9 detection (index 1) takes the first box; the 0.5 one finds it taken and nothing
    # else within 2 m; the third is 3 m from the second box
    assert match_by_centre(pred, np.array([0.5, 0.9, 0.8]), gt, 2.0) == [(1, 0)]
    assert match_by_centre(pred, np.array([0.5, 0.9, 0.8]), gt, 3.0) == [(1, 0), (2, 1)]
    assert match_by_centre(pred[:0], np.zeros(0), gt, 2.0) == []


def test_box_error_stats_by_hand():
    frames = [
        dict(pred_boxes=[box(10.5, 1, length=4.2, yaw=math.pi),
                         box(20, 0, length=0.8, w=0.6, yaw=0.1), box(30, 0)],
             pred_scores=[0.9, 0.6, 0.1], pred_labels=[0, 1, 0],
             gt_boxes=[box(10, 0.5), box(19.6, 0.3, length=0.8, w=0.6, yaw=math.pi / 2),
                       box(40, 0)],
             gt_labels=[0, 1, -1]),
        # a frame with nothing in view, and one whose car is missed
        dict(pred_boxes=np.zeros((0, 7)), pred_scores=[], pred_labels=[],
             gt_boxes=np.zeros((0, 7)), gt_labels=[]),
        dict(pred_boxes=[box(5, 5)], pred_scores=[0.8], pred_labels=[1],
             gt_boxes=[box(50, 0, yaw=0.2)], gt_labels=[0]),
    ]
    stats = box_error_stats(frames, ['Car', 'Pedestrian', 'Cyclist'], radius=2.0, score_thr=0.3)
    car, ped, cyc = stats['Car'], stats['Pedestrian'], stats['Cyclist']
    # Car: 2 boxes (the -1 one ignored), 1 detection above 0.3 (the 0.1 one is dropped), matched
    assert (car['num_gt'], car['num_pred']) == (2, 1)
    assert car['recall'] == 0.5
    assert math.isclose(car['x_bias'], 0.5) and math.isclose(car['y_bias'], 0.5)
    assert math.isclose(car['l_bias'], 0.2) and car['w_bias'] == 0
    assert math.isclose(car['yaw_mae'], math.pi) and math.isclose(car['axis_mae'], 0, abs_tol=1e-9)
    # Pedestrian: 1 box matched by the 0.6 detection (0.5 m away); the (5, 5) one is unmatched
    assert (ped['num_gt'], ped['num_pred'], ped['recall']) == (1, 2, 1.0)
    assert math.isclose(ped['x_bias'], 0.4) and math.isclose(ped['y_bias'], -0.3)
    assert math.isclose(ped['x_mae'], 0.4) and math.isclose(ped['y_mae'], 0.3)
    assert math.isclose(ped['yaw_mae'], math.pi / 2 - 0.1)
    assert math.isclose(ped['axis_mae'], math.pi / 2 - 0.1)
    # Cyclist: nothing at all
    assert cyc['num_gt'] == 0 and math.isnan(cyc['recall']) and math.isnan(cyc['x_bias'])


def test_camera_boxes_turned_into_the_lidar_axes():
    # a car 20 m ahead of the camera, 1 m to its right, bottom 1.65 m under it, heading along the
    # view (camera ry = -pi/2); camera sizes are (l, h, w)
    cam = CameraInstance3DBoxes(torch.tensor([[1., 1.65, 20., 4.0, 1.5, 1.8, -math.pi / 2]]))
    np.testing.assert_allclose(boxes_in_lidar_axes(cam),
                               [[20., -1., -1.65, 4.0, 1.8, 1.5, 0.]], atol=1e-6)
    lidar = LiDARInstance3DBoxes(torch.tensor([[5., 2., -1., 4., 2., 1.5, 0.3]]))
    np.testing.assert_allclose(boxes_in_lidar_axes(lidar), lidar.tensor.numpy())
