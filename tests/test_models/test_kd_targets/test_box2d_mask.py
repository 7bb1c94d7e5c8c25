# Copyright (c) distillbev contributors. All rights reserved.
"""Box2DMask / Center2DWindow (MonoDistill's image-plane masks): hand-rasterised boxes, frames
without objects, and the mask of a known 3D box projected with cam2img covering every pixel
where the object is."""
import math

import torch
from mmdet3d.structures import CameraInstance3DBoxes, points_cam2img

from distillbev.models.dense_heads.monodle_coder import encode_heading
from distillbev.models.kd_targets import Box2DMask, Center2DWindow, project_boxes_3d

P2 = torch.tensor([[360., 0., 320., 2.], [0., 360., 96., 0.1], [0., 0., 1., 0.003],
                   [0., 0., 0., 1.]])


def test_hand_rasterised_boxes_and_empty_frame():
    boxes = [torch.tensor([[10., 5., 30., 20.]]), torch.zeros(0, 4)]
    m8, m16 = Box2DMask(strides=(8, 16))(gt_bboxes=boxes, shape=[(4, 8), (2, 4)])
    expect = torch.zeros(4, 8)
    expect[0:3, 1:4] = 1.0  # rows floor(5/8)..floor(20/8), cols floor(10/8)..floor(30/8)
    torch.testing.assert_close(m8[0, 0], expect)
    expect = torch.zeros(2, 4)
    expect[0:2, 0:2] = 1.0
    torch.testing.assert_close(m16[0, 0], expect)
    assert m8.shape == (2, 1, 4, 8) and float(m8[1].sum()) == 0.0 and float(m16[1].sum()) == 0.0
    # shapes from the padded input size; class filter
    masks = Box2DMask(strides=(8,), class_ids=[2])(
        gt_bboxes=boxes, gt_labels=[torch.tensor([0]), torch.zeros(0)],
        metas=[dict(pad_shape=(32, 64))] * 2)
    assert masks.shape == (2, 1, 4, 8) and float(masks.sum()) == 0.0


def test_projected_3d_box_covers_the_object_pixels():
    box = CameraInstance3DBoxes(torch.tensor([[1.0, 1.6, 12.0, 4.0, 1.5, 1.7, 0.5]]))
    hw = (192, 640)
    for stride in (4, 8, 16, 32):
        mask = Box2DMask(strides=(stride,), source='3d')(
            gt_bboxes_3d=[box], metas=[dict(cam2img=P2.tolist(), img_shape=hw,
                                            pad_shape=hw)])[0, 0]
        # points inside the box: convex combinations of its corners
        torch.manual_seed(stride)
        w = torch.rand(2000, 8)
        pts = (w / w.sum(1, keepdim=True)) @ box.corners[0]
        uv = points_cam2img(pts, P2)
        cells = torch.floor(uv / stride).long()
        assert bool(mask[cells[:, 1], cells[:, 0]].all())
        # and nothing outside the projected hull's cells
        hull = project_boxes_3d(box, P2, hw)[0]
        lo, hi = torch.floor(hull[:2] / stride).long(), torch.floor(hull[2:] / stride).long()
        assert float(mask.sum()) == float((hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1))
        assert float(mask[:lo[1]].sum()) == 0.0 and float(mask[:, hi[0] + 1:].sum()) == 0.0


def test_center_window_hand_radius_slots_and_heading():
    # 8 x 8 cells at stride 4: CenterNet radius = min(15.26, 29.39, 2.19) -> 2: a 5 x 5 window
    boxes = [torch.tensor([[40., 20., 72., 52.], [0., 0., 8., 8.]]), torch.zeros(0, 4)]
    boxes_3d = [CameraInstance3DBoxes(torch.tensor([[2.0, 1.5, 10.0, 4.0, 1.5, 1.7, 1.0],
                                                    [0.0, 1.5, 70.0, 4.0, 1.5, 1.7, 0.0]])),
                CameraInstance3DBoxes(torch.zeros(0, 7))]
    centers = [torch.tensor([[58.0, 37.0], [4.0, 4.0]]), torch.zeros(0, 2)]
    out = Center2DWindow(stride=4, max_objs=3)(boxes, gt_bboxes_3d=boxes_3d, centers_2d=centers,
                                               shape=(20, 30))
    expect = torch.zeros(20, 30)
    expect[9 - 2:9 + 3, 14 - 2:14 + 3] = 1.0  # centre (56, 36) / 4
    torch.testing.assert_close(out['mask'][0, 0], expect)  # the 70 m box is out of range
    assert float(out['mask'][1].sum()) == 0.0
    assert out['indices'][0].tolist() == [9 * 30 + 14, 0, 0]
    assert out['valid'].tolist() == [[True, False, False], [False, False, False]]
    alpha = 1.0 - math.atan2(2.0, 10.0)
    assert int(out['heading_bin'][0, 0]) == int(encode_heading(torch.tensor(alpha))[0])
