"""Progress reporting: the library calls a callback, the CLI draws the bar.

The library never prints. Long-running functions accept ``progress`` (a
:class:`Progress`, default :data:`NO_PROGRESS`) and call ``start`` once with
the expected total (or ``None``), then ``advance`` with increments.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress from a long-running library function."""

    def start(self, description: str, total: int | None, unit: str) -> None:
        """A new phase begins; ``total`` may be unknown."""

    def advance(self, amount: int) -> None:
        """``amount`` more units of the current phase are done."""

    def finish(self) -> None:
        """The current phase is over."""


class _NoProgress:
    def start(self, description: str, total: int | None, unit: str) -> None:
        return None

    def advance(self, amount: int) -> None:
        return None

    def finish(self) -> None:
        return None


NO_PROGRESS: Progress = _NoProgress()
