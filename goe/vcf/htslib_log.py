"""Capture what htslib writes straight to file descriptor 2.

htslib (inside cyvcf2 and pysam) prints errors such as
``[E::bgzf_uncompress] Inflate operation failed`` to the process's stderr.
goe turns them into its own one-line errors instead: while reading, fd 2 is
pointed at a temporary file, and Python's ``sys.stderr`` (progress bars,
warnings) keeps writing to the real terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class HtslibLog:
    """Lines htslib wrote while captured."""

    lines: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [ln for ln in self.lines if ln.startswith("[E::")]

    @property
    def warnings(self) -> list[str]:
        return [ln for ln in self.lines if not ln.startswith("[E::")]


@contextlib.contextmanager
def capture_htslib() -> Iterator[HtslibLog]:
    """Redirect fd 2 to a temporary file for the duration; the log is filled on exit."""
    log = HtslibLog()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to capture
        yield log
        return
    old_sys = sys.stderr
    swapped: io.TextIOWrapper | None = None
    with tempfile.TemporaryFile() as tmp:
        with contextlib.suppress(Exception):
            old_sys.flush()
        os.dup2(tmp.fileno(), 2)
        if old_sys is sys.__stderr__:
            swapped = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
            sys.stderr = swapped
        try:
            yield log
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if swapped is not None:
                sys.stderr = old_sys
                swapped.close()
            tmp.seek(0)
            text = tmp.read().decode("utf-8", errors="replace")
            log.lines.extend(ln.strip() for ln in text.splitlines() if ln.strip())
