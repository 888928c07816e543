"""The Typer app, global options, and the one place errors become exit codes.

Exit codes: 0 success; 1 bad input (one line on stderr); 2 command-line usage
(unknown option, missing argument: click's own message); 3 internal error (a
bug: run with --debug for the traceback); 4 `goe qc --strict` with failed
samples; 130 interrupted.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from goe import __version__
from goe.errors import GoeError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

# emoji=False: messages hold "chr1:100:"-like text, which rich would turn into an emoji (":100:")
stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
stdout = Console(highlight=False, soft_wrap=True, emoji=False)


def _debug_env() -> bool:
    return os.environ.get("GOE_DEBUG", "") not in ("", "0")


_state = {"debug": _debug_env()}

app = typer.Typer(
    name="goe",
    help=(
        "Genome of Europe toolkit: check cohorts against the 1+MG-proof guidelines, "
        "compute exact per-country allele frequencies, and share them as GDI-ready packages."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        level = "warning" if record.levelno >= logging.WARNING else "info"
        style = "yellow" if level == "warning" else "dim"
        stderr.print(f"[{style}]{level}:[/{style}] {escape(record.getMessage())}", markup=True, highlight=False)


def _setup_logging() -> None:
    log = logging.getLogger("goe")
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        log.addHandler(_StderrHandler())
    log.setLevel(logging.INFO)
    log.propagate = False


def _version(value: bool) -> None:
    if value:
        stdout.print(f"goe {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback on errors."),
) -> None:
    """Genome of Europe toolkit."""
    _state["debug"] = debug or _debug_env()
    _setup_logging()


INTERRUPTED = "interrupted; no output was written"


def handle_errors(fn: F | None = None, *, interrupted: str = INTERRUPTED) -> Any:
    """Turn library errors into one line on stderr and an exit code (``interrupted``: the Ctrl-C line)."""
    if fn is None:
        return functools.partial(handle_errors, interrupted=interrupted)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GoeError as exc:
            if _state["debug"]:
                raise
            stderr.print(f"[bold red]error:[/bold red] {escape(str(exc))}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print(interrupted)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if _state["debug"]:
                raise
            stderr.print(
                f"[bold red]internal error:[/bold red] {type(exc).__name__}: {escape(str(exc))} "
                "(a bug in goe: run again with 'goe --debug ...' and report the traceback)",
                markup=True, highlight=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper
