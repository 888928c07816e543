"""mosdepth outputs: ``*.mosdepth.summary.txt`` and ``*.mosdepth.global.dist.txt``.

Summary (``chrom length bases mean min max``): ``mean_autosome_coverage`` is
the sum of ``bases`` over the autosomes divided by the sum of their lengths
(a length-weighted mean). ``*_region`` rows (from ``--by``) are ignored. When
no autosome is present (non-human samples, targeted runs), the ``total`` row
gives ``mean_coverage`` instead, so the name says it is not autosomal.

Global distribution (``chrom coverage fraction`` lines, fraction = share of
the chromosome's bases with at least that coverage, from the highest coverage
down to 0; mosdepth leaves out levels whose fraction is below 8e-5 and, above
300x, levels no base has): ``pct_autosomes_15x/20x/30x`` combine the
autosomes, each weighted by its length. The file holds no lengths: they come
from the ``*.mosdepth.summary.txt`` next to it when there is one, else from
GRCh38. Without autosomes, the ``total`` rows give ``pct_15x/20x/30x``.

Autosomes are ``1``..``22`` or ``chr1``..``chr22``, and also their RefSeq
(``NC_000001``..``NC_000022``) and GenBank (``CM000663``..``CM000684``, GRCh37
and GRCh38) accessions.
"""

from __future__ import annotations

import re
from pathlib import Path

from goe.genome.assemblies import ASSEMBLIES
from goe.qc.seqmetrics import MetricsFile, SeqMetricsError
from goe.qc.seqmetrics._common import read_lines

SUMMARY_HEADER = ("chrom", "length", "bases", "mean", "min", "max")
DIST_SUFFIX = ".mosdepth.global.dist.txt"
SUMMARY_SUFFIX = ".mosdepth.summary.txt"
THRESHOLDS = (15, 20, 30)

_DIST_LINE = re.compile(r"^([^\t]+)\t(\d+)\t(\d+(?:\.\d+)?(?:[eE]-?\d+)?)$")
_REFSEQ = re.compile(r"^NC_0000(\d\d)(?:\.\d+)?$")
_GENBANK = re.compile(r"^CM000(\d\d\d)(?:\.\d+)?$")
_GRCH38 = ASSEMBLIES["GRCh38"].lengths


def autosome(name: str) -> str | None:
    """``"1"``..``"22"`` for an autosome name (``1``, ``chr1``, ``NC_000001.11``, ``CM000663.2``), else ``None``."""
    base = name[3:] if name[:3].lower() == "chr" else name
    if base.isdigit() and 1 <= int(base) <= 22 and not base.startswith("0"):
        return base
    m = _REFSEQ.match(name)
    if m and 1 <= int(m.group(1)) <= 22:
        return str(int(m.group(1)))
    m = _GENBANK.match(name)
    if m and 663 <= int(m.group(1)) <= 684:
        return str(int(m.group(1)) - 662)
    return None


def looks_like_summary(head: str) -> bool:
    """Whether the start of a file is a mosdepth summary."""
    for line in head.splitlines():
        if line.strip():
            return tuple(line.split()) == SUMMARY_HEADER
    return False


def looks_like_dist(head: str) -> bool:
    """Whether the start of a file is a mosdepth distribution (``chrom coverage fraction`` lines)."""
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if len(head) >= 65536 and lines:
        lines = lines[:-1]  # the last line may be cut off
    lines = lines[:200]
    if not lines:
        return False
    previous: tuple[str, int, float] | None = None
    for line in lines:
        m = _DIST_LINE.match(line)
        if not m:
            return False
        chrom, cov, frac = m.group(1), int(m.group(2)), float(m.group(3))
        if frac > 1.0:
            return False
        if previous is not None and previous[0] == chrom and not (cov < previous[1] and frac >= previous[2]):
            return False
        previous = (chrom, cov, frac)
    return True


def _summary_rows(path: Path, lines: list[str]) -> list[tuple[int, str, float, float]]:
    """(line, chrom, length, bases) for each row of a summary, ``*_region`` rows left out."""
    rows: list[tuple[int, str, float, float]] = []
    for lineno, line in enumerate(lines, start=1):
        if lineno == 1 or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(SUMMARY_HEADER):
            raise SeqMetricsError(
                f"{path} line {lineno}: {len(fields)} columns, expected {len(SUMMARY_HEADER)} "
                "(chrom, length, bases, mean, min, max)",
                hint="give the unmodified mosdepth summary",
            )
        if fields[0].endswith("_region"):
            continue
        try:
            rows.append((lineno, fields[0], float(fields[1]), float(fields[2])))
        except ValueError:
            raise SeqMetricsError(
                f"{path} line {lineno}: length '{fields[1]}' or bases '{fields[2]}' is not a number",
                hint="give the unmodified mosdepth summary",
            ) from None
    return rows


def parse_summary(path: Path, lines: list[str]) -> MetricsFile:
    """Read a mosdepth summary."""
    rows = _summary_rows(path, lines)
    autosomes = [r for r in rows if autosome(r[1]) is not None]
    if autosomes:
        length = sum(r[2] for r in autosomes)
        name, chosen = "mean_autosome_coverage", autosomes
    else:
        chosen = [r for r in rows if r[1] == "total"]
        if not chosen:
            raise SeqMetricsError(
                f"{path}: neither autosome (1-22, chr1-chr22) nor 'total' rows",
                hint="give the unmodified mosdepth summary",
            )
        length = chosen[0][2]
        name, chosen = "mean_coverage", chosen[:1]
    if length <= 0:
        raise SeqMetricsError(
            f"{path} line {chosen[0][0]}: the chromosome length is 0", hint="give the unmodified mosdepth summary"
        )
    return MetricsFile(path, "mosdepth_summary", None, {name: sum(r[3] for r in chosen) / length})


def _at_least(levels: dict[int, float], coverage: int) -> float:
    """Fraction of bases with coverage >= ``coverage``: the value at the lowest listed level >= ``coverage``."""
    above = [c for c in levels if c >= coverage]
    return levels[min(above)] if above else 0.0


def _sibling_lengths(path: Path) -> dict[str, float] | None:
    """Chromosome lengths from the ``*.mosdepth.summary.txt`` next to a ``*.mosdepth.global.dist.txt``."""
    if not path.name.endswith(DIST_SUFFIX):
        return None
    sibling = path.with_name(path.name[: -len(DIST_SUFFIX)] + SUMMARY_SUFFIX)
    if not sibling.is_file():
        return None
    lines = read_lines(sibling)
    if not lines or tuple(lines[0].split()) != SUMMARY_HEADER:
        return None
    return {r[1]: r[2] for r in _summary_rows(sibling, lines)}


def parse_dist(path: Path, lines: list[str]) -> MetricsFile:
    """Read a mosdepth global (or region) coverage distribution."""
    dist: dict[str, dict[int, float]] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        m = _DIST_LINE.match(line)
        if not m:
            raise SeqMetricsError(
                f"{path} line {lineno}: expected 'chrom<TAB>coverage<TAB>fraction', got '{line[:60]}'",
                hint="give the unmodified mosdepth global.dist file",
            )
        dist.setdefault(m.group(1), {})[int(m.group(2))] = float(m.group(3))
    autosomes = {chrom: autosome(chrom) for chrom in dist if autosome(chrom) is not None}
    metrics: dict[str, float] = {}
    if autosomes:
        sibling = _sibling_lengths(path)
        if sibling is not None and all(c in sibling for c in autosomes):
            lengths = {c: sibling[c] for c in autosomes}
        else:
            lengths = {c: float(_GRCH38[a]) for c, a in autosomes.items() if a is not None}
        total_length = sum(lengths.values())
        for t in THRESHOLDS:
            metrics[f"pct_autosomes_{t}x"] = sum(lengths[c] * _at_least(dist[c], t) for c in lengths) / total_length
    elif "total" in dist:
        for t in THRESHOLDS:
            metrics[f"pct_{t}x"] = _at_least(dist["total"], t)
    else:
        raise SeqMetricsError(
            f"{path}: neither autosome (1-22, chr1-chr22) nor 'total' rows",
            hint="give the unmodified mosdepth global.dist file",
        )
    return MetricsFile(path, "mosdepth_global_dist", None, metrics)
