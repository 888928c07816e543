"""Keep finished partitions so that an interrupted run resumes where it stopped.

A :class:`Resume` is a folder that holds, for one fingerprint of a step's inputs
and parameters, the part files of the partitions that finished and one small
record per partition (its result and how many units it reported). A record is
written, under a temporary name then renamed, only after the partition's part
files were renamed into place, so a record always points at complete parts.
On the next run with the same fingerprint those partitions are not run again;
a different fingerprint empties the folder first. The folder is removed once
the step's output is published.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FINGERPRINT = "fingerprint.txt"


@dataclass
class Resume:
    """Finished partitions of one step, valid while its fingerprint is unchanged."""

    folder: Path
    fingerprint: str
    reused: int = 0  # partitions the last run_partitions took from an earlier run

    def open(self) -> Path:
        """Create the folder (emptied when it belongs to another fingerprint); return it."""
        stamp = self.folder / FINGERPRINT
        if self.folder.exists() and (not stamp.exists() or stamp.read_text().strip() != self.fingerprint):
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if not stamp.exists():
            stamp.write_text(self.fingerprint + "\n", encoding="utf-8")
        return self.folder.resolve()

    def _record(self, i: int) -> Path:
        return self.folder / f"done{i:06d}.pickle"

    def load(self, i: int, key: Hashable) -> tuple[Any, int] | None:
        """The result and unit count of partition ``i``, if it finished for the same ``key``."""
        try:
            saved_key, result, units = pickle.loads(self._record(i).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            return None
        return (result, units) if saved_key == key else None

    def save(self, i: int, key: Hashable, result: Any, units: int) -> None:
        """Record that partition ``i`` finished."""
        path = self._record(i)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps((key, result, units), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)

    def clear(self) -> None:
        """Forget every partition (the step's output is published)."""
        shutil.rmtree(self.folder, ignore_errors=True)
