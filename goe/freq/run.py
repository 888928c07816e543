"""`goe freq`: plan -> partitions -> finalise into a frequency package."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goe import __version__
from goe.cohort.groups import GroupSet, build_groups
from goe.cohort.match import match_samples
from goe.cohort.sheet import Sample, read_keep_list, read_sample_sheet
from goe.engine.resume import Resume
from goe.engine.run import Engine, run_partitions
from goe.errors import UsageError
from goe.freq.filters import filters_from_profile
from goe.freq.genotypes import GenotypeMask, mask_from_profile
from goe.freq.worker import FreqJob, run_freq_part
from goe.genome.assemblies import check_contig_lengths, get_assembly
from goe.genome.intervals import read_bed
from goe.guidelines.profile import Check, load_profile
from goe.package.finalise import PackageSpec, PartResult, finalise_package
from goe.package.staging import Staging
from goe.progress import NO_PROGRESS, Progress
from goe.vcf.plan import check_complete, plan_input
from goe.vcf.reader import inspect_vcf

log = logging.getLogger("goe")


@dataclass
class FreqOptions:
    """Inputs and parameters of one `goe freq` run."""

    vcf: Path
    samples: Path
    out: Path
    keep: Path | None = None
    assembly: str = "GRCh38"
    guidelines: str | None = None
    mask: bool = True
    min_allele_count: int = 0
    group_by: tuple[str, ...] = ()
    country: str | None = None
    workers: int | None = None
    force: bool = False
    partition_bytes: int | None = None  # None: 16 MB, less for small inputs (auto_partition_bytes)
    command_line: str | None = None
    callable: Path | None = None
    scheduler: str | None = None


@dataclass
class FreqResult:
    """What `goe freq` made."""

    out: Path
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    partitions: int = 0
    partitions_reused: int = 0  # finished by an earlier, interrupted run (``resume``)


def _warn(warnings: list[str], message: str) -> None:
    warnings.append(message)
    log.warning(message)


def _not_applied(checks: list[Check], vcf_name: str, kind: str) -> str:
    parts = ", ".join(f"{c.metric} {c.describe_threshold()}" for c in checks)
    return f"{parts} not applied ({vcf_name} has no such {kind} field)"


def _country(samples: list[Sample], given: str | None) -> str | None:
    countries = sorted({s.country for s in samples})
    if given is None:
        return countries[0] if len(countries) == 1 else None
    if len(countries) == 1 and countries[0] != given:
        raise UsageError(
            f"--country {given}, but every sample in the sheet is from {countries[0]}",
            hint=f"set --country {countries[0]} or leave it out",
        )
    if given not in countries:
        raise UsageError(
            f"--country {given}, but no sample in the sheet is from {given}",
            hint=f"give one of {', '.join(countries)}, or leave --country out",
        )
    return given


def compute_frequencies(
    opts: FreqOptions, progress: Progress = NO_PROGRESS, resume: Resume | None = None
) -> FreqResult:
    """Compute the frequency package of a cohort VCF/BCF into ``opts.out``.

    With ``resume``, partitions finished by an earlier run with the same fingerprint are kept.
    """
    warnings: list[str] = []
    if opts.min_allele_count < 0:
        raise UsageError("--min-allele-count must be 0 (off) or more")
    profile = load_profile(opts.guidelines)
    assembly = get_assembly(opts.assembly)
    sheet = read_sample_sheet(opts.samples)
    n_in_sheet = len(sheet.samples)
    if opts.keep is not None:
        sheet = sheet.restrict(read_keep_list(opts.keep, sheet))
    info = inspect_vcf(opts.vcf)
    check_contig_lengths(assembly, info.contig_lengths, str(opts.vcf))
    samples, n_extra = match_samples(sheet, info.samples, info.path.name)
    if n_extra:
        why = "not in the sample sheet or not in --keep" if opts.keep else "not in the sample sheet"
        _warn(warnings, f"{n_extra} sample(s) in {info.path.name} are left out ({why})")
    groups: GroupSet = build_groups(samples, opts.group_by)
    callable_regions = read_bed(opts.callable, assembly) if opts.callable is not None else None
    country = _country(samples, opts.country)

    plan = plan_input(info, assembly, opts.partition_bytes)
    stats: Counter[str] = Counter()
    if plan.dropped:
        stats["records_dropped_non_primary_contig"] = plan.n_dropped
        for name, n in plan.dropped.items():
            stats[f"records_dropped_contig:{name}"] = n

    mask, skipped = mask_from_profile(profile, info.format_fields) if opts.mask else (GenotypeMask(), [])
    if skipped:
        _warn(warnings, "genotype mask: " + _not_applied(skipped, info.path.name, "FORMAT"))
    vfilters, fskipped = filters_from_profile(profile, info.info_fields)
    if fskipped:
        _warn(warnings, "variant filters: " + _not_applied(fskipped, info.path.name, "INFO"))

    with Staging(opts.out, opts.force) as staging:
        part_dir = resume.open() if resume is not None else staging.parts
        jobs = [
            FreqJob(info.path.resolve(), r, tuple(s.vcf_sample_id for s in samples), groups, assembly, mask, vfilters,
                    opts.min_allele_count, part_dir)
            for r in plan.regions
        ]
        progress.start("goe freq", plan.n_records, "records")
        parts: list[PartResult] = run_partitions(
            Engine(opts.workers, opts.scheduler), run_freq_part, jobs, progress,
            read=[info.path, info.index], write=[part_dir], resume=resume, key=lambda j: j.region,
        )
        progress.finish()
        for p in parts:
            stats.update(p.stats)
        check_complete(info, plan, stats["records_read"])
        spec = PackageSpec(
            info=info, assembly=assembly, groups=groups, profile=profile, mask=mask, filters=vfilters,
            country=country, min_allele_count=opts.min_allele_count, group_by=opts.group_by,
            keep_list=opts.keep.name if opts.keep else None, command_line=opts.command_line,
            n_in_sheet=n_in_sheet, n_vcf_not_in_sheet=n_extra, stats=dict(stats),
            not_applied=[f"{c.id} ({c.metric} {c.describe_threshold()})" for c in (*skipped, *fskipped)],
            callable=callable_regions, callable_source=opts.callable.name if opts.callable else None,
            goe_version=__version__,
        )
        manifest = finalise_package(staging.path, parts, spec, progress)
        staging.publish()
    if resume is not None:
        resume.clear()
    return FreqResult(opts.out, manifest, warnings, len(jobs), resume.reused if resume else 0)
