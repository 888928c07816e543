"""Tasks for the local engine's tests: module-level, so spawned workers can import them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from goe.errors import InputError


def square(task: tuple[int, float], report: Callable[[int], None]) -> tuple[int, int]:
    """``task`` = (i, seconds): sleep, report i + 1 units, return (i * i, this process's id)."""
    i, seconds = task
    time.sleep(seconds)
    report(i + 1)
    return i * i, os.getpid()


def fail_at(task: tuple[int, int], report: Callable[[int], None]) -> int:
    """``task`` = (i, bad): raise InputError when i == bad."""
    i, bad = task
    time.sleep(0.02)
    if i == bad:
        raise InputError(f"task {i} is bad")
    report(1)
    return i
