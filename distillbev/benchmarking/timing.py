# Copyright (c) distillbev contributors. All rights reserved.
"""Timing and peak-memory probes of benchmark iterations."""
import os
import statistics
import threading
import time
from typing import Any, Callable, Dict, Optional, Sequence

import torch


def sync(device: torch.device) -> None:
    """Wait for the device's queued kernels (no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def summarize(times: Sequence[float]) -> Dict[str, Any]:
    """Median / min / max (seconds) of timed iterations.

    Args:
        times (sequence[float]): seconds per iteration.

    Returns:
        dict: ``median``, ``min``, ``max`` (s), ``iters`` and the raw ``times``.
    """
    times = [float(t) for t in times]
    return dict(median=statistics.median(times), min=min(times), max=max(times),
                iters=len(times), times=times)


def time_fn(fn: Callable[[], Any], warmup: int, iters: int,
            device: torch.device = torch.device('cpu')) -> Dict[str, Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``iters`` times timed (synchronised).

    Args:
        fn (callable): the work of one iteration.
        warmup (int): untimed iterations.
        iters (int): timed iterations (>= 1).
        device (torch.device): synchronised around each timed iteration.

    Returns:
        dict: see :func:`summarize`.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return summarize(times)


def rss_bytes() -> int:
    """Current resident set size of this process in bytes (0 where /proc is unavailable)."""
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
    except (OSError, ValueError, IndexError):
        return 0


class MemoryMonitor:
    """Peak memory of a block: CUDA ``max_memory_allocated`` or sampled process RSS on CPU.

    Args:
        device (torch.device): where the work runs.
        interval (float): RSS sampling period in seconds (CPU).
    """

    def __init__(self, device: torch.device, interval: float = 0.01) -> None:
        self.device = device
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @property
    def kind(self) -> str:
        """``'cuda_max_allocated'`` or ``'cpu_peak_rss'``."""
        return 'cuda_max_allocated' if self.device.type == 'cuda' else 'cpu_peak_rss'

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> 'MemoryMonitor':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self.peak = rss_bytes()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, rss_bytes())


def timed_with_memory(fn: Callable[[], Any], warmup: int, iters: int,
                      device: torch.device) -> Dict[str, Any]:
    """:func:`time_fn` plus the peak memory of the timed iterations.

    Returns:
        dict: see :func:`summarize`, plus ``peak_mem_mib`` and ``mem_kind``
        (:attr:`MemoryMonitor.kind`).
    """
    for _ in range(warmup):
        fn()
    with MemoryMonitor(device) as mem:
        timing = time_fn(fn, 0, iters, device)
    timing.update(peak_mem_mib=mem.peak / 2**20, mem_kind=mem.kind)
    return timing
