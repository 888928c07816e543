"""The local engine: tasks on ``workers`` spawned processes (or here, for one); results in task order.

Real worker processes (spawn), real tasks that sleep and report progress; no part of
the engine is replaced.
"""

from __future__ import annotations

import os
import time

import pytest
from helpers.tasks import fail_at, square

from goe.engine.local import run_tasks
from goe.errors import InputError


class Recorder:
    """A Progress that adds up what it is told."""

    def __init__(self) -> None:
        self.total = 0

    def start(self, description: str, total: int | None, unit: str) -> None:
        return None

    def advance(self, amount: int) -> None:
        self.total += amount

    def finish(self) -> None:
        return None


def run(tasks: list, workers: int) -> tuple[list, dict[int, tuple[object, int]], int]:
    seen: dict[int, tuple[object, int]] = {}
    progress = Recorder()

    def on_result(i: int, result: object, units: int) -> None:
        assert i not in seen, f"task {i} reported twice"
        seen[i] = (result, units)

    out = run_tasks(square if isinstance(tasks[0][1], float) else fail_at, tasks, workers, progress, on_result)
    return out, seen, progress.total


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_in_task_order_and_each_reported_once(workers: int) -> None:
    tasks = [(i, 0.03) for i in range(12)]
    out, seen, total = run(tasks, workers)
    assert [r[0] for r in out] == [i * i for i in range(12)]
    assert sorted(seen) == list(range(12))
    assert all(seen[i][1] == i + 1 for i in range(12))  # each task's own units
    assert total == sum(i + 1 for i in range(12))
    pids = {r[1] for r in out}
    if workers == 1:
        assert pids == {os.getpid()}
    else:  # on whichever of the pool's processes is free first
        assert os.getpid() not in pids
        assert 1 <= len(pids) <= workers


@pytest.mark.parametrize("bad", [0, 5, 9])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_task_raises_its_error(bad: int, workers: int) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match=f"^task {bad} is bad$"):
        run([(i, bad) for i in range(10)], workers)
    assert time.monotonic() - started < 30
