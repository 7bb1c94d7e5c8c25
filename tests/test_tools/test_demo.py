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
