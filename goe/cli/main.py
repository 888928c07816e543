"""Entry point of the ``goe`` command: registers every command module."""

from __future__ import annotations

from goe.cli import freq as _freq  # noqa: F401  (registers `goe freq`)
from goe.cli.app import app


def run() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "run"]
