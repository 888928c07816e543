"""Run one command and measure it: wall time, CPU time and peak memory of its process tree.

    python benchmarks/measure.py --log run.log [--track PID ...] -- COMMAND [ARGS ...]

prints one JSON object on stdout. This wrapper is a process of its own so that
``getrusage(RUSAGE_CHILDREN)`` covers exactly the measured command and everything it
started (pipelines run under ``bash -c``, worker processes), and nothing else:

- ``wall_s``: from start to exit of the command;
- ``cpu_s``: user + system time of the command and all its (waited-for) descendants,
  plus the CPU time used meanwhile by the ``--track`` process trees (a Dask cluster that
  was started beforehand: scheduler, nannies, workers);
- ``peak_mb``: the largest sum of the resident set sizes of all processes of the tree
  (and of the ``--track`` trees), sampled every ``--interval`` seconds, but at least
  the exact ``max_single_mb``;
- ``max_single_mb``: ``ru_maxrss`` of the children, the peak RSS of the largest single
  descendant (exact, no sampling).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def _cpu(procs: list[psutil.Process]) -> dict[int, float]:
    out: dict[int, float] = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def measure(cmd: list[str], log: Path, track: list[int], interval: float, timeout: float) -> dict[str, object]:
    tracked = [psutil.Process(pid) for pid in track]
    tracked_procs = [p for root in tracked for p in _tree(root)]
    cpu0 = _cpu(tracked_procs)
    peak = 0
    timed_out = False
    with log.open("wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        while True:
            try:
                proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                pass
            procs = _tree(root) + [p for r in tracked for p in _tree(r)]
            peak = max(peak, _rss(procs))
            if time.perf_counter() - t0 > timeout:
                timed_out = True
                for p in reversed(_tree(root)):
                    with contextlib.suppress(psutil.Error):
                        p.kill()
        wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1 = _cpu([p for r in tracked for p in _tree(r)])
    tracked_cpu = sum(v - cpu0.get(pid, 0.0) for pid, v in cpu1.items())
    max_single = usage.ru_maxrss * 1024  # kilobytes on Linux
    return {
        "returncode": proc.returncode,
        "timed_out": timed_out,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime + tracked_cpu,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "tracked_cpu_s": tracked_cpu,
        "peak_mb": max(peak, max_single) / 2**20,
        "max_single_mb": max_single / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", type=Path, required=True, help="file for the command's stdout and stderr")
    ap.add_argument("--track", type=int, action="append", default=[], help="also account this process tree")
    ap.add_argument("--interval", type=float, default=0.1, help="RSS sampling interval (s)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="kill the command after this many seconds")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command given")
    load = os.getloadavg()[0]
    result = measure(cmd, args.log, args.track, args.interval, args.timeout)
    result["load_before"] = load
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
