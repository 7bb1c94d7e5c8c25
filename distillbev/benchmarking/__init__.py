# Copyright (c) distillbev contributors. All rights reserved.
"""Speed and memory benchmarks of distillbev (driven by ``tools/benchmark.py``)."""
from .builders import METHOD_CFGS, STUDENT_CFGS, TEACHER_POINTS
from .model_suites import bench_distill, bench_students
from .pool_peers import VARIANTS, bench_bev_pool_peers
from .pool_suite import POOL_SCALES, bench_bev_pool
from .report import environment, load_average, tables, text_table, to_markdown
from .timing import MemoryMonitor, summarize, time_fn, timed_with_memory

__all__ = [
    'METHOD_CFGS', 'STUDENT_CFGS', 'TEACHER_POINTS', 'bench_distill', 'bench_students',
    'VARIANTS', 'bench_bev_pool_peers', 'POOL_SCALES', 'bench_bev_pool', 'environment',
    'load_average', 'tables', 'text_table', 'to_markdown', 'MemoryMonitor', 'summarize',
    'time_fn', 'timed_with_memory'
]
