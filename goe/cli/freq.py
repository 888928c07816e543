"""`goe freq`: options in, one library call, a summary out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
from goe.cli.render import print_package_location, print_package_summary

if TYPE_CHECKING:  # imported when the command runs, so `goe --help` and other commands start quickly
    from goe.freq.run import FreqResult


def provenance_command(vcf: Path, samples: Path, out: Path, **opts: object) -> str:
    """The command line as recorded in the package: options that change the output only.

    --workers, --quiet, --force and --json are left out and --out is reduced to
    the folder name, so the package is the same bytes wherever and however it was run.
    """
    words = ["goe", "freq", str(vcf), "--samples", str(samples), "--out", out.name or str(out)]
    for name, value in opts.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value == () or value is False:
            continue
        if value is True:
            words.append(flag)
        elif isinstance(value, tuple):
            for v in value:
                words += [flag, str(v)]
        else:
            words += [flag, str(value)]
    return " ".join(words)


@app.command("freq")
@handle_errors
def freq(
    cohort: Cohort,
    samples: Samples,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the frequency package.")],
    keep: Annotated[
        Path | None, typer.Option(help="Only these sample IDs (one per line), e.g. goe qc's pass_samples.txt.")
    ] = None,
    assembly: Assembly = "GRCh38",
    guidelines: Guidelines = "1mg-proof-draft",
    mask: Annotated[bool, typer.Option("--mask/--no-mask", help="Set low-quality genotypes missing.")] = True,
    min_allele_count: Annotated[
        int, typer.Option(min=0, help="Small-count floor: withhold rows with 0 < AC < N or 0 < AN-AC < N (0 = off).")
    ] = 0,
    group_by: Annotated[
        list[str] | None, typer.Option("--group-by", help="Extra sample-sheet column to group by (repeatable).")
    ] = None,
    country: Annotated[str | None, typer.Option(help="Country of the package when the sheet holds several.")] = None,
    callable_bed: Annotated[
        Path | None,
        typer.Option("--callable", help="BED of the regions where the cohort was callable (recorded for goe merge)."),
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    partition_size: PartitionSize = None,
    force: Force = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Compute exact per-country, per-sex allele frequencies and write a shareable package.

    Writes sites.vcf.gz (+ .tbi) in the GDI population grammar, frequencies.parquet (one row per allele and population) and manifest.json (counts, parameters, sha256 of every file). No sample ID or genotype is written to the package.
    """  # noqa: E501
    part_bytes = parse_size(partition_size) if partition_size else None
    from goe.freq.run import FreqOptions, compute_frequencies

    opts = FreqOptions(
        vcf=cohort, samples=samples, out=out, keep=keep, assembly=assembly, guidelines=guidelines,
        mask=mask, min_allele_count=min_allele_count, group_by=tuple(group_by or ()), country=country,
        workers=workers, force=force, partition_bytes=part_bytes, callable=callable_bed, scheduler=scheduler,
    )
    opts.command_line = provenance_command(
        cohort, samples, out, keep=keep, assembly=assembly if assembly != "GRCh38" else None,
        guidelines=guidelines if guidelines != "1mg-proof-draft" else None, no_mask=not mask,
        min_allele_count=min_allele_count or None, group_by=tuple(group_by or ()), country=country,
        callable=callable_bed,
    )
    with RichProgress(enabled=not quiet and not as_json) as progress:
        result = compute_frequencies(opts, progress)
    if as_json:
        stdout.print_json(json.dumps(result.manifest))
    else:
        render_summary(result)


def render_summary(result: FreqResult) -> None:
    """A short summary: populations, what was written, what was left out."""
    c = result.manifest["counts"]
    print_package_summary("goe freq", result.out, result.manifest, [
        ("records read", c.get("records_read", 0)),
        ("alleles written", c.get("alleles_written", 0)),
        ("  of which PASS", c.get("alleles_pass", 0)),
        ("records on other contigs (dropped)", c.get("records_dropped_non_primary_contig", 0)),
        ("symbolic / * alleles (excluded)", c.get("alleles_excluded_symbolic", 0) + c.get("alleles_excluded_star", 0)),
        ("genotypes masked", c.get("genotypes_masked", 0)),
        ("population rows withheld (floor)", c.get("population_rows_withheld", 0)),
    ])
    print_package_location(result.out)
