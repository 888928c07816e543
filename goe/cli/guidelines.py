"""`goe guidelines list|show`: the bundled guideline profiles and their checks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from goe.cli.app import app, handle_errors, stdout
from goe.guidelines.profile import available_profiles, load_profile

guidelines_app = typer.Typer(help="Guideline profiles: thresholds with their sources.", no_args_is_help=True)
app.add_typer(guidelines_app, name="guidelines")


@guidelines_app.command("list")
@handle_errors
def list_profiles() -> None:
    """List the bundled guideline profiles."""
    table = Table(title="guideline profiles", title_justify="left")
    for col in ("name", "version", "status", "checks", "title"):
        table.add_column(col)
    for name in available_profiles():
        p = load_profile(name)
        table.add_row(p.name, p.version, p.status, str(len(p.checks)), p.title)
    stdout.print(table)


@guidelines_app.command("show")
@handle_errors
def show(name: Annotated[str, typer.Argument(help="Profile name or TOML file.")] = "1mg-proof-draft") -> None:
    """Show every check of a profile: level, metric, threshold, severity and source."""
    p = load_profile(name)
    stdout.print(f"[bold]{p.title}[/bold] ({p.name} {p.version}, {p.status or 'no status'})")
    if p.note:
        stdout.print(p.note)
    table = Table(show_lines=False)
    # Ids and metrics never wrap, so they stay greppable in narrow terminals and pipes.
    width = max(len(c.id) for c in p.checks)
    table.add_column("id", no_wrap=True, min_width=width)
    table.add_column("level", no_wrap=True)
    table.add_column("metric", no_wrap=True, min_width=max(len(c.metric) for c in p.checks))
    for col in ("passes when", "severity", "source"):
        table.add_column(col, overflow="fold")
    for c in p.checks:
        table.add_row(c.id, c.level, c.metric, c.describe_threshold(), c.severity, c.source)
    stdout.print(table)
