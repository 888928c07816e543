"""Run independent partition tasks on a local process pool, in any order, results in plan order.

Workers report progress through a queue that the calling process drains
into the :class:`~goe.progress.Progress` callback.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from goe.progress import NO_PROGRESS, Progress

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_queue: Any = None  # this worker's progress queue (set by _init_worker)


def _init_worker(q: Any) -> None:
    global _queue
    _queue = q


def _call(fn: Callable[..., R], task: Any) -> tuple[R, int]:
    units = [0]

    def report(n: int) -> None:
        units[0] += n
        _queue.put(n)

    return fn(task, report), units[0]


def run_tasks(
    fn: Callable[[T, Callable[[int], None]], R],
    tasks: Sequence[T],
    workers: int,
    progress: Progress = NO_PROGRESS,
    on_result: Callable[[int, R, int], None] | None = None,
) -> list[R]:
    """Run ``fn(task, report)`` for every task; return results in task order.

    ``on_result(i, result, units)`` is called as each task finishes (``units``: the
    total it reported). With one worker (or one task) everything runs in this process.
    """
    if workers <= 1 or len(tasks) <= 1:
        out = []
        units = [0]

        def report(n: int) -> None:
            units[0] += n
            progress.advance(n)

        for i, t in enumerate(tasks):
            units[0] = 0
            out.append(fn(t, report))
            if on_result is not None:
                on_result(i, out[-1], units[0])
        return out
    ctx = mp.get_context("spawn")  # fork is unsafe once polars/htslib threads exist
    # Each worker is one process; keep libraries from starting a thread per core in each.
    saved = {k: os.environ.get(k) for k in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    os.environ.update({k: "1" for k in saved})
    try:
        # A plain queue handed to each worker at start: no manager process to spawn first.
        q = ctx.Queue()
        with ProcessPoolExecutor(
            min(workers, len(tasks)), mp_context=ctx, initializer=_init_worker, initargs=(q,)
        ) as pool:
            futures: dict[Future[tuple[R, int]], int] = {pool.submit(_call, fn, t): i for i, t in enumerate(tasks)}
            results: list[R | None] = [None] * len(tasks)
            pending = set(futures)
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    _drain(q, progress)
                    for f in done:
                        i = futures[f]
                        result, n_units = f.result()
                        results[i] = result
                        if on_result is not None:
                            on_result(i, result, n_units)
            except BaseException:
                for f in pending:
                    f.cancel()
                raise
            _drain(q, progress)
            return results  # type: ignore[return-value]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _drain(q: Any, progress: Progress) -> None:
    total = 0
    while True:
        try:
            total += q.get_nowait()
        except queue.Empty:
            break
    if total:
        progress.advance(total)
