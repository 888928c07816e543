"""Choose where partitions run: a local process pool, or a Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from goe.engine.local import default_workers, run_tasks
from goe.engine.resume import Resume
from goe.progress import Progress

T = TypeVar("T")
R = TypeVar("R")
SCHEDULER_ENV = "GOE_DASK_SCHEDULER"


@dataclass(frozen=True)
class Engine:
    """Local workers, or the address of a Dask scheduler (else ``GOE_DASK_SCHEDULER``)."""

    workers: int | None = None
    scheduler: str | None = None

    @property
    def address(self) -> str | None:
        return self.scheduler or os.environ.get(SCHEDULER_ENV) or None


def run_partitions(
    engine: Engine,
    fn: Callable[[T, Callable[[int], None]], R],
    tasks: Sequence[T],
    progress: Progress,
    read: Sequence[Path] = (),
    write: Sequence[Path] = (),
    resume: Resume | None = None,
    key: Callable[[T], Hashable] = lambda t: None,
) -> list[R]:
    """Run ``fn(task, report)`` for every task; ``read``/``write`` are checked on Dask workers first.

    With ``resume``, tasks that finished in an earlier run (same fingerprint, same
    ``key(task)``) are not run again, and each task that finishes now is recorded.
    """
    results: list[Any] = [None] * len(tasks)
    todo = list(range(len(tasks)))
    if resume is not None:
        todo = []
        for i, t in enumerate(tasks):
            kept = resume.load(i, key(t))
            if kept is None:
                todo.append(i)
            else:
                results[i] = kept[0]
                progress.advance(kept[1])
        resume.reused = len(tasks) - len(todo)
    on_result = None
    if resume is not None:
        saver = resume

        def on_result(j: int, result: Any, units: int) -> None:
            saver.save(todo[j], key(tasks[todo[j]]), result, units)

    pending = [tasks[i] for i in todo]
    if not pending:
        done: list[R] = []
    elif engine.address:
        from goe.engine.dask import run_tasks_dask

        done = run_tasks_dask(engine.address, fn, pending, progress, read, write, on_result)
    else:
        done = run_tasks(fn, pending, engine.workers or default_workers(), progress, on_result)
    for i, r in zip(todo, done, strict=True):
        results[i] = r
    return results

