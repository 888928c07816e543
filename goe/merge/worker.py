"""One region of `goe merge`: read every input there, match alleles, sum counts, write parts."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from cyvcf2 import VCF

from goe.errors import VcfError
from goe.freq.alleles import classify_alt
from goe.freq.output import write_cell_row_groups
from goe.genome.assemblies import Assembly
from goe.genome.ploidy import PLOIDY, site_classes
from goe.merge.counts import MergedCounts, combine
from goe.merge.inputs import MergeInput
from goe.merge.normalise import Normaliser
from goe.merge.output import merged_frame, merged_lines
from goe.package.finalise import PartResult
from goe.privacy.floor import withheld_rows
from goe.vcf.bgzf import BgzfWriter
from goe.vcf.htslib_log import capture_htslib
from goe.vcf.partition import GRID
from goe.vcf.tbi import PartIndex

PAD = 10_000  # normalisation may move an indel left by this much across a region edge
STATS = ("AC", "AN", "Hom", "Het", "Hemi")


@dataclass(frozen=True)
class MergeParams:
    """Merge settings that change the output."""

    min_assessed_fraction: float = 0.5
    grpmax_min_an: int = 100
    heterogeneity_p: float = 1e-10
    min_allele_count: int = 0


@dataclass(frozen=True)
class MergeJob:
    """One region of the merge (picklable)."""

    inputs: tuple[MergeInput, ...]
    contig: str  # canonical
    out_contig: str
    start: int
    end: int | None
    order: int
    assembly: Assembly
    countries: tuple[str, ...]
    labels: tuple[str, ...]  # output populations, in column order
    reference: Path | None
    params: MergeParams
    part_dir: Path


def _value(info: object, info_id: str | None, k: int) -> int | None:
    if info_id is None:
        return None
    v = info.get(info_id)  # type: ignore[attr-defined]
    if v is None:
        return None
    if isinstance(v, tuple):
        v = v[k] if k < len(v) else None
    return None if v is None else int(v)


def _collect(job: MergeJob, norm: Normaliser, stats: Counter[str]) -> dict[tuple[int, str, str], dict]:
    """Allele key -> {"values": {label: (ac, an, hom, het, hemi)}, "filters": set, "withheld": set}."""
    records: dict[tuple[int, str, str], dict] = {}
    for inp in job.inputs:
        name = inp.contigs.get(job.contig)
        if name is None:
            continue
        q = f"{name}:{max(1, job.start - PAD)}-" + ("" if job.end is None else str(job.end + PAD))
        seen_here: set[tuple[int, str, str]] = set()
        with capture_htslib() as hts:
            vcf = VCF(str(inp.sites), lazy=True)
            try:
                for rec in vcf(q):
                    info = rec.INFO
                    given = [f for f in (rec.FILTER or "").split(";") if f and f != "PASS"]
                    for k, alt in enumerate(rec.ALT):
                        if classify_alt(alt.upper()) != "ok":
                            continue
                        pos, ref, alt_n = norm.normalise(job.contig, rec.POS, rec.REF.upper(), alt.upper())
                        if pos < job.start or (job.end is not None and pos > job.end):
                            continue
                        key = (pos, ref, alt_n)
                        if key in seen_here:
                            stats["alleles_duplicate_in_input"] += 1
                            continue
                        seen_here.add(key)
                        stats["alleles_read"] += 1
                        entry = records.setdefault(key, {"values": {}, "filters": set(), "withheld": set()})
                        entry["filters"].update(given)
                        for country in inp.countries:
                            for label, ids in country.fields.items():
                                ac = _value(info, ids.get(("AC", None)), k)
                                an = _value(info, ids.get(("AN", None)), k)
                                if ac is None or an is None:
                                    entry["withheld"].add(country.country)
                                    continue
                                zyg = [_value(info, ids.get(("AC", z)), k) for z in ("Hom", "Het", "Hemi")]
                                entry["values"][label] = (ac, an, *[-1 if v is None else v for v in zyg])
            finally:
                vcf.close()
        if hts.errors:
            raise VcfError(f"{inp.sites}: cannot read {q} ({hts.errors[0]})",
                           hint=f"check it with 'goe check {inp.source}'")
    return records


def run_merge_part(job: MergeJob, report: Callable[[int], None] = lambda n: None) -> PartResult:
    """Merge one region of every input into a VCF part and Parquet part."""
    stats: Counter[str] = Counter()
    norm = Normaliser(job.reference)
    records = _collect(job, norm, stats)
    keys = sorted(records)
    part = PartResult(job.order, job.part_dir / f"merge{job.order:06d}.vcf.bgz")
    # written under temporary names and renamed when complete (see goe.freq.worker)
    assert part.vcf_part is not None
    tmp_vcf = part.vcf_part.with_name(f"{part.vcf_part.name}.{os.getpid()}.tmp")
    bounds = [0]  # each line's start in the uncompressed stream, and the end of the last
    with tmp_vcf.open("wb") as fh:
        writer = BgzfWriter(fh)
        if keys:
            pos = np.array([k[0] for k in keys], dtype=np.int64)
            classes = site_classes(job.assembly, job.contig, pos)
            merged = combine(job, records, keys, classes, PLOIDY)
            withheld = withheld_rows(merged.ac, merged.an, job.params.min_allele_count)
            stats.update(merged.stats)
            stats["population_rows_withheld"] += int(withheld.sum())
            stats["alleles_with_withheld_rows"] += int(withheld.any(axis=1).sum())
            last_cell = -1
            for p, line in zip(pos.tolist(), merged_lines(job, keys, merged, withheld), strict=True):
                cell = (p - 1) // GRID
                if cell != last_cell:
                    writer.boundary()
                    last_cell = cell
                data = line.encode()
                writer.write(data)
                bounds.append(bounds[-1] + len(data))
            frame: pl.DataFrame = merged_frame(job, keys, merged, withheld)
            cells = (frame["pos"].to_numpy() - 1) // GRID
            part.parquet_parts = write_cell_row_groups(frame, cells, job.part_dir, f"merge{job.order:06d}")
        writer.close(eof=False)
    os.replace(tmp_vcf, part.vcf_part)
    beg = np.array([k[0] - 1 for k in keys], dtype=np.int64)
    line_at = np.array(bounds, dtype=np.int64)
    part.index = PartIndex.build(job.out_contig, beg, beg + np.array([len(k[1]) for k in keys], dtype=np.int64),
                                 writer.voffsets(line_at[:-1]), writer.voffsets(line_at[1:], ends=True))
    part.stats = dict(stats)
    report(len(keys))
    return part


__all__ = ["STATS", "MergeJob", "MergeParams", "MergedCounts", "run_merge_part"]
