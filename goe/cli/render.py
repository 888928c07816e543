"""Rich output shared by the commands that write a frequency package."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from goe.cli.app import stdout


def print_package_summary(title: str, out: Path, manifest: dict[str, Any], facts: Sequence[tuple[str, int]]) -> None:
    """The populations with their samples, then labelled counts, then where the package is."""
    pops = Table(title=f"{title} → {out}", title_justify="left")
    for col in ("population", "samples", "male", "female"):
        pops.add_column(col, justify="left" if col == "population" else "right")
    for p in manifest["populations"]:
        pops.add_row(p["label"], str(p["samples"]), str(p["male"]), str(p["female"]))
    stdout.print(pops)
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in facts:
        table.add_row(label, f"{value:,}")
    stdout.print(table)


def print_package_location(out: Path) -> None:
    """Where the package files are."""
    stdout.print(f"package: {out}/sites.vcf.gz, frequencies.parquet, manifest.json")
