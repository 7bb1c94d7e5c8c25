# Copyright (c) distillbev contributors. All rights reserved.
"""The BEVFormer detector with its set-prediction head and with CenterHead: one training step and
one prediction on tiny shapes; the queue's history is used (and ignored at a scene start); the
BEV encoder's module output is what ``extract_feat`` returns (distiller taps); the CAN-bus MLP
embeds each frame's metainfo ``can_bus`` into its queries, and its absence is a clear error."""
import numpy as np
import pytest
import torch
from helpers.multiview import multiview_sample, queue_can_bus
from mmengine.registry import DefaultScope

pytest.importorskip('mmcv.ops')

from mmdet3d.registry import MODELS  # noqa: E402
from mmdet3d.structures import LiDARInstance3DBoxes  # noqa: E402

PCR = [-25.6, -25.6, -5.0, 25.6, 25.6, 3.0]
SIZE = (64, 160)
SET_HEAD = dict(type='BEVFormerHead', num_classes=10, in_channels=32, num_query=20,
                point_cloud_range=PCR,
                decoder=dict(num_layers=2, layer_cfg=dict(num_heads=4, feedforward_channels=64)),
                bbox_coder=dict(type='NMSFreeBBox3DCoder', num_classes=10, max_num=10))
CENTER_HEAD = dict(
    type='CenterHead', in_channels=32, tasks=[dict(num_class=1, class_names=['car'])],
    common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2), vel=(2, 2)),
    share_conv_channel=16,
    bbox_coder=dict(type='CenterPointBBoxCoder', pc_range=PCR[:2], max_num=50,
                    post_center_range=[-30.0, -30.0, -10.0, 30.0, 30.0, 10.0],
                    score_threshold=0.0, out_size_factor=4, voxel_size=[0.8, 0.8], code_size=9),
    separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3),
    loss_cls=dict(type='mmdet.GaussianFocalLoss', reduction='mean'),
    loss_bbox=dict(type='mmdet.L1Loss', reduction='mean', loss_weight=0.25), norm_bbox=True)
CENTER_TRAIN = dict(pts=dict(point_cloud_range=PCR, grid_size=[64, 64, 1], voxel_size=[0.8, 0.8, 8],
                             out_size_factor=4, dense_reg=1, gaussian_overlap=0.1, max_objs=50,
                             min_radius=2, code_weights=[1.0] * 8 + [0.2, 0.2]))
CENTER_TEST = dict(pts=dict(pc_range=PCR[:2], post_center_limit_range=[-30, -30, -10, 30, 30, 10],
                            max_per_img=50, max_pool_nms=False, min_radius=[4], score_threshold=0.0,
                            out_size_factor=4, voxel_size=[0.8, 0.8], nms_type='rotate',
                            pre_max_size=100, post_max_size=20, nms_thr=0.2))


_ENCODER = dict(type='BEVFormerEncoder', point_cloud_range=PCR, bev_shape=(16, 16), embed_dims=32,
                num_layers=1, num_feature_levels=1,
                layer_cfg=dict(num_heads=4, feedforward_channels=64))  # use_can_bus: default on


def _model(head, **kwargs):
    cfg = dict(
        type='BEVFormer', num_prev=2,
        data_preprocessor=dict(type='TemporalDet3DDataPreprocessor'),
        img_backbone=dict(type='mmdet.ResNet', depth=18, out_indices=(3, ), init_cfg=None),
        img_neck=dict(type='mmdet.FPN', in_channels=[512], out_channels=32, num_outs=1),
        bev_encoder=_ENCODER, pts_bbox_head=head)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.init_weights()
    return model


def _batch(repeated=(False, False)):
    """One sample with two previous frames: the ego 1 m (then 2 m) behind along x; each frame's
    CAN-bus deltas as TemporalFrames gives them (all 0 in position / heading at a scene start,
    where the previous frames repeat the current one)."""
    inputs, sample = multiview_sample(size=SIZE)
    curr2prev = []
    for k in range(2):
        m = np.eye(4, dtype=np.float32)
        m[0, 3] = 1.0 * (k + 1)
        curr2prev.append(m)
    can_bus = queue_can_bus(2, step=0.0 if repeated[0] else 1.0)
    sample.set_metainfo(dict(can_bus=can_bus[0],
                             prev_frames=[dict(sample.metainfo, can_bus=c) for c in can_bus[1:]],
                             curr2prev=curr2prev, prev_is_current=list(repeated)))
    gen = torch.Generator().manual_seed(1)
    prev = [torch.randn(1, *inputs['imgs'].shape, generator=gen) for _ in range(2)]
    return dict(imgs=inputs['imgs'][None], prev_imgs=prev), sample


def test_set_head_trains_predicts_and_uses_the_queue():
    model = _model(SET_HEAD)
    batch, sample = _batch()
    model.train()
    losses = model.loss(batch, [sample])
    assert set(losses) == {'loss_cls', 'loss_bbox', 'd0.loss_cls', 'd0.loss_bbox'}
    assert model.training and model.bev_encoder.training  # the history ran in eval mode only
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    assert model.bev_encoder.bev_queries.embedding.weight.grad.abs().sum() > 0
    assert model.img_backbone.conv1.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        ref = model.loss(batch, [sample])['loss_cls']
        other = dict(batch, prev_imgs=[torch.zeros_like(p) for p in batch['prev_imgs']])
        assert model.loss(other, [sample])['loss_cls'] != ref  # the history is read
        # a scene start (the previous frames repeat the current one) == no history at all
        start_batch, start = _batch(repeated=(True, True))
        alone = dict(imgs=start_batch['imgs'])
        assert torch.allclose(model.loss(start_batch, [start])['loss_cls'],
                              model.loss(alone, [start])['loss_cls'])
        preds = model.predict(batch, [sample])
    inst = preds[0].pred_instances_3d
    assert isinstance(inst.bboxes_3d, LiDARInstance3DBoxes) and len(inst.bboxes_3d) == 10
    assert inst.bboxes_3d.tensor.shape[1] == 9 and inst.scores_3d.shape == (10, )


def test_encoder_output_is_the_bev_that_the_head_reads():
    model = _model(SET_HEAD).eval()
    batch, sample = _batch()
    seen = []
    handle = model.bev_encoder.register_forward_hook(lambda m, i, o: seen.append(o))
    with torch.no_grad():
        feats = model.extract_feat(batch, [sample.metainfo])
    handle.remove()
    assert len(seen) == 3  # two previous frames, then the current one
    assert feats[0].shape == (1, 32, 16, 16) and torch.equal(seen[-1], feats[0])


def test_centerhead_variant_trains_and_predicts():
    model = _model(CENTER_HEAD, train_cfg=CENTER_TRAIN, test_cfg=CENTER_TEST)
    batch, sample = _batch()
    model.train()
    losses = model.loss(batch, [sample])
    assert 'task0.loss_heatmap' in losses and 'task0.loss_bbox' in losses
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        preds = model.predict(batch, [sample])
    assert 'bboxes_3d' in preds[0].pred_instances_3d


def _queries(**kwargs):
    from distillbev.models.students.bevformer import BEVQueries
    torch.manual_seed(0)
    return BEVQueries((4, 5), embed_dims=32, **kwargs).eval()


def test_can_bus_mlp_embeds_each_sample_on_all_its_queries():
    queries = _queries()
    mlp = queries.can_bus_mlp  # Linear(18, C/2) -> ReLU -> Linear(C/2, C) -> ReLU -> LayerNorm(C)
    assert [type(m).__name__ for m in mlp] == ['Linear', 'ReLU', 'Linear', 'ReLU', 'LayerNorm']
    assert (mlp[0].in_features, mlp[0].out_features, mlp[2].out_features) == (18, 16, 32)
    can_bus = torch.from_numpy(np.stack(queue_can_bus(1)))  # two different vectors
    with torch.no_grad():
        embed = queries.can_bus_embed(can_bus)
        out, pos = queries(2, can_bus)
        plain = queries.embedding.weight
    assert embed.shape == (2, 32) and out.shape == pos.shape == (2, 20, 32)
    # the (B, C) embedding broadcast onto the H * W queries of its sample
    torch.testing.assert_close(out - plain[None], embed[:, None].expand(-1, 20, -1))
    assert not torch.allclose(embed[0], embed[1], atol=1e-4)  # different vectors, embeddings
    # LayerNorm (weight 1, bias 0 at init): zero mean, unit variance over the C channels
    torch.testing.assert_close(embed.mean(1), torch.zeros(2), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match='needs the'):
        queries(2)
    with pytest.raises(ValueError, match=r'\(B, 18\)'):
        queries.can_bus_embed(can_bus[:, :17])


def test_without_can_bus_the_queries_are_unchanged_and_the_mlp_absent():
    off = _queries(use_can_bus=False)
    with torch.no_grad():
        out, _ = off(2, torch.randn(2, 18))  # ignored
    assert torch.equal(out, off.embedding.weight[None].expand(2, -1, -1))
    assert not hasattr(off, 'can_bus_mlp')
    assert not any('can_bus' in k for k in off.state_dict())
    on = {k for k in _queries().state_dict() if 'can_bus' in k}
    assert on == {f'can_bus_mlp.{m}.{p}' for m in ('0', '2', 'norm') for p in ('weight', 'bias')}
    no_norm = {k for k in _queries(can_bus_norm=False).state_dict() if 'can_bus' in k}
    assert no_norm == on - {'can_bus_mlp.norm.weight', 'can_bus_mlp.norm.bias'}
    # in the detector: bev_encoder.bev_queries.can_bus_mlp.*, only when enabled
    assert {k for k in _model(SET_HEAD).state_dict() if 'can_bus' in k} == {
        f'bev_encoder.bev_queries.{k}' for k in on}
    model = _model(SET_HEAD, bev_encoder=dict(_ENCODER, use_can_bus=False))
    assert not any('can_bus' in k for k in model.state_dict())


def test_detector_reads_every_frames_can_bus():
    model = _model(SET_HEAD).eval()
    batch, sample = _batch()
    with torch.no_grad():
        ref = model.extract_feat(batch, [sample.metainfo])[0]
        moved = dict(sample.metainfo, can_bus=sample.metainfo['can_bus'] * 2)
        assert not torch.allclose(model.extract_feat(batch, [moved])[0], ref, atol=1e-5)
        # the previous frames' vectors feed their BEVs, hence the current one through TSA
        prev = [dict(m, can_bus=m['can_bus'] + 1) for m in sample.metainfo['prev_frames']]
        other = dict(sample.metainfo, prev_frames=prev)
        assert not torch.allclose(model.extract_feat(batch, [other])[0], ref, atol=1e-5)
        # the vector of each sample goes to its own queries: a batch of two
        both = model.extract_feat(dict(imgs=batch['imgs'].repeat(2, 1, 1, 1, 1),
                                       prev_imgs=[p.repeat(2, 1, 1, 1, 1)
                                                  for p in batch['prev_imgs']]),
                                  [sample.metainfo, moved])[0]
        torch.testing.assert_close(both[0], ref[0], atol=1e-4, rtol=1e-4)
        assert not torch.allclose(both[1], ref[0], atol=1e-5)


def test_missing_can_bus_is_a_clear_error():
    model = _model(SET_HEAD)
    batch, sample = _batch()
    meta = {k: v for k, v in sample.metainfo.items() if k != 'can_bus'}
    with pytest.raises(ValueError, match=r"'can_bus'.*\[0\].*current frame") as err:
        model.extract_feat(dict(imgs=batch['imgs']), [meta])
    for hint in ('tools/add_temporal_infos.py', 'meta_keys', 'use_can_bus=False'):
        assert hint in str(err.value)
    # a previous frame without it (the history is built first); the mode is restored
    prev = [{k: v for k, v in m.items() if k != 'can_bus'} for m in meta['prev_frames']]
    model.train()
    with pytest.raises(ValueError, match=r"previous frame 1, metainfo\['prev_frames'\]\[1\]"):
        model.extract_feat(batch, [dict(sample.metainfo, prev_frames=prev)])
    assert model.training
    with pytest.raises(ValueError, match='17 floats'):
        model.extract_feat(dict(imgs=batch['imgs']),
                           [dict(meta, can_bus=sample.metainfo['can_bus'][:17])])
    # use_can_bus=False needs no vector
    off = _model(SET_HEAD, bev_encoder=dict(_ENCODER, use_can_bus=False)).eval()
    with torch.no_grad():
        assert off.extract_feat(dict(imgs=batch['imgs']), [meta])[0].shape == (1, 32, 16, 16)
