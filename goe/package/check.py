"""`goe check`: would a GDI node ingest this package or sites VCF, and if not, why?

Checks what the GDI readers check (the Rust node's ``gdi-dataset-tool build``
and the Python mini-node's parquet-writer; see the "GDI ingestion contract" in
DOMAIN.md) and says each problem the way a node would, naming file and line.
Errors are what makes a node halt or reject the file; warnings are what a node
drops, ignores or warns about. The VCF is streamed, never loaded whole.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from cyvcf2 import VCF

from goe.genome.assemblies import ASSEMBLIES, canonical_contig
from goe.package.check_counts import check_counts, fine, values_per_alt
from goe.package.finalise import FORMAT_NAME, MANIFEST, SITES
from goe.package.grammar import read_info_header
from goe.package.staging import sha256_file
from goe.vcf.htslib_log import capture_htslib
from goe.vcf.index import find_index
from goe.vcf.reader import BGZF_EOF
from goe.vcf.records import UnreadableRecord, readable_records
from goe.vcf.sniff import is_bcf

Severity = Literal["error", "warning"]
SHOWN_PER_KIND = 10  # problems of one kind listed before the rest are only counted
_ALIASES = (
    (re.compile(r"grch38|hg38|b38|hs38", re.I), "GRCh38"),
    (re.compile(r"grch37|hg19|b37|hs37", re.I), "GRCh37"),
)
_MORE = {  # kind -> what the "N more ... not listed" line counts
    "info-unread": "INFO fields GDI will not read", "af-inconsistent": "alleles with AF inconsistent with AC/AN",
    "af-inexact": "alleles whose AF is not AC/AN", "symbolic": "symbolic or '*' ALT alleles",
    "multiallelic": "multi-allelic records", "unsorted": "records out of order",
}
_METRICS = ("AF", "AC", "AN", "AC_Hom", "AC_Het", "AC_Hemi")
_HEADER_ATTR = re.compile(r"^##(INFO|contig)=<(.*)>\s*$")


@dataclass(frozen=True)
class Problem:
    """One thing a GDI node would reject, drop or warn about."""

    where: str  # file and line/record, e.g. "sites.vcf.gz line 58, 20:10019093 A>G"
    message: str
    severity: Severity = "error"
    kind: str = ""  # a short stable tag, e.g. "af-inconsistent"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass
class CheckReport:
    """What ``goe check`` found: the problems in file order, and what it read."""

    path: Path
    kind: str  # "package" or "vcf"
    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    alleles: int = 0  # ALT alleles GDI would keep
    populations: list[str] = field(default_factory=list)
    assembly: str | None = None
    _seen: Counter[str] = field(default_factory=Counter, repr=False)
    _hidden: dict[str, tuple[int, Severity, str]] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def add(self, where: str, message: str, severity: Severity = "error", kind: str = "") -> None:
        """Record a problem; past :data:`SHOWN_PER_KIND` of one kind, only count it."""
        self._seen[kind] += 1
        if kind and self._seen[kind] > SHOWN_PER_KIND:
            n, _, first = self._hidden.get(kind, (0, severity, where))
            self._hidden[kind] = (n + 1, severity, first)
        else:
            self.problems.append(Problem(where, message, severity, kind))

    def close(self) -> None:
        """Append one line per kind of problem that had more than were listed."""
        for kind, (n, severity, first) in self._hidden.items():
            what = _MORE.get(kind, "problems like the above")
            message = f"{n:,} more {what}, not listed one by one ({kind})"
            self.problems.append(Problem(first.split(" ")[0], message, severity, kind))
        self._hidden.clear()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.path), "kind": self.kind, "assembly": self.assembly,
            "records": self.records, "alleles": self.alleles, "populations": self.populations,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "problems": [asdict(p) for p in self.problems],
        }


def check_path(path: Path) -> CheckReport:
    """Check a goe package folder (with manifest.json) or any sites VCF/VCF.gz/BCF for GDI ingestion."""
    path = Path(path)
    if path.is_dir():
        report = CheckReport(path, "package")
        manifest = _check_package(path, report)
        if (path / SITES).exists():
            _check_vcf(path / SITES, report, manifest)
    else:
        report = CheckReport(path, "vcf")
        if path.exists():
            _check_vcf(path, report, None)
        else:
            report.add(str(path), "no such file or package folder", kind="missing")
    report.close()
    return report


# -- package -----------------------------------------------------------------------------------------------------


def _check_package(folder: Path, report: CheckReport) -> dict[str, Any] | None:
    if not (folder / MANIFEST).exists():
        report.add(folder.name, "no manifest.json: not a goe package (give a package folder or a sites VCF)",
                   kind="manifest")
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("the top level is not an object")
    except (ValueError, UnicodeDecodeError) as exc:
        report.add(MANIFEST, f"not valid JSON ({exc}): re-create or re-download the package", kind="manifest")
        return None
    if manifest.get("format") != FORMAT_NAME:
        report.add(MANIFEST, f"format is {manifest.get('format')!r}, not {FORMAT_NAME!r}", "warning", "manifest")
    files = manifest.get("files")
    if not isinstance(files, dict):
        report.add(MANIFEST, 'no "files" with checksums: the package cannot be verified', kind="manifest")
        files = {}
    for name, meta in files.items():
        _check_listed_file(folder, name, meta if isinstance(meta, dict) else {}, report)
    if files and SITES not in files:
        report.add(MANIFEST, f"lists no {SITES}: there is no sites VCF for GDI to ingest", kind="manifest")
    for f in sorted(folder.iterdir()):
        if f.is_file() and f.name != MANIFEST and f.name not in files:
            report.add(f.name, "in the package folder but not listed in manifest.json (no checksum vouches for it)",
                       "warning", "unlisted-file")
    if "assembly" in manifest:
        _assembly_meant(str(manifest["assembly"]), MANIFEST, "assembly", '"assembly": "{}"', report)
    return manifest


def _check_listed_file(folder: Path, name: str, meta: dict[str, Any], report: CheckReport) -> None:
    f = folder / name
    if not f.is_file():
        report.add(name, "listed in manifest.json but missing from the package: re-create or re-download it",
                   kind="file-missing")
        return
    size, digest = f.stat().st_size, sha256_file(f)
    diffs = []
    if meta.get("sha256") != digest:
        diffs.append(f"sha256 {digest[:12]}… instead of {str(meta.get('sha256'))[:12]}…")
    if meta.get("bytes") != size:
        diffs.append(f"{size:,} bytes instead of {meta.get('bytes')}")
    if diffs:
        report.add(name, f"does not match manifest.json ({', '.join(diffs)}): the file changed after packaging; "
                   "re-create the package", kind="checksum")


# -- header ------------------------------------------------------------------------------------------------------


def _assembly_meant(value: str, where: str, what: str, template: str, report: CheckReport) -> str | None:
    """Report an assembly not spelled exactly GRCh37/GRCh38; return the assembly meant, if recognisable."""
    if value in ASSEMBLIES:
        return value
    meant = next((name for rx, name in _ALIASES if rx.search(value)), None)
    if meant:
        report.add(where, f"{what} {value!r} is not an assembly name GDI accepts: write {template.format(meant)}",
                   kind="assembly")
    else:
        report.add(where, f"{what} {value!r} names no assembly GDI knows: GDI accepts exactly GRCh37 or GRCh38",
                   kind="assembly")
    return meant


def _read_header(path: Path, vcf: VCF) -> list[str]:
    """The header lines as in the file (htslib adds lines of its own to ``raw_header``)."""
    if is_bcf(path):
        return vcf.raw_header.splitlines()
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    lines: list[str] = []
    with gzip.open(path, "rt", errors="replace") if gz else path.open(errors="replace") as text:
        for line in text:
            lines.append(line.rstrip("\n"))
            if line.startswith("#CHROM"):
                break
    return lines


def _check_header(lines: list[str], name: str, bcf: bool, manifest: dict[str, Any] | None,
                  report: CheckReport) -> dict[str, dict[str, str]]:
    """Assembly, contig lengths and INFO declarations; returns population -> metric -> INFO ID."""

    def at(i: int) -> str:
        return f"{name} line {i}" if i and not bcf else f"{name} header"

    lengths: dict[str, tuple[int, int]] = {}
    info: list[tuple[int, str, str]] = []
    reference: tuple[int, str] | None = None
    for i, line in enumerate(lines, 1):
        if line.startswith("##reference="):
            reference = (i, line.split("=", 1)[1].strip())
        m = _HEADER_ATTR.match(line)
        if m:
            a = {k.group(1): k.group(2) for k in re.finditer(r'(?:^|,)(\w+)=("[^"]*"|[^,]*)', m.group(2))}
            if m.group(1) == "contig" and a.get("length", "").isdigit():
                lengths[a.get("ID", "")] = (i, int(a["length"]))
            elif m.group(1) == "INFO" and "ID" in a:
                info.append((i, a["ID"], a.get("Number", "")))
    by_length = _assemblies_by_length({c: n for c, (_, n) in lengths.items()})
    in_manifest = str(manifest["assembly"]) if manifest and "assembly" in manifest else None
    meant = None
    if reference is not None:
        meant = _assembly_meant(reference[1], at(reference[0]), "##reference", "##reference={}", report)
        if in_manifest in ASSEMBLIES and meant and meant != in_manifest:
            report.add(at(reference[0]), f"##reference says {meant}, but manifest.json says {in_manifest}",
                       kind="assembly")
    elif in_manifest is None:
        guess = (f"the contig lengths are {by_length[0]}'s: add ##reference={by_length[0]}" if by_length
                 else "no contig length tells the assembly either: add ##reference=GRCh37 or ##reference=GRCh38")
        report.add(at(0), f"no ##reference line; {guess}", "warning" if by_length else "error", "assembly")
    known = [a for a in (in_manifest, meant, *by_length) if a in ASSEMBLIES]
    report.assembly = assembly = known[0] if known else None
    for contig, (i, length) in lengths.items():
        canon = canonical_contig(contig)
        if assembly and canon and length != ASSEMBLIES[assembly].lengths[canon] and (canon, length) != ("MT", 16571):
            other = [n for n, a in ASSEMBLIES.items() if n != assembly and a.lengths[canon] == length]
            hint = f" (it is {other[0]}'s length)" if other else ""
            report.add(at(i), f"contig {contig} has length {length:,}, but {ASSEMBLIES[assembly].lengths[canon]:,} "
                       f"in {assembly}{hint}: the records do not belong to {assembly}", kind="contig-length")
    header = read_info_header(info)
    for f in header.findings:
        report.add(at(f.line), f.message, "error" if f.severity == "error" else "warning", f.kind)
    report.populations = sorted(header.populations)
    return header.populations


def _assemblies_by_length(lengths: dict[str, int]) -> list[str]:
    """Assemblies whose lengths agree with every primary contig the header gives a length for."""
    primary = {canonical_contig(c): n for c, n in lengths.items() if canonical_contig(c) not in (None, "MT")}
    if not primary:
        return []
    return [name for name, asm in ASSEMBLIES.items() if all(asm.lengths[str(c)] == n for c, n in primary.items())]


# -- records -----------------------------------------------------------------------------------------------------


def _check_vcf(path: Path, report: CheckReport, manifest: dict[str, Any] | None) -> None:
    name = path.name
    _check_container(path, report)
    with capture_htslib() as hts:
        try:
            vcf = VCF(str(path), lazy=True)
        except Exception as exc:  # cyvcf2 raises a bare Exception for a truncated or garbled header
            vcf, failure = None, str(exc)
    if vcf is None:
        report.add(name, f"cannot be read as VCF/BCF ({hts.errors[0] if hts.errors else failure})", kind="unreadable")
        return
    bcf, said = is_bcf(path), hts.lines
    try:
        lines = _read_header(path, vcf)
        if vcf.samples:  # the privacy rule: nothing that leaves a country holds a sample ID or a genotype
            report.add(f"{name} header" if bcf else f"{name} line {len(lines)}",
                       f"has {len(vcf.samples):,} sample column{'s' * (len(vcf.samples) != 1)} (genotypes): a "
                       "shareable file must be a sites-only VCF; drop them with 'bcftools view -G'", kind="genotypes")
        pops = _check_header(lines, name, bcf, manifest, report)
        with capture_htslib() as hts:
            _scan_records(vcf, name, 0 if bcf else len(lines), pops, report)
    finally:
        vcf.close()
    for line in dict.fromkeys(said + hts.lines):
        report.add(name, f"htslib: {line}", "error" if line.startswith("[E::") else "warning", "htslib")


def _check_container(path: Path, report: CheckReport) -> None:
    name = path.name
    with path.open("rb") as fh:
        head = fh.read(18)
        fh.seek(max(path.stat().st_size - 28, 0))
        tail = fh.read(28)
    if head[:2] != b"\x1f\x8b":
        report.add(name, f"not compressed: compress and index it (bgzip {name} && tabix -p vcf {name}.gz)",
                   "warning", "index")
    elif head[12:14] != b"BC":
        report.add(name, "compressed with gzip, not bgzip, so it cannot be indexed: recompress it with bgzip",
                   "warning", "index")
    elif tail != BGZF_EOF:
        report.add(name, "truncated: no BGZF end-of-file marker (copy or download it again)", kind="truncated")
    elif find_index(path) is None:
        report.add(name, f"no index (.tbi or .csi) next to it: create one with 'bcftools index {name}'",
                   "warning", "index")


def _scan_records(vcf: VCF, name: str, header_lines: int, pops: dict[str, dict[str, str]],
                  report: CheckReport) -> None:
    """Stream the records: order, contigs, alleles, FILTER, and every population's counts."""
    seen: set[str] = set()
    last: tuple[str, int] | None = None
    other_contigs: dict[str, list[Any]] = {}
    non_pass = 0
    fields = [(ids, tuple(ids.get(m) for m in _METRICS)) for ids in pops.values()]
    for n, rec in enumerate(_readable_reported(vcf, name, header_lines, report), 1):
        chrom, pos, ref, alts = rec.CHROM, rec.POS, rec.REF, rec.ALT
        line = f"line {header_lines + n}" if header_lines else f"record {n}"
        at = f"{name} {line}, {chrom}:{pos} {ref}>"
        where = at + ",".join(alts)
        report.records += 1
        non_pass += rec.FILTER not in (None, "PASS")
        if canonical_contig(chrom) is None:
            other_contigs.setdefault(chrom, [where, 0])[1] += 1
        if last is not None and chrom == last[0] and pos < last[1]:
            report.add(where, f"out of order: position {pos:,} comes after {last[1]:,}: sort the file "
                       "(bcftools sort)", kind="unsorted")
        elif last is not None and chrom != last[0] and chrom in seen:
            report.add(where, f"out of order: contig {chrom} appears again after {last[0]}: sort the file "
                       "(bcftools sort)", kind="unsorted")
        seen.add(chrom)
        last = (chrom, pos)
        if not ref or set(ref.upper()) - set("ACGTN"):
            report.add(where, f"REF {ref} has letters other than A, C, G, T, N: GDI rejects it", kind="bad-base")
        if len(alts) > 1:
            report.add(where, f"{len(alts)} ALT alleles on one record: GDI prefers split alleles "
                       "(bcftools norm -m -any)", "warning", "multiallelic")
        _check_alleles(rec, alts, at, fields, report)
    for chrom, (where, count) in other_contigs.items():
        report.add(where, f"contig {chrom} ({count:,} record{'s' * (count != 1)}) is not a primary chromosome "
                   "(1-22, X, Y, MT): the GDI node drops these records and the Python mini-node halts on them; "
                   "keep primary contigs only", kind="contig")
    if non_pass:
        report.add(name, f"{non_pass:,} of {report.records:,} records have a FILTER other than PASS: GDI does not "
                   "read FILTER and publishes them all (to publish passing sites only: bcftools view -f PASS)",
                   "warning", "filter")


def _readable_reported(vcf: VCF, name: str, header_lines: int, report: CheckReport) -> Iterator[Any]:
    """The records, until one cannot be read (a truncated or corrupt file): that one is reported as an error."""

    def line(n: int) -> str:
        return f"line {header_lines + n}" if header_lines else f"record {n}"

    try:
        yield from readable_records(vcf)
    except UnreadableRecord as exc:  # htslib's own line is reported after this one
        r = exc.last
        before = (f"the last readable record is {line(exc.n - 1)}, {r.CHROM}:{r.POS} {r.REF}>{','.join(r.ALT)}"
                  if r is not None else "no record could be read")
        report.add(f"{name} {line(exc.n)}", f"cannot be read ({before}): the file is truncated or corrupt; copy or "
                   "download it again", kind="unreadable")


def _check_alleles(rec: Any, alts: list[str], at: str, pops: list[tuple[dict[str, str], tuple[str | None, ...]]],
                   report: CheckReport) -> None:
    keep = []
    for i, alt in enumerate(alts):
        a = alt.upper()
        if a.startswith(("<", ".")) or a.endswith(".") or "[" in a or "]" in a or a == "*":
            report.add(at + alt, f"ALT {alt} is symbolic, a breakend or '*': GDI drops it", "warning", "symbolic")
        elif not a or set(a) - set("ACGTN"):
            report.add(at + alt, f"ALT {alt} has letters other than A, C, G, T, N: GDI rejects it", kind="bad-base")
        else:
            keep.append(i)
    if not alts:
        report.add(at + ".", "no ALT allele: GDI drops the record", "warning", "symbolic")
    report.alleles += len(keep)
    info = rec.INFO
    for ids, fids in pops:
        raw = [info.get(f) if f else None for f in fids]
        if len(alts) == 1 and keep and fine(*raw):
            continue  # the common case, checked without building anything
        per_alt = [values_per_alt(v, f, m == "AN", len(alts), at + ",".join(alts), report)
                   for v, f, m in zip(raw, fids, _METRICS, strict=True)]
        for i in keep:
            check_counts(ids, {m: v[i] for m, v in zip(_METRICS, per_alt, strict=True)}, at + alts[i], report)
