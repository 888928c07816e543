"""Plan the partitions of an input: regions on primary contigs, and what is dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from goe.errors import AssemblyError, VcfError
from goe.genome.assemblies import Assembly, canonical_contig
from goe.vcf.index import read_index
from goe.vcf.partition import Region, auto_partition_bytes, plan_regions
from goe.vcf.reader import VcfInfo


@dataclass
class InputPlan:
    """Regions to process, records expected there, and records on contigs goe drops."""

    regions: list[Region]
    n_records: int | None
    dropped: dict[str, int] = field(default_factory=dict)  # contig -> records
    spans: dict[str, int] = field(default_factory=dict)  # contig -> bp between first and last index checkpoint

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())


def plan_input(info: VcfInfo, assembly: Assembly, partition_bytes: int | None = None) -> InputPlan:
    """Read the index and plan regions over the primary chromosomes; fail when nothing is left.

    ``partition_bytes`` None: :func:`~goe.vcf.partition.auto_partition_bytes` of the file's size.
    """
    index = read_index(info.index)
    names = list(info.contigs)
    declared = set(info.contigs)
    foreign = [ci.name for ci in index.contigs if ci.name is not None and ci.name not in declared]
    if foreign or (index.kind == "csi" and len(index.contigs) > len(names)):
        what = f"lists contig {foreign[0]}, which" if foreign else "lists more contigs than"
        raise VcfError(
            f"{info.index}: the index does not belong to {info.path.name} (it {what} the VCF header does not declare)",
            hint=f"re-create it: bcftools index -f {info.path.name}",
        )
    primary = {c for c in info.contigs if canonical_contig(c) is not None}
    dropped: dict[str, int] = {}
    spans: dict[str, int] = {}
    total = 0
    for i, ci in enumerate(index.contigs):
        name = ci.name if ci.name is not None else (names[i] if i < len(names) else f"#{i}")
        n = ci.n_records or 0
        total += n
        if name not in primary:
            if n:
                dropped[name] = n
            continue
        if ci.checkpoints:
            spans[name] = ci.checkpoints[-1][0] - ci.checkpoints[0][0] + (1 << 14)
    size = info.path.stat().st_size
    regions = plan_regions(index, names, primary, size, partition_bytes or auto_partition_bytes(size))
    if not regions:
        if dropped:
            shown = ", ".join(sorted(dropped)[:5])
            raise AssemblyError(
                f"{info.path}: no record lies on a primary chromosome of {assembly.name} (contigs: {shown})",
                hint="goe keeps chromosomes 1-22, X, Y and MT, named with or without 'chr'",
            )
        raise VcfError(
            f"{info.path}: the file holds no variant records",
            hint=f"check it: bcftools view -H {info.path.name} | head",
        )
    expected = total - sum(dropped.values())
    return InputPlan(regions, expected or None, dropped, spans)


def check_complete(info: VcfInfo, plan: InputPlan, records_read: int) -> None:
    """Fail when fewer (or more) records were read than the index lists: a corrupt file or a foreign index."""
    if plan.n_records is not None and records_read != plan.n_records:
        raise VcfError(
            f"{info.path}: read {records_read:,} of the {plan.n_records:,} records the index lists "
            "(a corrupt file, or an index of another file)",
            hint=f"check it with 'bcftools view {info.path.name} > /dev/null' and re-create the index: "
            f"bcftools index -f {info.path.name}",
        )
