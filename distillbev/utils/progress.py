# Copyright (c) distillbev contributors. All rights reserved.
"""Live progress of the stages that ``tools/demo.py`` and ``tools/kd_benchmark.py`` run.

Each stage is a child process (``tools/train.py``, ``tools/test.py``...). :func:`run_stage` runs
it unbuffered, keeps its full output in a log file, and reads mmengine's log lines as they come:

- on a terminal, one live line per stage, rewritten in place: stage, epoch/iteration of the
  total, percentage, ETA, loss;
- elsewhere (CI, ``| tee``, ``nohup``), the same as plain lines, at most one every
  ``interval`` seconds;
- when the stage ends, a summary line (time, last position, last loss).
"""
import os
import re
import subprocess
import sys
import time
from typing import Callable, List, Optional, TextIO

# mmengine: "Iter(train) [ 140/180]  ... eta: 0:03:34 ... loss: 12.0630 ..." or
# "Epoch(train)  [2][ 20/50] ..." / "Epoch(test) [10/20] ..."
_POSITION = re.compile(r'(Iter|Epoch)\((\w+)\)\s*(?:\[\s*(\d+)\])?\s*\[\s*(\d+)\s*/\s*(\d+)\]')
_ETA = re.compile(r'eta:\s*([\d:]+(?:\s*days?,\s*[\d:]+)?)')
_LOSS = re.compile(r'\bloss:\s*([-\d.eE+naif]+)')


def parse_progress(line: str) -> Optional[dict]:
    """The position, ETA and loss of one mmengine log line, or None for other lines.

    Args:
        line (str): a line of the child's output.

    Returns:
        dict | None: ``mode`` ('train', 'val', 'test'), ``epoch`` (or None), ``step``,
        ``total``, ``eta`` (str or None), ``loss`` (str or None).
    """
    m = _POSITION.search(line)
    if m is None:
        return None
    eta, loss = _ETA.search(line), _LOSS.search(line)
    return dict(mode=m.group(2), epoch=int(m.group(3)) if m.group(3) else None,
                step=int(m.group(4)), total=int(m.group(5)),
                eta=eta.group(1) if eta else None, loss=loss.group(1) if loss else None)


def describe(stage: str, p: dict) -> str:
    """``'<stage>  train epoch 2  iter 20/50 (40%)  eta 0:03:34  loss 12.06'``."""
    parts = [stage, p['mode']]
    if p['epoch'] is not None:
        parts.append(f"epoch {p['epoch']}")
    parts.append(f"{'iter' if p['mode'] == 'train' else 'batch'} "
                 f"{p['step']}/{p['total']} ({100 * p['step'] // max(p['total'], 1)}%)")
    if p['eta']:
        parts.append(f"eta {p['eta']}")
    if p['loss']:
        parts.append(f"loss {p['loss']}")
    return '  '.join(parts)


class StageProgress:
    """Shows the progress of one stage on ``stream`` (see the module docstring).

    Args:
        stage (str): the stage name.
        emit (Callable[[str], str]): formats a message (adds the tool's prefix and clock).
        stream (TextIO): where to show it. Defaults to ``sys.stdout``.
        live (bool, optional): rewrite one line in place; default: ``stream.isatty()``.
        interval (float): seconds between plain lines when not live. Defaults to 30.
    """

    def __init__(self, stage: str, emit: Callable[[str], str], stream: TextIO = None,
                 live: Optional[bool] = None, interval: float = 30.0) -> None:
        self.stage, self.emit = stage, emit
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self.last: Optional[dict] = None
        self._shown_at = -float('inf')
        self._width = 0

    def update(self, line: str) -> None:
        p = parse_progress(line)
        if p is None:
            return
        self.last = p
        text = self.emit(describe(self.stage, p))
        if self.live:
            pad = max(0, self._width - len(text))
            self.stream.write('\r' + text + ' ' * pad)
            self._width = len(text)
            self.stream.flush()
        elif time.time() - self._shown_at >= self.interval:
            self.stream.write(text + '\n')
            self.stream.flush()
            self._shown_at = time.time()

    def finish(self, seconds: float, ok: bool) -> None:
        where = '' if self.last is None else (
            f", last {self.last['mode']} {self.last['step']}/{self.last['total']}"
            + (f", loss {self.last['loss']}" if self.last['loss'] else ''))
        text = self.emit(f'{self.stage} {"done" if ok else "FAILED"} in '
                         f'{seconds / 60:.1f} min{where}')
        if self.live and self._width:
            self.stream.write('\r' + ' ' * self._width + '\r')
        self.stream.write(text + '\n')
        self.stream.flush()


def stage_name(cmd: List[str], root: str) -> str:
    """A short stage name from a command: the script and its ``--work-dir`` (or ``--out``)."""
    script = next((os.path.basename(c) for c in cmd if c.endswith('.py')), os.path.basename(cmd[0]))
    where = next((cmd[i + 1] for i, c in enumerate(cmd[:-1]) if c in ('--work-dir', '--out')),
                 None)
    if where is None:
        return script
    return f'{script} {os.path.relpath(where, root) if os.path.isabs(where) else where}'


def run_stage(stage: str, cmd: List[str], log_file: str, cwd: str,
              emit: Callable[[str], str], env: Optional[dict] = None,
              stream: TextIO = None, live: Optional[bool] = None,
              interval: float = 30.0) -> int:
    """Run one stage's command with live progress; keep its whole output in ``log_file``.

    Args:
        stage (str): the stage name shown on the progress line.
        cmd (list[str]): the command.
        log_file (str): the child's full output (stdout and stderr).
        cwd (str): working directory.
        emit (Callable[[str], str]): formats a message with the tool's prefix.
        env (dict, optional): extra environment (``PYTHONUNBUFFERED=1`` is always set).
        stream (TextIO, optional): where progress goes; default ``sys.stdout``.
        live (bool, optional): one line rewritten in place; default: whether ``stream`` is a TTY.
        interval (float): seconds between plain progress lines when not live.

    Returns:
        int: the child's exit code.
    """
    os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    progress = StageProgress(stage, emit, stream, live, interval)
    t0 = time.time()
    with open(log_file, 'w') as f:
        proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in proc.stdout:
            f.write(line)
            f.flush()
            progress.update(line)
        proc.wait()
    progress.finish(time.time() - t0, proc.returncode == 0)
    return proc.returncode
