# Copyright (c) distillbev contributors. All rights reserved.
import math

import torch

from distillbev.models.view_transforms import create_frustum, depth_bins, frustum_to_lidar


def _intrinsics(fx=100.0, fy=110.0, cx=30.0, cy=20.0):
    k = torch.eye(4, dtype=torch.float64)
    k[0, 0], k[1, 1], k[0, 2], k[1, 2] = fx, fy, cx, cy
    return k


def _cam2lidar(yaw=0.3, t=(1.0, -0.5, 1.6)):
    # camera z (forward) -> LiDAR (cos, sin, 0), x (right) -> (sin, -cos, 0), y (down) -> -z
    c, s = math.cos(yaw), math.sin(yaw)
    m = torch.eye(4, dtype=torch.float64)
    m[:3, 0] = torch.tensor([s, -c, 0.0])
    m[:3, 1] = torch.tensor([0.0, 0.0, -1.0])
    m[:3, 2] = torch.tensor([c, s, 0.0])
    m[:3, 3] = torch.tensor(t)
    return m


def test_depth_bins_and_pixel_centres():
    torch.testing.assert_close(depth_bins([1, 60, 1])[[0, -1]], torch.tensor([1.0, 59.0]))
    assert depth_bins([1, 60, 1]).numel() == 59
    assert depth_bins([2, 58, 0.5]).numel() == 112
    fr = create_frustum([1, 4, 1], (2, 3), (4, 4))
    assert fr.shape == (3, 2, 3, 3)
    # feature cell j at stride 4 covers pixels 4j..4j+3, i.e. u in [4j, 4j + 4): centre 4j + 2
    assert fr[0, 0, :, 0].tolist() == [2.0, 6.0, 10.0]
    assert fr[0, :, 0, 1].tolist() == [2.0, 6.0]
    assert fr[:, 0, 0, 2].tolist() == [1.0, 2.0, 3.0]


def test_identity_augs_unproject():
    k, c2l = _intrinsics(), _cam2lidar()
    fr = create_frustum([1, 4, 1], (2, 3), (4, 4))
    eye = torch.eye(4, dtype=torch.float64)
    geom = frustum_to_lidar(fr, k.view(1, 1, 4, 4), c2l.view(1, 1, 4, 4),
                            eye.view(1, 1, 4, 4), eye.view(1, 4, 4))
    assert geom.shape == (1, 1, 3, 2, 3, 3)
    u, v, d = fr[2, 1, 2].double().tolist()  # u = 10, v = 6, d = 3
    cam = torch.linalg.inv(k[:3, :3]) @ torch.tensor([u * d, v * d, d], dtype=torch.float64)
    expected = c2l[:3, :3] @ cam + c2l[:3, 3]
    torch.testing.assert_close(geom[0, 0, 2, 1, 2].double(), expected, atol=1e-5, rtol=0)
    # by hand: cam = ((10 - 30) * 3 / 100, (6 - 20) * 3 / 110, 3)
    cam_hand = torch.tensor([-0.6, -14.0 * 3 / 110, 3.0], dtype=torch.float64)
    torch.testing.assert_close(cam, cam_hand)


def test_augmented_round_trip():
    """A LiDAR point seen at augmented pixel (u, v, d) lifts to lidar_aug @ point."""
    k, c2l = _intrinsics(), _cam2lidar()
    point = torch.tensor([8.0, 3.0, 0.5, 1.0], dtype=torch.float64)
    lidar2img = k @ torch.linalg.inv(c2l)
    p = lidar2img @ point
    pix = torch.tensor([p[0] / p[2], p[1] / p[2], p[2], 1.0], dtype=torch.float64)
    # image aug: scale 0.8, rotate 5 deg about the origin, translate, flip horizontally
    a, s = math.radians(5.0), 0.8
    img_aug = torch.eye(4, dtype=torch.float64)
    img_aug[:2, :2] = s * torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    img_aug[:2, 3] = torch.tensor([-7.0, 4.0])
    flip = torch.eye(4, dtype=torch.float64)
    flip[0, 0], flip[0, 3] = -1.0, 63.0
    img_aug = flip @ img_aug
    aug_pix = img_aug @ pix
    # BEV aug: yaw 20 deg, scale 1.05, flip y
    b = math.radians(20.0)
    lidar_aug = torch.eye(4, dtype=torch.float64)
    lidar_aug[:2, :2] = torch.tensor([[math.cos(b), -math.sin(b)], [math.sin(b), math.cos(b)]])
    lidar_aug[:3, :3] *= 1.05
    lidar_aug = torch.diag(torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=torch.float64)) @ lidar_aug
    frustum = aug_pix[:3].float().view(1, 1, 1, 3)
    geom = frustum_to_lidar(frustum, k.view(1, 1, 4, 4), c2l.view(1, 1, 4, 4),
                            img_aug.view(1, 1, 4, 4), lidar_aug.view(1, 4, 4))
    torch.testing.assert_close(geom.view(3).double(), (lidar_aug @ point)[:3], atol=1e-4, rtol=0)
