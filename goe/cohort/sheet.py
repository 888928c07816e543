"""The sample sheet: who is in the cohort, their sex, country and strata.

TSV or CSV (detected from the header line) with required columns
``sample_id``, ``sex``, ``country``; optional ``vcf_sample_id`` (the column
name in the VCF when it differs); any further column is an extra stratum.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from goe.cohort.countries import COMMON_MISTAKES, ISO_3166_ALPHA2
from goe.errors import SampleSheetError

REQUIRED = ("sample_id", "sex", "country")
RESERVED = (*REQUIRED, "vcf_sample_id", "alignment")

_SEX = {
    "male": "M", "m": "M", "xy": "M", "1": "M",
    "female": "F", "f": "F", "xx": "F", "2": "F",
}


@dataclass(frozen=True)
class Sample:
    """One row of the sample sheet."""

    sample_id: str
    vcf_sample_id: str
    sex: str  # "M" or "F"
    country: str  # ISO 3166-1 alpha-2
    line: int
    extra: dict[str, str] = field(default_factory=dict)
    alignment: str | None = None  # BAM/CRAM path for goe qc, if the sheet gives one


@dataclass(frozen=True)
class SampleSheet:
    """A validated sample sheet."""

    path: Path
    samples: tuple[Sample, ...]
    extra_columns: tuple[str, ...]

    def by_id(self) -> dict[str, Sample]:
        """Samples keyed by ``sample_id``."""
        return {s.sample_id: s for s in self.samples}

    def restrict(self, keep: set[str]) -> SampleSheet:
        """Only the samples whose ``sample_id`` is in ``keep``."""
        kept = tuple(s for s in self.samples if s.sample_id in keep)
        return SampleSheet(self.path, kept, self.extra_columns)


def _why(exc: OSError | UnicodeDecodeError) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


def parse_sex(value: str) -> str | None:
    """Normalise a sex value to ``M``/``F``; ``None`` when not recognised."""
    return _SEX.get(value.strip().lower())


def _open_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SampleSheetError(f"{path}: sample sheet not found", hint="check the --samples path") from None
    except OSError as exc:
        raise SampleSheetError(f"{path}: cannot read the sample sheet ({_why(exc)})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SampleSheetError(
            f"{path} line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x})", hint="save the sheet as UTF-8"
        ) from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.startswith("##")]
    if not lines:
        raise SampleSheetError(f"{path}: the sample sheet is empty", hint="give a header line and one row per sample")
    header_line = lines[0][1].lstrip("#")
    delim = "\t" if "\t" in header_line else ","
    reader = csv.reader([ln for _, ln in lines], delimiter=delim)
    rows = list(reader)
    header = [h.strip() for h in rows[0]]
    if header and header[0].startswith("#"):
        header[0] = header[0].lstrip("#").strip()
    return header, [(lines[i][0], r) for i, r in enumerate(rows) if i > 0]


def read_sample_sheet(path: str | Path) -> SampleSheet:
    """Read and validate a sample sheet; raise :class:`SampleSheetError` with the line number."""
    path = Path(path)
    header, rows = _open_rows(path)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SampleSheetError(
            f"{path} line 1: missing column(s) {', '.join(missing)}",
            hint="the header needs sample_id, sex and country (vcf_sample_id is optional)",
        )
    dup_cols = sorted({c for c in header if header.count(c) > 1})
    if dup_cols:
        raise SampleSheetError(f"{path} line 1: column {dup_cols[0]} appears twice")
    extra_cols = tuple(c for c in header if c not in RESERVED and c)
    col = {name: i for i, name in enumerate(header)}
    seen_ids: dict[str, int] = {}
    seen_vcf: dict[str, int] = {}
    samples: list[Sample] = []
    for lineno, raw in rows:
        if len(raw) != len(header):
            raise SampleSheetError(
                f"{path} line {lineno}: {len(raw)} fields, but the header has {len(header)}",
                hint="check for a missing or extra separator",
            )
        vals = [v.strip() for v in raw]
        sid = vals[col["sample_id"]]
        if not sid:
            raise SampleSheetError(f"{path} line {lineno}: empty sample_id")
        if sid in seen_ids:
            raise SampleSheetError(
                f"{path} line {lineno}: duplicate sample_id '{sid}' (first on line {seen_ids[sid]})",
                hint="each sample must appear once",
            )
        seen_ids[sid] = lineno
        vid = vals[col["vcf_sample_id"]] if "vcf_sample_id" in col else ""
        vid = vid or sid
        if vid in seen_vcf:
            raise SampleSheetError(
                f"{path} line {lineno}: duplicate vcf_sample_id '{vid}' (first on line {seen_vcf[vid]})",
                hint="each VCF column can belong to one sample only",
            )
        seen_vcf[vid] = lineno
        sex_raw = vals[col["sex"]]
        sex = parse_sex(sex_raw)
        if sex is None:
            raise SampleSheetError(
                f"{path} line {lineno}: unknown sex '{sex_raw}' for sample '{sid}'",
                hint="use male/female, M/F, XY/XX or 1/2",
            )
        country = vals[col["country"]]
        if country.upper() != country or country not in ISO_3166_ALPHA2:
            upper = country.upper()
            suggestion = COMMON_MISTAKES.get(upper, upper if upper in ISO_3166_ALPHA2 else None)
            hint = (
                f"did you mean {suggestion}?" if suggestion else "use an ISO 3166-1 alpha-2 code such as FI, DE or ES"
            )
            raise SampleSheetError(
                f"{path} line {lineno}: invalid country code '{country}' for sample '{sid}'", hint=hint
            )
        extra = {c: vals[col[c]] for c in extra_cols}
        alignment = vals[col["alignment"]] if "alignment" in col and vals[col["alignment"]] else None
        samples.append(Sample(sid, vid, sex, country, lineno, extra, alignment))
    if not samples:
        raise SampleSheetError(f"{path}: the sample sheet has a header but no samples")
    return SampleSheet(path, tuple(samples), extra_cols)


def read_keep_list(path: str | Path, sheet: SampleSheet) -> set[str]:
    """Read a ``--keep`` file (one sample_id per line, ``#`` comments); every ID must be in the sheet."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise SampleSheetError(f"{path}: --keep file not found") from None
    except IsADirectoryError:
        raise SampleSheetError(f"{path}: --keep needs a file (one sample ID per line), not a folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SampleSheetError(f"{path}: cannot read the --keep file ({_why(exc)})") from None
    known = sheet.by_id()
    keep: set[str] = set()
    for i, line in enumerate(lines, start=1):
        sid = line.split("\t")[0].strip()
        if not sid or sid.startswith("#"):
            continue
        if sid not in known:
            raise SampleSheetError(
                f"{path} line {i}: sample '{sid}' is not in the sample sheet {sheet.path}",
                hint="the keep list must use sample_id values from the sheet",
            )
        keep.add(sid)
    if not keep:
        raise SampleSheetError(f"{path}: the --keep list names no sample")
    return keep
