"""Choose where partitions run: a local process pool, or a Dask cluster."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from goe.engine.local import default_workers, run_tasks
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
) -> list[R]:
    """Run ``fn(task, report)`` for every task; ``read``/``write`` are checked on Dask workers first."""
    if engine.address:
        from goe.engine.dask import run_tasks_dask

        return run_tasks_dask(engine.address, fn, tasks, progress, read, write)
    return run_tasks(fn, tasks, engine.workers or default_workers(), progress)
