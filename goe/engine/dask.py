"""Run the same partitions on an existing Dask distributed cluster.

Dask is optional (``pip install 'goe[dask]'``). Workers must have goe
installed and see the inputs and the output folder at the same paths (a
shared filesystem): both are checked on every worker before any work, and
jobs carry absolute paths. A partition whose worker dies is rescheduled by
Dask on another worker (its ``allowed-failures`` setting); ``retries`` also
re-runs a partition that raised, for passing storage faults. Either way the
partition writes its part file from scratch: nothing is lost or counted twice.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from goe.errors import InputError, UsageError
from goe.progress import Progress

T = TypeVar("T")
R = TypeVar("R")
RETRIES = 1


def _client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            f"--scheduler {address} needs Dask, which is not installed", hint="install it: pip install 'goe[dask]'"
        ) from None
    try:
        return Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {address} ({exc})",
            hint="check the address, and that the scheduler is running",
        ) from None


def _probe(read: list[str], write: list[str]) -> list[str]:
    """Run on each worker: what it cannot see or write."""
    problems = []
    try:
        import goe  # noqa: F401
    except ImportError:
        return ["goe is not installed in the worker's Python"]
    for p in read:
        if not os.access(p, os.R_OK):
            problems.append(f"cannot read {p}")
    for p in write:
        if not (os.path.isdir(p) and os.access(p, os.W_OK)):
            problems.append(f"cannot write in {p}")
    return problems


def check_workers(client: Any, read: Sequence[Path], write: Sequence[Path]) -> None:
    """Fail with one line when a worker cannot import goe, read an input or write the output folder."""
    found = client.run(_probe, [str(p.resolve()) for p in read], [str(p.resolve()) for p in write])
    if not found:
        raise InputError("the Dask cluster has no workers", hint="start workers, then run again")
    for worker, problems in sorted(found.items()):
        if problems:
            raise InputError(
                f"Dask worker {worker}: {problems[0]}",
                hint="inputs and --out must be on storage every worker reads at the same path (a shared filesystem)",
            )


def _call(fn: Callable[[T, Callable[[int], None]], R], task: T) -> tuple[R, int]:
    done = [0]

    def report(n: int) -> None:
        done[0] += n

    return fn(task, report), done[0]


def run_tasks_dask(
    address: str,
    fn: Callable[[T, Callable[[int], None]], R],
    tasks: Sequence[T],
    progress: Progress,
    read: Sequence[Path] = (),
    write: Sequence[Path] = (),
    on_result: Callable[[int, R, int], None] | None = None,
) -> list[R]:
    """Run ``fn(task, report)`` for every task on the cluster; results in task order.

    ``on_result(i, result, units)`` is called as each task's result arrives.
    """
    client = _client(address)  # first: it gives the one-line install hint when Dask is missing
    from distributed import as_completed

    try:
        check_workers(client, read, write)
        token = uuid.uuid4().hex[:8]
        futures = [
            client.submit(_call, fn, t, key=f"goe-{token}-{i:06d}", retries=RETRIES, pure=False)
            for i, t in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        for fut in as_completed(futures, loop=client.loop):
            result, done = fut.result()
            i = index[fut.key]
            results[i] = result
            progress.advance(done)
            if on_result is not None:
                on_result(i, result, done)
        return results
    finally:
        client.close()
