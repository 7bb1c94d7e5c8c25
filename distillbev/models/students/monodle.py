# Copyright (c) distillbev contributors. All rights reserved.
"""MonoDLE's CenterNet3D: the monocular KITTI student of MonoDistill."""
from typing import Dict

import torch

from mmdet3d.models.detectors.single_stage_mono3d import SingleStageMono3DDetector
from mmdet3d.registry import MODELS
from mmdet3d.structures.det3d_data_sample import SampleList
from mmdet3d.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor


@MODELS.register_module()
class MonoDLECenterNet3D(SingleStageMono3DDetector):
    r"""`MonoDLE <https://arxiv.org/abs/2103.16237>`_ CenterNet3D for monocular 3D detection,
    the student (and, fed with LiDAR depth images, the teacher) of
    `MonoDistill <https://arxiv.org/abs/2201.10830>`_.

    DLA-34 backbone (mmdet3d's ``DLANet``: six levels, strides 1..32, channels
    16..512), DLA-up neck to stride 4 (mmdet3d's ``DLANeck``, 64 channels) and
    :class:`~distillbev.models.dense_heads.MonoDLEHead`. Distiller taps:
    ``backbone`` (a tuple of the six levels; MonoDistill distils levels 3, 4, 5 =
    strides 8/16/32: ``student.backbone.3`` ...), ``neck`` and ``bbox_head`` (a dict of
    raw head maps: ``student.bbox_head.depth`` ...).

    Args:
        backbone (:obj:`ConfigDict` or dict): The backbone config.
        neck (:obj:`ConfigDict` or dict): The neck config.
        bbox_head (:obj:`ConfigDict` or dict): The head config.
        train_cfg (:obj:`ConfigDict` or dict, optional): Unused (kept for the
            mmdet3d detector interface). Defaults to None.
        test_cfg (:obj:`ConfigDict` or dict, optional): Decoding settings, passed
            to the head (None: the head's own ``test_cfg``). Defaults to None.
        data_preprocessor (:obj:`ConfigDict` or dict, optional): Config of
            :class:`Det3DDataPreprocessor`. Defaults to None.
        init_cfg (:obj:`ConfigDict` or list[:obj:`ConfigDict`] or dict or
            list[dict], optional): Initialization config dict. Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        # mmdet's single-stage detector overwrites the head's train/test cfg with its own: keep
        # the head's when the detector gives none
        train_cfg = train_cfg if train_cfg is not None else bbox_head.get('train_cfg')
        test_cfg = test_cfg if test_cfg is not None else bbox_head.get('test_cfg')
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def loss(self, batch_inputs_dict: Dict[str, Tensor],
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """The head's detection losses (``loss_heatmap``, ``loss_depth``, ...)."""
        return self.bbox_head.loss(self.extract_feat(batch_inputs_dict), batch_data_samples)

    def predict(self,
                batch_inputs_dict: Dict[str, Tensor],
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Predict 3D boxes for a batch.

        Returns:
            list[:obj:`Det3DDataSample`]: each with ``pred_instances_3d`` (``bboxes_3d``:
            :obj:`CameraInstance3DBoxes` in the sample's camera frame, ``scores_3d``,
            ``labels_3d``), which the stock ``KittiMetric`` evaluates, and ``pred_instances``
            (2D ``bboxes``, ``scores``, ``labels``; with ``rescale`` the boxes are mapped back
            to the original image through the inverse of ``mono_affine`` when the metainfo has
            it (``MonoAffineAug``), else they stay in network-input pixels).
        """
        results = self.bbox_head.predict(self.extract_feat(batch_inputs_dict),
                                         batch_data_samples, rescale=rescale)
        res_3d, res_2d = [], []
        for r, sample in zip(results, batch_data_samples):
            affine = sample.metainfo.get('mono_affine')
            if rescale and affine is not None and len(r.bboxes):
                r.bboxes = _unwarp_boxes(r.bboxes, affine)
            res_3d.append(InstanceData(bboxes_3d=r.bboxes_3d, scores_3d=r.scores_3d,
                                       labels_3d=r.labels_3d))
            res_2d.append(InstanceData(bboxes=r.bboxes, scores=r.scores_3d,
                                       labels=r.labels_3d))
        return self.add_pred_to_datasample(batch_data_samples, res_3d, res_2d)


def _unwarp_boxes(boxes: Tensor, affine) -> Tensor:
    """(N, 4) boxes through the inverse of a (3, 3) pixel affine (min/max of both corners)."""
    inv = torch.linalg.inv(torch.as_tensor(affine, dtype=torch.float64)).to(boxes)
    pts = boxes.reshape(-1, 2, 2)  # (N, [(x1, y1), (x2, y2)], 2)
    pts = pts @ inv[:2, :2].T + inv[:2, 2]
    return torch.cat([pts.amin(1), pts.amax(1)], 1)
