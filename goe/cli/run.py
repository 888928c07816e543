"""`goe run CONFIG.toml`: the whole chain from one config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from goe.cli.app import app, handle_errors, stdout
from goe.cli.options import Quiet
from goe.cli.progress import RichProgress


@app.command("run")
@handle_errors(interrupted="interrupted; the steps that finished are kept: run the same command again to resume")
def run(
    config: Annotated[Path, typer.Argument(help="Run configuration (TOML): cohorts, merge, engine.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (what would run or be skipped).")] = False,
    quiet: Quiet = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the steps as JSON.")] = False,
) -> None:
    """Chain goe qc -> goe freq (on the QC pass list) for each cohort, then goe merge, from one config.

    Steps whose inputs and parameters are unchanged since they last finished are skipped, and a step that was interrupted keeps its finished partitions, so an interrupted run resumes where it stopped. See examples/run.toml.
    """  # noqa: E501
    from goe.merge.run import MergeResult
    from goe.pipeline.config import load_config
    from goe.pipeline.run import run_chain

    cfg = load_config(config)
    with RichProgress(enabled=not quiet and not as_json and not dry_run) as progress:
        result = run_chain(cfg, progress, dry_run=dry_run)
    rows = [{"step": s.name, "status": s.status, "output": str(s.out)} for s in result.steps]
    if as_json:
        stdout.print_json(json.dumps(rows))
        return
    table = Table(title=f"goe run {config}" + (" (dry run)" if dry_run else ""), title_justify="left")
    for col in ("step", "status", "output"):
        table.add_column(col)
    for r in rows:
        styles = {"done": "green", "resumed": "green", "unchanged": "dim", "to": "yellow"}
        style = styles.get(r["status"].split()[0], "")
        table.add_row(r["step"], f"[{style}]{r['status']}[/]" if style else r["status"], r["output"])
    stdout.print(table)
    merged = [s.result for s in result.steps if isinstance(s.result, MergeResult)]
    if merged:
        from goe.cli.merge import render_summary

        render_summary(merged[0])
