"""A rich progress bar on stderr, fed by the library's progress callback."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from goe.cli.app import stderr


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "")
        if not speed:
            return Text(f"-- {unit}/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} {unit}/s", style="progress.data.speed")


class RichProgress:
    """Implements :class:`goe.progress.Progress` with a rich bar; ``enabled=False`` draws nothing."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._pending: tuple[str, int | None, str] | None = None

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, description: str, total: int | None, unit: str) -> None:
        # Drawn at the first progress, so errors before any work (a cluster that cannot be reached) show no bar.
        self._pending = (description, total, unit)

    def _draw(self) -> None:
        if self._pending is None:
            return
        description, total, unit = self._pending
        self._pending = None
        if self.enabled and self._bar is None:
            self._bar = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                _RateColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                console=stderr, transient=False,
            )
            self._bar.start()
        if self._bar is not None:
            self._task = self._bar.add_task(description, total=total, unit=unit)

    def advance(self, amount: int) -> None:
        self._draw()
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, amount)

    def finish(self) -> None:
        self._draw()
        if self._bar is not None and self._task is not None:
            task = self._bar.tasks[-1]
            if task.total is None:
                self._bar.update(self._task, total=task.completed)
            else:
                self._bar.update(self._task, completed=task.total)
            self._task = None
