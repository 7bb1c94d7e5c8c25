# Copyright (c) distillbev contributors. All rights reserved.
"""tools/demo.py end to end on the session's tiny generated set: trains the teacher, a student
without KD and a distilled one, exports the distilled student, evaluates both with the plain
student config and writes the table; a second run skips every stage already done."""
import json
import math

from helpers.runs import run_tool


def test_demo_runs_and_resumes(synthetic_nus, synthetic_nus_infos, tmp_path):
    root, _ = synthetic_nus
    work = tmp_path / 'demo'
    args = ['tools/demo.py', '--data-root', root, '--work-dir', str(work), '--student-epochs',
            '1', '--methods', 'baseline', 'distillbev']
    out = run_tool(args, tmp_path / 'demo.log', timeout=900)
    assert 'dataset ready' in out
    rows = json.loads((work / 'results.json').read_text())
    assert list(rows) == ['LiDAR teacher (CenterPoint-pillar)', 'BEVDet-R18 (no KD)',
                          'BEVDet-R18 + distillbev']
    for row in rows.values():
        assert 0.0 <= row['mAP'] <= 1.0 and 0.0 <= row['NDS'] <= 1.0
        assert math.isfinite(row['car']) and row['train s'] > 0
    assert (work / 'distillbev' / 'student_exported.pth').exists()
    assert '| BEVDet-R18 + distillbev |' in (work / 'results.md').read_text()

    again = run_tool(args, tmp_path / 'demo2.log', timeout=300)
    assert again.count('trained already') == 3
    assert 'tools/train.py' not in again


def _demo():
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location(
        'demo', Path(__file__).parents[2] / 'tools' / 'demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def test_demo_reads_teacher_classes_and_label_from_the_configs():
    demo = _demo()
    teacher = demo.teacher_config()
    assert teacher.endswith('configs/centerpoint/centerpoint_pillar04_second_secfpn_'
                            '1xb4-cyclic-16e_synthetic-nus-3d.py')
    student = demo.load_config(demo.METHODS['baseline'])
    assert demo.student_label(student) == 'BEVDet-R18'
    assert len(student.class_names) == 10 and 'traffic_cone' in student.class_names


def test_demo_schedule_follows_the_config_not_positions():
    from mmengine.config import Config
    demo = _demo()
    cfg = Config(dict(train_cfg=dict(max_epochs=12), param_scheduler=[
        dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11]),
        dict(type='LinearLR', by_epoch=False, begin=0, end=50)]))
    assert demo.schedule_options(cfg, 4) == [
        'train_cfg.max_epochs=4', 'param_scheduler.0.end=4',
        'param_scheduler.0.milestones=[3,4]']
    assert demo.schedule_options(cfg, 1)[-1] == 'param_scheduler.0.milestones=[1]'
