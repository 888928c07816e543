"""`goe merge`: national packages -> the European reference, exact and order-independent."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goe import __version__
from goe.engine.resume import Resume
from goe.engine.run import Engine, run_partitions
from goe.errors import UsageError
from goe.genome.assemblies import PRIMARY, Assembly, get_assembly
from goe.merge.inputs import HarmonisationError, MergeInput, harmonise, load_input
from goe.merge.output import MERGED_SCHEMA
from goe.merge.worker import MergeJob, MergeParams, run_merge_part
from goe.package.finalise import FORMAT_NAME, FORMAT_VERSION, MANIFEST, SITES, PartResult, join_parts
from goe.package.staging import Staging, sha256_file
from goe.progress import NO_PROGRESS, Progress
from goe.vcf.index import find_index, read_index
from goe.vcf.partition import GRID

RECORDS_PER_REGION = 200_000
log = logging.getLogger("goe")


@dataclass
class MergeOptions:
    """Inputs and parameters of one `goe merge` run."""

    inputs: list[str]
    out: Path
    reference: Path | None = None
    allow_mixed_guidelines: bool = False
    params: MergeParams = field(default_factory=MergeParams)
    workers: int | None = None
    force: bool = False
    check_inputs: bool = True
    command_line: str | None = None
    scheduler: str | None = None


@dataclass
class MergeResult:
    """What `goe merge` wrote."""

    out: Path
    manifest: dict[str, Any]
    partitions: int = 0
    partitions_reused: int = 0  # finished by an earlier, interrupted run (``resume``)


def _labels(inputs: list[MergeInput]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    countries = tuple(c.country for i in inputs for c in i.countries)
    per = {c.country: c for i in inputs for c in i.countries}
    sexed = all(f"{c}_M" in per[c].fields and f"{c}_F" in per[c].fields for c in countries)
    labels = ["Total", *(["M", "F"] if sexed else [])]
    for c in sorted(countries):
        labels += [lab for lab in (c, f"{c}_M", f"{c}_F") if lab in per[c].fields]
    return tuple(sorted(countries)), tuple(labels)


def _out_name(assembly: Assembly, canon: str) -> str:
    if assembly.name == "GRCh38":
        return "chrM" if canon == "MT" else f"chr{canon}"
    return canon


def _plan(inputs: list[MergeInput], assembly: Assembly) -> list[tuple[str, int, int | None]]:
    """Regions over every contig any input has: equal spans on the grid, sized by records in all inputs."""
    records: Counter[str] = Counter()
    for inp in inputs:
        index = find_index(inp.sites)
        assert index is not None
        names = list(inp.contigs.values())
        canon_of = {v: k for k, v in inp.contigs.items()}
        for i, ci in enumerate(read_index(index).contigs):
            name = ci.name if ci.name is not None else (names[i] if i < len(names) else None)
            if name in canon_of:
                records[canon_of[name]] += ci.n_records or 1
    regions = []
    for canon in PRIMARY:
        if canon not in records:
            continue
        pieces = max(1, math.ceil(records[canon] / RECORDS_PER_REGION))
        step = max(1, math.ceil(assembly.lengths[canon] / pieces / GRID)) * GRID
        start = 1
        while True:
            end = start + step - 1
            last = end >= assembly.lengths[canon]
            regions.append((canon, start, None if last else end))
            if last:
                break
            start = end + 1
    return regions


def merge_packages(
    opts: MergeOptions, progress: Progress = NO_PROGRESS, resume: Resume | None = None
) -> MergeResult:
    """Merge national packages (or GDI-grammar sites VCFs) into one package in ``opts.out``.

    With ``resume``, partitions finished by an earlier run with the same fingerprint are kept.
    """
    if not opts.inputs:
        raise UsageError("goe merge needs at least one input package")
    inputs = [load_input(spec) for spec in opts.inputs]
    assembly = get_assembly(harmonise(inputs, opts.allow_mixed_guidelines))
    if opts.check_inputs:
        from goe.package.check import check_path

        for inp in inputs:
            problems = [q for q in check_path(inp.source).problems if q.severity == "error"]
            if problems:
                first = problems[0]
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise HarmonisationError(f"{inp.given} fails the GDI checks: {first.where}: {first.message}{more}",
                                         hint=f"see every problem with: goe check {inp.source}")
    if opts.reference is None:
        log.warning("no --reference: alleles are matched split and trimmed, but not left-aligned; "
                    "give the reference FASTA to check REF and left-align indels")
    countries, labels = _labels(inputs)
    regions = _plan(inputs, assembly)
    with Staging(opts.out, opts.force) as staging:
        part_dir = resume.open() if resume is not None else staging.parts
        jobs = [
            MergeJob(tuple(inputs), canon, _out_name(assembly, canon), start, end, k, assembly, countries, labels,
                     opts.reference.resolve() if opts.reference else None, opts.params, part_dir)
            for k, (canon, start, end) in enumerate(regions)
        ]
        progress.start("goe merge", None, "alleles")
        parts: list[PartResult] = run_partitions(
            Engine(opts.workers, opts.scheduler), run_merge_part, jobs, progress,
            read=[i.sites for i in inputs] + ([opts.reference] if opts.reference else []), write=[part_dir],
            resume=resume, key=lambda j: (j.contig, j.start, j.end),
        )
        progress.finish()
        stats: Counter[str] = Counter()
        for p in parts:
            stats.update(p.stats)
        manifest = _finalise(staging.path, parts, inputs, assembly, countries, labels, opts, dict(stats))
        staging.publish()
    if resume is not None:
        resume.clear()
    return MergeResult(opts.out, manifest, len(jobs), resume.reused if resume else 0)


def _header(inputs: list[MergeInput], assembly: Assembly, countries: tuple[str, ...], labels: tuple[str, ...],
            opts: MergeOptions) -> str:
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">',
             f"##reference={assembly.name}", f"##goe_version={__version__}"]
    if opts.command_line:
        lines.append(f"##goe_command={opts.command_line}")
    for inp in inputs:
        lines.append(f"##goe_input=<Countries={','.join(c.country for c in inp.countries)},"
                     f"File={inp.sites.name},SHA256={inp.sha256}>")
    present = sorted({c for i in inputs for c in i.contigs}, key=PRIMARY.index)
    lines += [f"##contig=<ID={_out_name(assembly, c)},length={assembly.lengths[c]},assembly={assembly.name}>"
              for c in present]
    filters = {fid: desc for i in inputs for fid, desc in i.filters.items() if fid != "PASS"}
    lines += [f'##FILTER=<ID={fid},Description="{desc or "Set in an input"}">' for fid, desc in sorted(filters.items())]
    need = max(1, math.ceil(opts.params.min_assessed_fraction * len(countries)))
    if "AC0" not in filters:
        lines.append('##FILTER=<ID=AC0,Description="No ALT allele in the merged counts (summed AC = 0)">')
    lines.append(f'##FILTER=<ID=FewCountries,Description="Counted in fewer than {need} of {len(countries)} '
                 f'countries (the others were not callable there, or withheld the allele)">')
    for lab in labels:
        s = "" if lab == "Total" else "_" + lab
        who = "all samples" if lab == "Total" else lab
        lines += [
            f'##INFO=<ID=AC{s},Number=A,Type=Integer,Description="Allele count in {who}">',
            f'##INFO=<ID=AN{s},Number=1,Type=Integer,Description="Total number of alleles in {who}">',
            f'##INFO=<ID=AF{s},Number=A,Type=Float,Description="Allele frequency (summed AC / summed AN) in {who}">',
        ]
        lines += [f'##INFO=<ID=AC{s}_{z},Number=A,Type=Integer,Description="Allele count in {z.lower()}ozygous '
                  f'genotypes in {who}">' for z in ("Hom", "Het", "Hemi")]
    for lab in ("Total", *countries):
        s = "" if lab == "Total" else "_" + lab
        lines.append(f'##INFO=<ID=faf95{s},Number=A,Type=Float,Description="Filtering allele frequency (95% '
                     f'confidence, gnomAD definition) in {"all samples" if lab == "Total" else lab}">')
    lines += [
        '##INFO=<ID=grpmax,Number=A,Type=String,Description="Country with the highest AF among those with '
        f'AN >= {opts.params.grpmax_min_an}">',
        '##INFO=<ID=grpmax_ac,Number=A,Type=Integer,Description="AC in the grpmax country">',
        '##INFO=<ID=grpmax_an,Number=1,Type=Integer,Description="AN in the grpmax country">',
        '##INFO=<ID=grpmax_af,Number=A,Type=Float,Description="AF in the grpmax country">',
        '##INFO=<ID=goe_het_p,Number=A,Type=Float,Description="Chi-square test of equal AF across assessed countries">',
        f'##INFO=<ID=goe_af_heterogeneity,Number=0,Type=Flag,Description="AF differs strongly between countries '
        f'(goe_het_p < {opts.params.heterogeneity_p:g}): often a batch artefact">',
        '##INFO=<ID=goe_not_assessed,Number=.,Type=String,Description="Countries where the site was not callable '
        '(they contribute nothing here)">',
        '##INFO=<ID=goe_withheld_in_input,Number=.,Type=String,Description="Countries whose package withheld this '
        'allele\'s row (small counts); they contribute nothing here">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    return "\n".join(lines) + "\n"


def _finalise(folder: Path, parts: list[PartResult], inputs: list[MergeInput], assembly: Assembly,
              countries: tuple[str, ...], labels: tuple[str, ...], opts: MergeOptions,
              stats: dict[str, int]) -> dict[str, Any]:
    header = _header(inputs, assembly, countries, labels, opts)
    sites, parquet = join_parts(folder, header, parts, MERGED_SCHEMA)
    per = {c.country: c for i in inputs for c in i.countries}
    pops = []
    for lab in labels:
        parts_of = [c for c in countries if lab in ("Total", "M", "F") or lab.split("_")[0] == c]
        sex = lab.rsplit("_", 1)[-1] if lab not in ("Total",) and lab.rsplit("_", 1)[-1] in ("M", "F") else None
        male = sum((per[c].samples or {}).get("male", 0) for c in parts_of) if sex in (None, "M") else 0
        female = sum((per[c].samples or {}).get("female", 0) for c in parts_of) if sex in (None, "F") else 0
        pops.append({"label": lab, "samples": male + female, "male": male, "female": female})
    manifest: dict[str, Any] = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": "merged", "goe_version": __version__,
        "command": opts.command_line, "country": None, "countries": list(countries), "assembly": assembly.name,
        "populations": pops,
        "inputs": [i.provenance() for i in inputs],
        "parameters": {
            "reference": opts.reference.name if opts.reference else None,
            "min_allele_count": opts.params.min_allele_count,
            "min_assessed_fraction": opts.params.min_assessed_fraction,
            "grpmax_min_an": opts.params.grpmax_min_an,
            "heterogeneity_p": opts.params.heterogeneity_p,
            "allow_mixed_guidelines": opts.allow_mixed_guidelines,
        },
        "callable": {c: ("regions" if i.callable is not None else
                         "no callable regions: whole contigs present assumed callable")
                     for i in inputs for c in (x.country for x in i.countries)},
        "samples_estimated": sorted(c.country for i in inputs for c in i.countries if c.samples_estimated),
        "counts": dict(sorted(stats.items())),
    }
    manifest["files"] = {f.name: {"sha256": sha256_file(f), "bytes": f.stat().st_size}
                         for f in (sites, sites.with_name(SITES + ".tbi"), parquet)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
