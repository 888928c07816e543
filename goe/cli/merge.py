"""`goe merge`: national packages in, one library call, a short table out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from goe.cli.app import app, handle_errors, stdout
from goe.cli.options import Force, Json, Quiet, Scheduler, Workers
from goe.cli.progress import RichProgress
from goe.cli.render import print_package_location, print_package_summary

if TYPE_CHECKING:  # imported when the command runs, so `goe --help` and other commands start quickly
    from goe.merge.run import MergeResult


@app.command("merge")
@handle_errors
def merge(
    packages: Annotated[
        list[str],
        typer.Argument(help="National packages (folders made by goe freq) or GDI-grammar sites VCFs; "
                            "name a file's country as PATH=CC when its INFO fields do not."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the merged package.")],
    reference: Annotated[
        Path | None, typer.Option(help="Reference FASTA (+.fai): check REF and left-align alleles before matching.")
    ] = None,
    min_allele_count: Annotated[
        int, typer.Option(min=0, help="Small-count floor applied after merging (0 = off).")
    ] = 0,
    min_assessed_fraction: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="FILTER FewCountries below this share of countries assessed.")
    ] = 0.5,
    grpmax_min_an: Annotated[int, typer.Option(min=0, help="grpmax considers countries with at least this AN.")] = 100,
    heterogeneity_p: Annotated[
        float, typer.Option(help="Flag goe_af_heterogeneity where the between-country test p is below this.")
    ] = 1e-10,
    allow_mixed_guidelines: Annotated[
        bool, typer.Option("--allow-mixed-guidelines", help="Merge packages made with different guideline profiles.")
    ] = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    force: Force = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Merge national frequency packages into the European reference.

    AC, AN and AF per country, per sex and in total, as if all genomes had been counted together: a country that did not report an allele adds AC = 0 and the AN of its callable regions; AF is recomputed from the sums. Adds faf95, grpmax and a between-country heterogeneity test. The output is the same bytes whatever the order of the inputs.
    """  # noqa: E501
    from goe.merge.run import MergeOptions, merge_packages
    from goe.merge.worker import MergeParams

    params = MergeParams(min_assessed_fraction, grpmax_min_an, heterogeneity_p, min_allele_count)
    words = ["goe", "merge", *sorted(packages), "--out", out.name or str(out)]
    if reference:
        words += ["--reference", str(reference)]
    settings = (("--min-allele-count", min_allele_count, 0), ("--min-assessed-fraction", min_assessed_fraction, 0.5),
                ("--grpmax-min-an", grpmax_min_an, 100), ("--heterogeneity-p", heterogeneity_p, 1e-10))
    for flag, value, default in settings:
        if value != default:
            words += [flag, str(value)]
    if allow_mixed_guidelines:
        words.append("--allow-mixed-guidelines")
    opts = MergeOptions(list(packages), out, reference, allow_mixed_guidelines, params, workers, force,
                        command_line=" ".join(words), scheduler=scheduler)
    with RichProgress(enabled=not quiet and not as_json) as progress:
        result = merge_packages(opts, progress)
    if as_json:
        stdout.print_json(json.dumps(result.manifest))
    else:
        render_summary(result)


def render_summary(result: MergeResult) -> None:
    """Alleles, per-country samples, and what was flagged."""
    m = result.manifest
    c = m["counts"]
    keys = (("alleles", "alleles_written"), ("  of which PASS", "alleles_pass"),
            ("reported by every country", "alleles_reported_by_every_country"),
            ("AN from callable regions somewhere", "alleles_with_an_from_callable_regions"),
            ("not assessed in some country", "alleles_not_assessed_somewhere"),
            ("FewCountries", "alleles_filtered_FewCountries"),
            ("AF heterogeneous between countries", "alleles_af_heterogeneous"),
            ("population rows withheld (floor)", "population_rows_withheld"))
    print_package_summary("goe merge", result.out, m, [(label, c.get(key, 0)) for label, key in keys])
    assumed = [k for k, v in m["callable"].items() if v != "regions"]
    if assumed:
        stdout.print(f"no callable regions from {', '.join(assumed)}: whole contigs present were assumed callable")
    print_package_location(result.out)
