"""`goe qc`: options in, one library call, a summary by country out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from goe.cli.app import app, handle_errors, stdout
from goe.cli.options import (
    Assembly,
    Cohort,
    Force,
    Guidelines,
    Json,
    PartitionSize,
    Quiet,
    Samples,
    Scheduler,
    Workers,
    parse_size,
)
from goe.cli.progress import RichProgress

if TYPE_CHECKING:  # imported when the command runs, so `goe --help` and other commands start quickly
    from goe.qc.run import QcResult

EXIT_STRICT_FAILED = 4


@app.command("qc")
@handle_errors
def qc(
    cohort: Cohort,
    samples: Samples,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the QC results.")],
    metrics: Annotated[
        list[Path] | None,
        typer.Option("--metrics", "-m", help="QC files or folders (samtools stats, Picard, mosdepth, VerifyBamID)."),
    ] = None,
    reference: Annotated[
        Path | None, typer.Option(help="Reference FASTA, for CRAM files in the alignment column.")
    ] = None,
    assembly: Assembly = "GRCh38",
    guidelines: Guidelines = "1mg-proof-draft",
    workers: Workers = None,
    scheduler: Scheduler = None,
    partition_size: PartitionSize = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with code 4 when any sample fails.")] = False,
    force: Force = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Check every sample against the 1+MG-proof guidelines and write the pass list for goe freq --keep.

    Writes samples.tsv (status, reasons, every metric), pass_samples.txt, relatedness.tsv, summary.json (aggregates only, safe to share), report.html and goe_qc_mqc.json (MultiQC custom content).
    """  # noqa: E501
    from goe.qc.run import QcOptions, run_qc

    opts = QcOptions(
        vcf=cohort, samples=samples, out=out, metrics=tuple(metrics or ()), assembly=assembly, guidelines=guidelines,
        reference=reference, workers=workers, force=force, scheduler=scheduler,
        partition_bytes=parse_size(partition_size) if partition_size else None,
    )
    with RichProgress(enabled=not quiet and not as_json) as progress:
        result = run_qc(opts, progress)
    if as_json:
        stdout.print_json(json.dumps(result.summary, default=float))
    else:
        render_summary(result)
    if strict and result.n_failed:
        raise typer.Exit(EXIT_STRICT_FAILED)


def render_summary(result: QcResult) -> None:
    """Pass/warn/fail by country, the top reasons, cohort checks, and where the outputs are."""
    s = result.summary
    table = Table(title=f"goe qc → {result.out}", title_justify="left")
    for col in ("country", "samples", "pass", "warn", "fail", "top reasons"):
        table.add_column(col, justify="left" if col in ("country", "top reasons") else "right")
    for country, c in s["cohort"]["countries"].items():
        reasons = ", ".join(f"{k} ({v})" for k, v in list(c["top_reasons"].items())[:3])
        table.add_row(country, str(c["samples"]), str(c["pass"]), f"[yellow]{c['warn']}[/]" if c["warn"] else "0",
                      f"[red]{c['fail']}[/]" if c["fail"] else "0", reasons)
    total = s["cohort"]
    table.add_row("all", str(total["samples"]), str(total["pass"]), str(total["warn"]), str(total["fail"]), "",
                  style="bold")
    stdout.print(table)
    checks = [c for c in s.get("cohort_checks", []) if c["status"] != "pass"]
    for c in checks:
        stdout.print(f"cohort check {c['id']}: {c['status']} ({c['metric']} = {c['value']}, needs {c['threshold']})")
    rel = Counter(result.relatedness["relationship"].to_list())
    if rel:
        stdout.print("related pairs: " + ", ".join(f"{k} {v}" for k, v in sorted(rel.items())))
    if s.get("not_assessed"):
        stdout.print("not assessed: " + ", ".join(s["not_assessed"]))
    stdout.print(f"outputs: {result.out}/report.html, samples.tsv, pass_samples.txt, relatedness.tsv, summary.json")
