"""Finalise a frequency package: sites VCF + index, Parquet, manifest with checksums.

Parts are joined in plan (genomic) order. Nothing here depends on how many
workers ran, so the package is byte-identical for any worker count.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from goe.cohort.groups import GroupSet
from goe.freq.filters import VariantFilters
from goe.freq.genotypes import GenotypeMask
from goe.freq.output import PARQUET_SCHEMA, write_final_parquet
from goe.genome.assemblies import PRIMARY, Assembly, canonical_contig, contig_namer
from goe.genome.intervals import Intervals
from goe.guidelines.profile import Profile
from goe.package.gdi import info_header_lines
from goe.package.parquet_join import join_parquet
from goe.package.staging import sha256_file
from goe.progress import Progress
from goe.vcf.bgzf import BgzfWriter
from goe.vcf.reader import BGZF_EOF, VcfInfo
from goe.vcf.tbi import PartIndex, write_tbi

FORMAT_NAME = "goe-frequency-package"
FORMAT_VERSION = 1
SITES = "sites.vcf.gz"
CALLABLE = "callable.bed.gz"
PARQUET = "frequencies.parquet"
MANIFEST = "manifest.json"


@dataclass
class PartResult:
    """What one partition of `goe freq` or `goe merge` wrote, for the finaliser to join."""

    order: int
    vcf_part: Path | None
    parquet_parts: list[Path] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    index: PartIndex | None = None  # the tabix index of vcf_part (offsets from the part's start)


@dataclass
class PackageSpec:
    """What the package records about how it was made."""

    info: VcfInfo
    assembly: Assembly
    groups: GroupSet
    profile: Profile
    mask: GenotypeMask
    filters: VariantFilters
    country: str | None
    min_allele_count: int
    group_by: tuple[str, ...]
    keep_list: str | None
    command_line: str | None
    n_in_sheet: int
    n_vcf_not_in_sheet: int
    stats: dict[str, int]
    not_applied: list[str]
    goe_version: str
    callable: Intervals | None = None
    callable_source: str | None = None


def _mask_words(mask: GenotypeMask) -> str:
    parts = [f"{c.metric} {c.describe_threshold()}" for c in (mask.gq, mask.dp, mask.ab) if c is not None]
    return ", ".join(parts) if parts else "off"


def sites_header(spec: PackageSpec) -> str:
    """The sites-only VCF header."""
    p = spec.profile
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        f"##reference={spec.assembly.name}",
        f"##goe_version={spec.goe_version}",
    ]
    if spec.command_line:
        lines.append(f"##goe_command={spec.command_line}")
    lines += [
        f'##goe_guidelines=<Name={p.name},Version={p.version},Status={p.status or "."},SHA256={p.sha256}>',
        f'##goe_genotype_mask="{_mask_words(spec.mask)}"',
        f"##goe_min_allele_count={spec.min_allele_count}",
    ]
    if spec.country:
        lines.append(f"##goe_country={spec.country}")
    for name in spec.info.contigs:
        canon = canonical_contig(name)
        if canon is not None:
            length = spec.assembly.lengths[canon]
            lines.append(f"##contig=<ID={name},length={length},assembly={spec.assembly.name}>")
    own = {c.filter for c in spec.filters.checks}
    for fid, desc in spec.info.filters.items():
        if fid != "PASS" and fid not in own:
            text = f"{desc} (set in the input VCF)" if desc else "Set in the input VCF"
            lines.append(f'##FILTER=<ID={fid},Description="{text}">')
    lines += spec.filters.header_lines()
    lines += info_header_lines(spec.groups.groups)
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    return "\n".join(lines) + "\n"


def join_parts(folder: Path, header: str, parts: list[PartResult], schema: dict[str, Any]) -> tuple[Path, Path]:
    """Join partition parts in plan order: sites.vcf.gz (+ .tbi) and frequencies.parquet.

    Both joins copy bytes: BGZF blocks, and Parquet row groups written in their final form by
    the workers; the ``.tbi`` comes from each part's own index, not from reading the file again.
    """
    parts = sorted(parts, key=lambda p: p.order)
    sites = folder / SITES
    parquet = folder / PARQUET
    indexes: list[PartIndex] = []
    with sites.open("wb") as fh:
        writer = BgzfWriter(fh)
        writer.write(header.encode())
        writer.close(eof=False)
        for p in parts:
            if p.vcf_part is None or not p.vcf_part.exists():
                continue
            assert p.index is not None, "a partition wrote a VCF part without its index"
            indexes.append(p.index.shifted(fh.tell()))
            with p.vcf_part.open("rb") as src:
                shutil.copyfileobj(src, fh, 1 << 20)
        fh.write(BGZF_EOF)
    write_tbi(sites.with_name(SITES + ".tbi"), indexes)
    paths = [path for p in parts for path in p.parquet_parts]
    if paths:
        join_parquet(paths, parquet)
    else:
        write_final_parquet(pl.DataFrame(schema=schema), parquet)
    return sites, parquet


def finalise_package(folder: Path, parts: list[PartResult], spec: PackageSpec, progress: Progress) -> dict[str, Any]:
    """Write the package files into ``folder``; return the manifest."""
    progress.start("finalising", None, "files")
    sites, parquet = join_parts(folder, sites_header(spec), parts, PARQUET_SCHEMA)
    progress.advance(2)

    files = [sites, sites.with_name(SITES + ".tbi"), parquet]
    if spec.callable is not None:
        bed = folder / CALLABLE
        with bed.open("wb") as fh:
            writer = BgzfWriter(fh)
            writer.write(spec.callable.to_bed(contig_namer(spec.info.contigs)).encode())
            writer.close()
        files.append(bed)
    manifest = build_manifest(spec)
    manifest["files"] = {f.name: {"sha256": sha256_file(f), "bytes": f.stat().st_size} for f in files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    progress.advance(1)
    progress.finish()
    return manifest


def _callable_entry(spec: PackageSpec) -> dict[str, Any]:
    male = int((spec.groups.sex == 0).sum())
    entry: dict[str, Any] = {"samples": {"male": male, "female": len(spec.groups.sex) - male}}
    if spec.callable is not None:
        entry.update({"file": CALLABLE, "source": spec.callable_source, "bp": spec.callable.total_bp})
    else:
        present = sorted({canonical_contig(c) for c in spec.info.contigs} - {None}, key=lambda c: PRIMARY.index(c))
        entry.update({
            "file": None,
            "assumption": "no callable regions given: every primary contig present in the VCF is assumed "
                          "callable over its whole length",
            "contigs": present,
        })
    return entry


def build_manifest(spec: PackageSpec) -> dict[str, Any]:
    """The manifest without file checksums: aggregates only, never a sample ID."""
    st = spec.stats
    counts = {k: v for k, v in sorted(st.items()) if not k.startswith("records_dropped_contig:")}
    dropped_contigs = {k.split(":", 1)[1]: v for k, v in sorted(st.items()) if k.startswith("records_dropped_contig:")}
    countries = sorted({g.label for g in spec.groups.groups if g.kind == "country"})
    sample_counts = spec.groups.sample_counts()
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "goe_version": spec.goe_version,
        "command": spec.command_line,
        "country": spec.country,
        "countries": countries,
        "assembly": spec.assembly.name,
        "input": {
            "file": spec.info.path.name,
            "format": "BCF" if spec.info.is_bcf else "VCF",
            "bytes": spec.info.path.stat().st_size,
            "samples_in_vcf": len(spec.info.samples),
        },
        "samples": {
            "in_sheet": spec.n_in_sheet,
            "used": len(spec.groups.sex),
            "in_vcf_not_in_sheet": spec.n_vcf_not_in_sheet,
            "keep_list": spec.keep_list,
        },
        "populations": [
            {"label": g.label, "kind": g.kind, **sample_counts[g.label]} for g in spec.groups.groups
        ],
        "guidelines": spec.profile.summary(),
        "parameters": {
            "genotype_mask": [c.id for c in (spec.mask.gq, spec.mask.dp, spec.mask.ab) if c is not None],
            "variant_filters": [c.id for c in spec.filters.checks],
            "min_allele_count": spec.min_allele_count,
            "group_by": list(spec.group_by),
        },
        "not_applied": spec.not_applied,
        "callable": _callable_entry(spec),
        "counts": counts,
        "dropped_contigs": dropped_contigs,
    }
