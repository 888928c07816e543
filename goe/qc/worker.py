"""One partition of `goe qc`: per-sample statistics and kinship SNVs of a region."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from goe.genome.assemblies import Assembly, canonical_contig
from goe.genome.ploidy import SiteClass, site_classes
from goe.qc.kinship import select_kinship_snvs
from goe.qc.sample_stats import SampleStats, update_stats
from goe.vcf.partition import Region
from goe.vcf.reader import iter_batches


@dataclass(frozen=True)
class QcJob:
    """Everything one QC partition needs (picklable)."""

    vcf: Path
    region: Region
    samples: tuple[str, ...]
    assembly: Assembly
    fields: frozenset[str]
    kinship_window: int
    batch_size: int = 256


@dataclass
class QcPart:
    """What a QC partition found."""

    order: int
    stats: SampleStats
    records: int = 0
    kin_genotypes: list[np.ndarray] = field(default_factory=list)
    kin_sites: list[tuple[str, int, str, str]] = field(default_factory=list)


def run_qc_part(job: QcJob, report: Callable[[int], None] = lambda n: None) -> QcPart:
    """Scan ``job.region`` once; ``report(n)`` after each batch."""
    region = job.region
    canon = canonical_contig(region.contig)
    assert canon is not None
    part = QcPart(region.order, SampleStats(len(job.samples)))
    last_window = -1
    for batch in iter_batches(job.vcf, region, job.samples, (), job.fields, job.batch_size):
        classes = site_classes(job.assembly, canon, batch.pos)
        update_stats(part.stats, batch, classes)
        part.records += len(batch)
        eligible = (classes == SiteClass.AUTOSOME) & np.array(
            [len(r) == 1 and len(a) == 1 and len(a[0]) == 1 and a[0] in "ACGT" for r, a in zip(batch.refs, batch.alts,
                                                                                              strict=True)]
        )
        if canon in ("X", "Y", "MT"):
            eligible[:] = False
        if eligible.any():
            gt = batch.gt.astype(np.int32)
            rows, dosages, last_window = select_kinship_snvs(
                gt[..., 0], gt[..., 1], batch.pos, eligible, job.kinship_window, last_window
            )
            if len(rows):
                part.kin_genotypes.append(dosages)
                part.kin_sites += [
                    (region.contig, int(batch.pos[i]), batch.refs[i], batch.alts[i][0]) for i in rows.tolist()
                ]
        report(len(batch))
    return part
