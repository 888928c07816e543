"""Option parsing shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from goe.vcf.partition import parse_size

__all__ = ["parse_size"]

# Options that several commands share, declared once.
Cohort = Annotated[Path, typer.Argument(help="Joint-called cohort VCF.gz (tabix/CSI index) or BCF (CSI index).")]
Samples = Annotated[
    Path, typer.Option("--samples", "-s", help="Sample sheet (TSV/CSV): sample_id, sex, country[, vcf_sample_id, ...].")
]
Assembly = Annotated[str, typer.Option(help="GRCh38 or GRCh37 (PARs and contig lengths).")]
Guidelines = Annotated[str, typer.Option(help="Guideline profile name or TOML file (see goe guidelines list).")]
Workers = Annotated[int | None, typer.Option("--workers", "-j", min=1, help="Worker processes [default: all cores].")]
PartitionSize = Annotated[
    str | None,
    typer.Option(help="Target compressed bytes per partition (advanced) [default: 16M, less for small inputs, "
                      "so that there are about 32 partitions of at least 1M]."),
]
Force = Annotated[bool, typer.Option("--force", help="Replace earlier results in --out.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", envvar="GOE_DASK_SCHEDULER",
                 help="Run the partitions on this Dask scheduler (tcp://HOST:PORT) instead of local workers."),
]
