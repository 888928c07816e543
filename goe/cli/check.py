"""`goe check`: would a GDI node ingest this package or sites VCF? One line per problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from goe.cli.app import app, handle_errors, stdout
from goe.cli.options import Json

if TYPE_CHECKING:  # imported when the command runs, so `goe --help` and other commands start quickly
    from goe.package.check import CheckReport


def summary_line(report: CheckReport) -> str:
    """``sites.vcf.gz: 2 errors, 1 warning; 346 records, 346 alleles, 6 populations (GRCh37)``."""
    n_err, n_warn = len(report.errors), len(report.warnings)
    verdict = f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}"
    read = (f"{report.records:,} records, {report.alleles:,} alleles, {len(report.populations)} "
            f"population{'s' * (len(report.populations) != 1)}")
    assembly = f" ({report.assembly})" if report.assembly else ""
    outcome = "GDI-ready" if not n_err else "not GDI-ready"
    return f"{report.path}: {outcome}: {verdict}; {read}{assembly}"


@app.command("check")
@handle_errors
def check(
    path: Annotated[Path, typer.Argument(help="A goe package folder (with manifest.json) or a sites VCF/VCF.gz/BCF.")],
    as_json: Json = False,
) -> None:
    """Check a frequency package or sites VCF against the GDI ingestion contract.

    Prints each problem on its own line (error: / warning:), naming the file and line, then a summary. Errors are what makes a GDI node reject or halt on the file; warnings are what it drops, ignores or warns about. Exits 1 when there is any error.
    """  # noqa: E501
    from goe.package.check import check_path

    report = check_path(path)
    if as_json:
        stdout.print_json(json.dumps(report.to_dict()))
    else:
        for p in report.problems:
            style = "bold red" if p.severity == "error" else "yellow"
            stdout.print(f"[{style}]{p.severity}:[/{style}] {escape(p.where)}: {escape(p.message)}")
        stdout.print(escape(summary_line(report)))
    if report.errors:
        raise typer.Exit(1)
