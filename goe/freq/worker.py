"""One partition of `goe freq`: read a region, count, write a VCF part and Parquet parts."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from goe.cohort.groups import GroupSet
from goe.errors import VcfError
from goe.freq.alleles import Duplicates, select_alleles
from goe.freq.counting import count_alleles
from goe.freq.filters import VariantFilters, evaluate_filters
from goe.freq.genotypes import GenotypeMask, apply_mask, apply_ploidy
from goe.freq.output import AlleleRows, RowGroupParts, vcf_text
from goe.genome.assemblies import Assembly, canonical_contig
from goe.genome.ploidy import site_classes
from goe.package.finalise import PartResult
from goe.package.gdi import info_keys_per_group
from goe.privacy.floor import withheld_rows
from goe.vcf.bgzf import BgzfWriter
from goe.vcf.partition import GRID, Region
from goe.vcf.reader import iter_batches
from goe.vcf.tbi import PartIndex


@dataclass(frozen=True)
class FreqJob:
    """Everything one partition needs; picklable, so it can run in another process."""

    vcf: Path
    region: Region
    samples: tuple[str, ...]
    groups: GroupSet
    assembly: Assembly
    mask: GenotypeMask
    filters: VariantFilters
    min_allele_count: int
    part_dir: Path
    batch_size: int = 256


def run_freq_part(job: FreqJob, report: Callable[[int], None] = lambda n: None) -> PartResult:
    """Process ``job.region``; ``report(n)`` is called after each batch of ``n`` records."""
    region = job.region
    canon = canonical_contig(region.contig)
    assert canon is not None
    stats: Counter[str] = Counter()
    groups = job.groups
    matrix = groups.matrix
    keys = info_keys_per_group(groups.groups)
    labels = groups.labels
    vcf_path = job.part_dir / f"part{region.order:06d}.vcf.bgz"
    result = PartResult(region.order, vcf_path)
    parquet = RowGroupParts(job.part_dir, f"part{region.order:06d}", labels)
    last_cell = -1
    duplicates = Duplicates()
    want = job.mask.fields()
    decoder_mask = job.mask.decoder_spec()
    # Parts are written under a temporary name and renamed when complete: a partition that a
    # cluster runs again (its first worker died after finishing it) never truncates a part the
    # finaliser is reading.
    tmp_vcf = vcf_path.with_name(f"{vcf_path.name}.{os.getpid()}.tmp")
    lines: list[tuple[np.ndarray, ...]] = []  # per batch: POS, REF length, line start and end in the stream
    stream = 0
    with tmp_vcf.open("wb") as fh:
        writer = BgzfWriter(fh)
        for batch in iter_batches(job.vcf, region, job.samples, job.filters.info_keys, want, job.batch_size,
                                  decoder_mask):
            n_rec = len(batch)
            stats["records_read"] += n_rec
            if job.mask.active:
                apply_mask(batch, job.mask, stats)
            classes = site_classes(job.assembly, canon, batch.pos)
            ploidy = apply_ploidy(batch.gt, classes, groups.sex, stats)
            row_rec, row_allele, refs, alts = select_alleles(batch.refs, batch.alts, stats)
            # Drop exact duplicates (same POS, REF, ALT), as `bcftools norm -d exact` would.
            try:
                keep = duplicates.keep(batch.pos[row_rec], refs, alts, stats)
            except ValueError as exc:
                pos, last = exc.args
                raise VcfError(
                    f"{job.vcf}: records are not sorted ({region.contig}:{pos} after {region.contig}:{last})",
                    hint="sort it: bcftools sort -Oz -o sorted.vcf.gz && bcftools index sorted.vcf.gz",
                ) from None
            if not keep.all():
                row_rec, row_allele = row_rec[keep], row_allele[keep]
                refs = [x for x, k in zip(refs, keep, strict=True) if k]
                alts = [x for x, k in zip(alts, keep, strict=True) if k]
            if len(row_rec):
                counts = count_alleles(batch.gt, ploidy, row_rec, row_allele, matrix)
                total = {
                    "HWE": counts.hwe[:, 0], "F_MISSING": counts.f_missing[:, 0],
                    "AC": counts.ac[:, 0].astype(np.float64), "AN": counts.an[:, 0].astype(np.float64),
                    "AF": counts.af[:, 0],
                }
                filters = evaluate_filters(job.filters, batch.qual, batch.info, total, row_rec, batch.filters)
                withheld = withheld_rows(counts.ac, counts.an, job.min_allele_count)
                stats["alleles_written"] += len(row_rec)
                by_filter = Counter(filters)
                stats["alleles_pass"] += by_filter.pop("PASS", 0)
                for f, n in by_filter.items():
                    for name in f.split(";"):
                        stats[f"alleles_filtered_{name}"] += n
                stats["population_rows_withheld"] += int(withheld.sum())
                stats["alleles_with_withheld_rows"] += int(withheld.any(axis=1).sum())
                rows = AlleleRows(
                    region.contig, batch.pos[row_rec], [batch.ids[i] for i in row_rec.tolist()],
                    refs, alts, batch.qual[row_rec], filters, counts, withheld,
                )
                text, ends = vcf_text(rows, keys)
                reflen = np.fromiter(map(len, rows.refs), dtype=np.int64, count=len(rows.refs))
                lines.append((rows.pos, reflen, stream + ends - np.diff(ends, prepend=0), stream + ends))
                stream += len(text)
                cells = (rows.pos - 1) // GRID  # 1-based POS; regions start at k * GRID + 1
                new_cell = np.flatnonzero(cells != np.concatenate([[last_cell], cells[:-1]]))
                done = 0
                for i in new_cell.tolist():
                    cut = int(ends[i - 1]) if i else 0
                    writer.write(text[done:cut])
                    writer.boundary()  # every grid cell starts a BGZF block
                    done = cut
                writer.write(text[done:])
                last_cell = int(cells[-1])
                parquet.add(rows, cells)
            report(n_rec)
        writer.close(eof=False)
    os.replace(tmp_vcf, vcf_path)
    cols = [np.concatenate(c) for c in zip(*lines, strict=True)] if lines else [np.zeros(0, np.int64)] * 4
    pos, reflen, starts, stops = cols
    result.index = PartIndex.build(region.contig, pos - 1, pos - 1 + reflen, writer.voffsets(starts),
                                   writer.voffsets(stops, ends=True))
    parquet.flush()
    result.parquet_parts = parquet.paths
    result.stats = dict(stats)
    return result
