"""Find QC files, tell their kind from the content, and assign each to a sample of the sheet."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from goe.qc.seqmetrics import MetricsFile, SeqMetricsError, mosdepth, picard, samtools, verifybamid
from goe.qc.seqmetrics._common import read_head, read_lines

LABELS: dict[str, str] = {
    "samtools_stats": "samtools stats",
    "picard_wgs": "Picard CollectWgsMetrics",
    "picard_alignment_summary": "Picard CollectAlignmentSummaryMetrics",
    "picard_duplicates": "Picard MarkDuplicates",
    "picard_insert_size": "Picard CollectInsertSizeMetrics",
    "picard_quality_yield": "Picard CollectQualityYieldMetrics",
    "mosdepth_summary": "mosdepth summary",
    "mosdepth_global_dist": "mosdepth global.dist",
    "verifybamid": "VerifyBamID",
}

# What a file name says about its kind, tried in this order (the first match wins).
_NAME_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("verifybamid", re.compile(r"\.selfSM$")),
    ("mosdepth_summary", re.compile(r"\.mosdepth\.summary\.txt$")),
    ("mosdepth_global_dist", re.compile(r"\.mosdepth\.global\.dist\.txt$")),
    ("picard_quality_yield", re.compile(r"quality[._-]?yield[._-]?metrics", re.IGNORECASE)),
    ("picard_alignment_summary", re.compile(r"alignment[._-]?summary[._-]?metrics", re.IGNORECASE)),
    ("picard_insert_size", re.compile(r"insert[._-]?size[._-]?metrics", re.IGNORECASE)),
    ("picard_wgs", re.compile(r"wgs[._-]?metrics", re.IGNORECASE)),
    ("samtools_stats", re.compile(r"samtools(?:.*[._-])?stats(?:[._-]|$)", re.IGNORECASE)),
    ("picard_duplicates", re.compile(r"dup(?:licate|lication)?s?[._-]?metrics(?:\.txt)?$", re.IGNORECASE)),
)
# Companion outputs of supported tools that goe does not read: skipped in folders.
_COMPANIONS = re.compile(r"\.mosdepth\.region\.dist\.txt$|\.(?:selfRG|bestSM|bestRG)$")
_SEPARATOR = re.compile(r"[._\-/]")


def detect_kind(path: Path) -> str | None:
    """The kind of QC file at ``path``, told from its content (not its name); ``None`` if not a known QC file."""
    if not path.is_file():
        return None
    head = read_head(path)
    if head is None:
        return None
    if verifybamid.looks_like(head):
        return "verifybamid"
    if samtools.looks_like(head):
        return "samtools_stats"
    if mosdepth.looks_like_summary(head):
        return "mosdepth_summary"
    kind = picard.kind_of(head)
    if kind is not None:
        return kind
    if mosdepth.looks_like_dist(head):
        return "mosdepth_global_dist"
    return None


def describe_content(path: Path) -> str:
    """What a file holds, in words, for error messages (``a Picard CollectWgsMetrics file``)."""
    kind = detect_kind(path)
    if kind is not None:
        return f"a {LABELS[kind]} file"
    head = read_head(path)
    if head is None:
        return "a binary (or unreadable) file"
    if not head.strip():
        return "an empty file"
    short = picard.class_name(head)
    if short is not None:
        return f"a Picard {short} file, which goe does not read"
    if "This file was produced by bcftools stats" in head:
        return "bcftools stats output, which goe does not read here"
    if "in total (QC-passed reads + QC-failed reads)" in head:
        return "samtools flagstat output, which goe does not read"
    return "not a QC file goe reads"


def parse_metrics_file(path: Path) -> MetricsFile:
    """Read one QC file of any supported kind; raise :class:`SeqMetricsError` if it is none or is not usable."""
    if not path.exists():
        raise SeqMetricsError(f"{path}: file not found", hint="check the path")
    kind = detect_kind(path)
    if kind is None:
        raise SeqMetricsError(
            f"{path}: {describe_content(path)}",
            hint="give samtools stats, Picard (CollectWgsMetrics, CollectAlignmentSummaryMetrics, MarkDuplicates, "
            "CollectInsertSizeMetrics, CollectQualityYieldMetrics), mosdepth summary/global.dist "
            "or VerifyBamID .selfSM files",
        )
    lines = read_lines(path)
    if kind == "samtools_stats":
        return samtools.parse(path, lines)
    if kind == "verifybamid":
        return verifybamid.parse(path, lines)
    if kind == "mosdepth_summary":
        return mosdepth.parse_summary(path, lines)
    if kind == "mosdepth_global_dist":
        return mosdepth.parse_dist(path, lines)
    return picard.parse(path, lines, kind)


def kind_from_name(name: str) -> str | None:
    """The kind a file name announces (``x.selfSM`` -> ``verifybamid``), or ``None``."""
    for kind, pattern in _NAME_KINDS:
        if pattern.search(name):
            return kind
    return None


def match_sample(text: str, sample_ids: set[str], longest: int) -> str | None:
    """The longest sample ID that appears in ``text`` as whole tokens (tokens split on ``. _ - /``)."""
    starts = [0] + [m.end() for m in _SEPARATOR.finditer(text)]
    ends = [m.start() for m in _SEPARATOR.finditer(text)] + [len(text)]
    best: str | None = None
    for s in starts:
        for e in ends:
            if e <= s:
                continue
            if e - s > longest:
                break
            candidate = text[s:e]
            if candidate in sample_ids and (best is None or len(candidate) > len(best)):
                best = candidate
    return best


def _files(paths: Sequence[Path]) -> list[tuple[Path, tuple[str, ...], bool]]:
    """(file, its folders nearest first, named explicitly) for the files and the files under the folders."""
    out: list[tuple[Path, tuple[str, ...], bool]] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            for f in sorted(p for p in given.rglob("*") if p.is_file()):
                key = f.resolve()
                if key not in seen:
                    seen.add(key)
                    out.append((f, tuple(reversed(f.relative_to(given).parent.parts)), False))
        elif given.is_file():
            key = given.resolve()
            if key not in seen:
                seen.add(key)
                out.append((given, (given.parent.name,) if given.parent.name else (), True))
        else:
            raise SeqMetricsError(f"{given}: no such file or folder", hint="check the path of the QC metrics")
    return out


def _read(path: Path, explicit: bool) -> MetricsFile | None:
    """Parse a file, checking its name against its content; ``None`` for a non-QC file inside a folder."""
    expected = kind_from_name(path.name)
    if expected is None and _COMPANIONS.search(path.name):
        if not explicit:
            return None
        raise SeqMetricsError(
            f"{path}: a mosdepth region distribution or a VerifyBamID per-read-group table, which goe does not read",
            hint="give the sample's .mosdepth.global.dist.txt or .selfSM instead",
        )
    kind = detect_kind(path)
    if expected is not None and kind != expected:
        raise SeqMetricsError(
            f"{path}: expected {LABELS[expected]} output, but the content is {describe_content(path)}",
            hint="give the right file or rename this one",
        )
    if kind is None and not explicit:
        return None
    return parse_metrics_file(path)


def _assign(mf: MetricsFile, folders: tuple[str, ...], ids: set[str], longest: int) -> str:
    for text in (mf.path.name, *folders):
        found = match_sample(text, ids, longest)
        if found is not None:
            return found
    if mf.sample_hint is not None:
        found = mf.sample_hint if mf.sample_hint in ids else match_sample(mf.sample_hint, ids, longest)
        if found is not None:
            return found
        raise SeqMetricsError(
            f"sample '{mf.sample_hint}' in metrics file {mf.path} is not in the sample sheet",
            hint="add it or remove the file",
        )
    raise SeqMetricsError(
        f"metrics file {mf.path}: no sample ID of the sample sheet in its name or folder, and none in its content",
        hint="put the sample ID in the file name, add the sample to the sheet, or remove the file",
    )


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def collect_metrics(
    paths: Sequence[Path], sample_ids: Sequence[str]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, str]]]:
    """Read QC files and folders (recursively) and assign each file to a sample of the sheet.

    A file belongs to the longest sample ID that appears as whole tokens in its
    name (else in its folders' names, nearest first), else to the sample named
    in its content. Returns the metrics per sample ID and, per sample ID and
    metric, the file it came from. Files inside folders that are not QC files
    are skipped; an explicitly named one is an error, as are a name announcing
    one kind with content of another, a file naming a sample that is not in
    the sheet, and two files giving one sample different values of a metric.
    """
    ids = set(sample_ids)
    longest = max((len(i) for i in ids), default=0)
    metrics: dict[str, dict[str, float]] = {}
    sources: dict[str, dict[str, str]] = {}
    for path, folders, explicit in _files(paths):
        mf = _read(path, explicit)
        if mf is None:
            continue
        sample = _assign(mf, folders, ids, longest)
        have, came_from = metrics.setdefault(sample, {}), sources.setdefault(sample, {})
        for name, value in mf.metrics.items():
            if name in have and not _same(have[name], value):
                raise SeqMetricsError(
                    f"sample '{sample}': {name} is {have[name]:g} in {came_from[name]} but {value:g} in {path}",
                    hint="keep only one of the two files for this sample",
                )
            if name not in have:
                have[name] = value
                came_from[name] = str(path)
    return metrics, sources
