"""Entry point of the ``goe`` command: registers every command module."""

from __future__ import annotations

import importlib

from goe.cli.app import app

# Each module registers its command on import; this order is the pipeline's and the help's.
COMMANDS = ("qc", "freq", "merge", "run", "check", "guidelines")
for _name in COMMANDS:
    importlib.import_module(f"goe.cli.{_name}")


def run() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "run"]
