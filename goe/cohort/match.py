"""Match the sample sheet to the VCF's sample columns."""

from __future__ import annotations

from collections.abc import Sequence

from goe.cohort.sheet import Sample, SampleSheet
from goe.errors import SampleSheetError


def match_samples(sheet: SampleSheet, vcf_samples: Sequence[str], vcf_name: str) -> tuple[list[Sample], int]:
    """Sheet samples in VCF column order, and how many VCF columns the sheet leaves out.

    A sheet sample absent from the VCF is an error naming its line.
    """
    in_vcf = set(vcf_samples)
    absent = [s for s in sheet.samples if s.vcf_sample_id not in in_vcf]
    if absent:
        first = absent[0]
        more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
        raise SampleSheetError(
            f"{sheet.path} line {first.line}: sample '{first.vcf_sample_id}' is not in {vcf_name}{more}",
            hint="fix sample_id/vcf_sample_id, or leave the sample out with --keep",
        )
    by_vcf = {s.vcf_sample_id: s for s in sheet.samples}
    ordered = [by_vcf[v] for v in vcf_samples if v in by_vcf]
    return ordered, len(vcf_samples) - len(ordered)
