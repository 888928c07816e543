"""INFO names and header lines in the GDI population grammar.

``AC_FI_M_Het``: statistic first, then country, then sex, zygosity last —
the one order both GDI readers (the Rust node and the Python mini-node)
accept. Statistics outside the grammar (NS, F_MISSING, HWE) use the same
suffixes; GDI readers skip them.
"""

from __future__ import annotations

from goe.cohort.groups import Group

# (statistic key, INFO stem, zygosity token, Number, Type, description)
STATS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("ac", "AC", "", "A", "Integer", "Allele count"),
    ("an", "AN", "", "1", "Integer", "Total number of alleles in called genotypes"),
    ("af", "AF", "", "A", "Float", "Allele frequency (AC/AN)"),
    ("ac_hom", "AC", "_Hom", "A", "Integer", "Allele count in homozygous genotypes"),
    ("ac_het", "AC", "_Het", "A", "Integer", "Allele count in heterozygous genotypes"),
    ("ac_hemi", "AC", "_Hemi", "A", "Integer", "Allele count in hemizygous (haploid) genotypes"),
    ("ns", "NS", "", "1", "Integer", "Number of samples with a call"),
    ("f_missing", "F_MISSING", "", "1", "Float", "Fraction of expected calls that are missing"),
    ("hwe", "HWE", "", "A", "Float", "Exact HWE test p-value over diploid calls (PMID:15789306)"),
)


def info_id(stem: str, zygosity: str, group: Group) -> str:
    """INFO ID of one statistic for one group, e.g. ``AC_FI_M_Het``."""
    return f"{group.info_prefix}{stem}{group.info_suffix}{zygosity}"


def _population_words(group: Group) -> str:
    if group.kind == "total":
        return "all samples"
    if group.kind == "sex":
        return "males" if group.label == "M" else "females"
    if group.kind == "country":
        return f"samples from {group.label}"
    if group.kind == "country_sex":
        country, sex = group.label.split("_")
        return f"{'males' if sex == 'M' else 'females'} from {country}"
    return f"samples with {group.label}"


def info_header_lines(groups: tuple[Group, ...]) -> list[str]:
    """``##INFO`` lines for every statistic of every group."""
    lines = []
    for g in groups:
        words = _population_words(g)
        for _key, stem, zyg, number, typ, desc in STATS:
            lines.append(
                f'##INFO=<ID={info_id(stem, zyg, g)},Number={number},Type={typ},'
                f'Description="{desc} in {words}">'
            )
    return lines


def info_keys_per_group(groups: tuple[Group, ...]) -> list[list[tuple[str, str]]]:
    """Per group: (statistic key, INFO ID) pairs, in header order."""
    return [[(key, info_id(stem, zyg, g)) for key, stem, zyg, *_ in STATS] for g in groups]
