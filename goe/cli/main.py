"""Entry point of the ``goe`` command: registers every command module."""

from __future__ import annotations

import importlib
import os
import signal
import sys


def _one_worker(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in ("-j", "--workers") and i + 1 < len(argv):
            return argv[i + 1] == "1"
        if arg in ("-j1", "--workers=1"):
            return True
    return False


# `-j 1` means one core: keep polars and BLAS from starting a thread per core. This must happen
# before polars is imported (it sizes its thread pool then); users' own settings win.
if _one_worker(sys.argv[1:]):
    for _var in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

from goe.cli.app import app  # noqa: E402

# Each module registers its command on import; this order is the pipeline's and the help's.
COMMANDS = ("qc", "freq", "merge", "run", "check", "guidelines")
for _name in COMMANDS:
    importlib.import_module(f"goe.cli.{_name}")


def _terminated(signum: int, frame: object) -> None:
    # SIGTERM (kill, a Slurm time limit, docker stop) cleans up as Ctrl-C does: no output left behind
    raise KeyboardInterrupt


def run() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminated)
    app()


__all__ = ["app", "run"]
