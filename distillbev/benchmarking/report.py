# Copyright (c) distillbev contributors. All rights reserved.
"""Tables (text and markdown) of benchmark rows, and the environment recorded with them."""
import datetime
import os
import platform
from typing import Any, Dict, List, Sequence

import numpy as np
import torch

Table = List[List[str]]


def fmt_t(timing: Dict[str, Any]) -> str:
    """``median [min-max]`` in ms, or s above 10 s."""
    med, lo, hi = timing['median'], timing['min'], timing['max']
    if med >= 10:
        return f'{med:.2f} s [{lo:.2f}-{hi:.2f}] (n={timing["iters"]})'
    return f'{med * 1e3:.1f} ms [{lo * 1e3:.1f}-{hi * 1e3:.1f}] (n={timing["iters"]})'


def _mem_label(row: Dict[str, Any]) -> str:
    return 'peak CUDA alloc' if row['mem_kind'] == 'cuda_max_allocated' else 'peak RSS'


def _bev_pool_line(r: Dict[str, Any]):
    head = ['scale', 'pass', 'shape', 'points (in grid)', 'BEV', 'bev_pool', 'naive (CPU)',
            'speedup', 'max abs diff']
    return head, [r['scale'], r['pass'], r['shape'], f"{r['points']} ({r['points_in_grid']})",
                  r['bev'], fmt_t(r['t_pool']), fmt_t(r['t_naive']), f"{r['speedup']:.0f}x",
                  f"{r['max_abs_diff']:.2e}"]


def _peers_line(r: Dict[str, Any]):
    head = ['scale', 'pass', 'shape', 'points (in grid)', 'variant', 'time',
            'speedup vs sort_prefix_sum', 'max abs diff to naive', 'deterministic']
    speedup = f"{r['speedup']:.1f}x" if 'speedup' in r else '-'
    return head, [r['scale'], r['pass'], r['shape'], f"{r['points']} ({r['points_in_grid']})",
                  r['variant'], fmt_t(r['t']), speedup, f"{r['max_abs_diff']:.2e}",
                  'yes' if r['deterministic'] else 'NO']


def _students_line(r: Dict[str, Any]):
    head = ['scale', 'model', 'backbone', 'input BxNxHxW', 'BEV', 'params (M)',
            'inference (tensor)', 'train step (loss+bwd)', f'{_mem_label(r)} inf / train (MiB)']
    return head, [r['scale'], r['model'], r['backbone'] + (' (with_cp)' if r['with_cp'] else ''),
                  r['input'], r['bev'], f"{r['params_m']:.1f}", fmt_t(r['t_fwd']),
                  fmt_t(r['t_train']), f"{r['mem_fwd_mib']:.0f} / {r['mem_train_mib']:.0f}"]


def _distill_line(r: Dict[str, Any]):
    head = ['scale', 'method', 'student', 'teacher (points)', 'student step', 'teacher fwd',
            'distill step', 'ratio distill/student', 'KD overhead',
            'distill step, teacher cache', 'ratio with cache',
            f'{_mem_label(r)} student / distill (MiB)']
    cached = r.get('t_distill_cached')
    return head, [r['scale'], r['method'], r['student'], f"{r['teacher']} ({r['points']})",
                  fmt_t(r['t_student']), fmt_t(r['t_teacher']), fmt_t(r['t_distill']),
                  f"{r['ratio']:.2f}", f"{r['kd_overhead_s'] * 1e3:.0f} ms",
                  fmt_t(cached) if cached else '-',
                  f"{r['ratio_cached']:.2f}" if cached else '-',
                  f"{r['mem_student_mib']:.0f} / {r['mem_distill_mib']:.0f}"]


LINES = dict(bev_pool=_bev_pool_line, bev_pool_peers=_peers_line, students=_students_line,
             distill=_distill_line)


def tables(rows: Sequence[Dict[str, Any]]) -> Dict[str, Table]:
    """Rows -> ``suite -> [header, *lines]`` of strings."""
    out: Dict[str, Table] = {}
    for r in rows:
        head, line = LINES[r['suite']](r)
        out.setdefault(r['suite'], [head]).append(line)
    return out


def text_table(table: Table) -> str:
    """Columns aligned with spaces, a dashed line under the header."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def markdown_table(table: Table) -> str:
    """A GitHub markdown table."""
    lines = ['| ' + ' | '.join(table[0]) + ' |', '|' + '---|' * len(table[0])]
    lines += ['| ' + ' | '.join(row) + ' |' for row in table[1:]]
    return '\n'.join(lines)


def to_markdown(result: Dict[str, Any]) -> str:
    """Environment list and one table per suite of ``dict(environment=..., rows=...)``."""
    env = result['environment']
    lines = ['Environment:', '']
    lines += [f'- {k}: {v}' for k, v in env.items()]
    for suite, table in tables(result['rows']).items():
        lines += ['', f'`{suite}`:', '', markdown_table(table)]
    return '\n'.join(lines) + '\n'


def load_average() -> List[float]:
    """1, 5 and 15 min load averages (empty where unavailable)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def environment(device: torch.device) -> Dict[str, Any]:
    """Versions, machine and thread settings recorded with the results."""
    import mmcv
    import mmdet
    import mmdet3d
    import mmengine
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f if ln.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    env = dict(date=datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
               python=platform.python_version(), torch=torch.__version__,
               mmcv=mmcv.__version__, mmdet=mmdet.__version__, mmdet3d=mmdet3d.__version__,
               mmengine=mmengine.__version__, numpy=np.__version__, platform=platform.platform(),
               cpu=cpu, cpu_count=os.cpu_count(), torch_threads=torch.get_num_threads(),
               torch_interop_threads=torch.get_num_interop_threads(), device=str(device))
    if load_average():
        env['loadavg_start'] = load_average()
    if device.type == 'cuda':
        env['gpu'] = torch.cuda.get_device_name(device)
        env['cuda'] = torch.version.cuda
    return env
