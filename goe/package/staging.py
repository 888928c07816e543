"""Atomic output: build the package in a hidden sibling folder, then move it into place.

A failed or interrupted run leaves no partial package, and an existing one
is replaced only with ``force`` and only if it is a goe package (or empty).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from goe.errors import OutputError

MARKER = "manifest.json"


def check_output_dir(out: Path, force: bool, marker: str = MARKER) -> None:
    """Fail early when ``out`` cannot receive a package."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder", hint="choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputError(
                f"{out}: folder exists and is not empty", hint="use --force to replace it, or choose another --out"
            )
        if not (out / marker).exists():
            raise OutputError(
                f"{out}: folder is not empty and holds no goe output; refusing to replace it even with --force",
                hint="choose another --out",
            )
    parent = out.resolve().parent
    for p in [parent, *parent.parents]:
        if p.exists():
            if not p.is_dir():
                raise OutputError(f"{out}: cannot create the output folder, {p} is a file", hint="choose another --out")
            if not os.access(p, os.W_OK):
                raise OutputError(f"{out}: cannot write in {p}", hint="choose a writable --out")
            break


class Staging:
    """Context manager: ``path`` is a scratch folder; on success it becomes ``out``."""

    def __init__(self, out: Path, force: bool, marker: str = MARKER) -> None:
        self.out = out
        self.force = force
        check_output_dir(out, force, marker)
        parent = out.resolve().parent
        self._created = [p for p in [parent, *parent.parents] if not p.exists()]
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".{out.name}.goe-tmp-", dir=parent))
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
        self.parts = self.path / ".parts"
        self.parts.mkdir()

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            for p in self._created:  # folders made for --out, innermost first, if still empty
                with contextlib.suppress(OSError):
                    p.rmdir()

    def publish(self) -> Path:
        """Move the finished package into place (replacing an old one)."""
        shutil.rmtree(self.parts, ignore_errors=True)
        umask = os.umask(0)
        os.umask(umask)
        self.path.chmod(0o777 & ~umask)  # mkdtemp makes it private; a published folder follows the umask
        old = None
        if self.out.exists():
            old = self.out.with_name(f".{self.out.name}.goe-old-{os.getpid()}")
            os.replace(self.out, old)
        try:
            os.replace(self.path, self.out)
        except OSError:
            if old is not None:
                os.replace(old, self.out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
