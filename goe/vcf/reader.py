"""Open a cohort VCF/BCF, check it, and read records in batches of numpy arrays.

cyvcf2 (htslib) does the parsing; this module turns records into
:class:`RecordBatch` arrays so that counting is vectorised over a batch.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from cyvcf2 import VCF

from goe.errors import VcfError
from goe.vcf import fastread
from goe.vcf.htslib_log import capture_htslib
from goe.vcf.index import find_index
from goe.vcf.partition import Region
from goe.vcf.sniff import is_bcf

_CONTIG_LINE = re.compile(r"^##contig=<(.*)>\s*$", re.MULTILINE)


def _attr(body: str, key: str) -> str | None:
    m = re.search(rf"(?:^|,){key}=([^,>]*)", body)
    return m.group(1) if m else None


BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_INT32_MISSING = -2147483648
_INT32_END = -2147483647


@dataclass(frozen=True)
class VcfInfo:
    """What goe needs from a VCF/BCF header."""

    path: Path
    index: Path
    samples: tuple[str, ...]
    contigs: tuple[str, ...]
    contig_lengths: dict[str, int | None]
    format_fields: frozenset[str]
    info_fields: dict[str, str]  # ID -> Type
    filters: dict[str, str]  # ID -> Description
    is_bcf: bool


def inspect_vcf(path: str | Path) -> VcfInfo:
    """Check that ``path`` is a readable, indexed, bgzipped VCF or BCF with GT; read its header."""
    path = Path(path)
    if not path.exists():
        raise VcfError(f"{path}: file not found")
    if path.is_dir():
        raise VcfError(f"{path}: is a folder, not a VCF/BCF file")
    with path.open("rb") as fh:
        head = fh.read(18)
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(size - 28, 0))
        tail = fh.read(28)
    if size == 0:
        raise VcfError(f"{path}: the file is empty")
    if head[:2] != b"\x1f\x8b":
        if head.startswith(b"##fileformat=VCF"):
            raise VcfError(
                f"{path}: not compressed",
                hint=f"compress and index it: bgzip {path.name} && tabix -p vcf {path.name}.gz",
            )
        raise VcfError(f"{path}: not a VCF or BCF file", hint="give the joint-called cohort as VCF.gz or BCF")
    if len(head) < 16 or head[12:14] != b"BC":
        raise VcfError(
            f"{path}: compressed with plain gzip, not bgzip",
            hint=f"recompress: zcat {path.name} | bgzip > fixed.vcf.gz && tabix -p vcf fixed.vcf.gz",
        )
    if tail != BGZF_EOF:
        raise VcfError(
            f"{path}: the file is truncated (no BGZF end-of-file marker)",
            hint="copy or download it again, then check it with 'bcftools view -h'",
        )
    if is_bcf(path) and not path.name.endswith((".bcf", ".bcf.gz")):
        # htslib's readers (cyvcf2) choose how to load the index from the name
        stem = path.name.split(".")[0] or "cohort"
        raise VcfError(
            f"{path}: the file is BCF, but its name does not end in .bcf",
            hint=f"rename it and index it again: mv {path.name} {stem}.bcf && bcftools index {stem}.bcf",
        )
    index = find_index(path)
    if index is None:
        raise VcfError(
            f"{path}: no index (.tbi or .csi) next to the file",
            hint=f"create one: bcftools index {path.name}",
        )
    if index.stat().st_mtime + 1 < path.stat().st_mtime:
        logging.getLogger("goe").warning(
            f"{index.name} is older than {path.name}; if the file changed, re-create it: bcftools index -f {path.name}"
        )
    with capture_htslib() as hts:
        try:
            vcf = VCF(str(path), lazy=True)
        except Exception as exc:  # cyvcf2 raises a bare Exception for a header it cannot parse
            vcf = None
            failure = str(exc)
    if vcf is None:
        detail = hts.errors[0] if hts.errors else failure
        raise VcfError(f"{path}: cannot open as VCF/BCF ({detail})",
                       hint=f"check its header: bcftools view -h {path.name}")
    try:
        fmt: set[str] = set()
        info: dict[str, str] = {}
        filters: dict[str, str] = {}
        lengths: dict[str, int | None] = {}
        contig_order: list[str] = []
        for h in vcf.header_iter():
            kind = h.type
            d = h.info()
            if kind == "FORMAT":
                fmt.add(d["ID"])
            elif kind == "INFO":
                info[d["ID"]] = d.get("Type", "String")
            elif kind == "FILTER":
                filters[d["ID"]] = d.get("Description", "").strip('"')
            elif kind == "CONTIG":
                contig_order.append(d["ID"])
                lengths[d["ID"]] = None
        # header_iter() gives no contig length: read it from the raw header lines.
        for m in _CONTIG_LINE.finditer(vcf.raw_header):
            body = m.group(1)
            cid = _attr(body, "ID")
            length = _attr(body, "length")
            if cid is not None and length is not None and length.isdigit():
                lengths[cid] = int(length)
        samples = tuple(vcf.samples)
        seqnames: list[str] = []
        try:
            seqnames = list(vcf.seqnames)
        except (ValueError, OSError):
            seqnames = []
        # seqnames come from the index when there is one; trust them only when the header declares no contig.
        if not contig_order:
            for name in seqnames:
                if name not in lengths:
                    lengths[name] = None
                    contig_order.append(name)
    finally:
        vcf.close()
    if "GT" not in fmt:
        raise VcfError(
            f"{path}: no FORMAT/GT in the header, so there are no genotypes to count",
            hint="give the joint-called VCF with genotypes, not a sites-only file",
        )
    if not samples:
        raise VcfError(f"{path}: the VCF has no sample columns", hint="goe freq needs the joint-called genotypes")
    return VcfInfo(
        path, index, samples, tuple(contig_order), lengths, frozenset(fmt), info, filters,
        is_bcf(path),
    )


@dataclass
class RecordBatch:
    """Up to ``batch_size`` records of one region, decoded to arrays."""

    contig: str
    pos: np.ndarray  # int64 (B,)
    ids: list[str]
    refs: list[str]
    alts: list[list[str]]
    qual: np.ndarray  # float64 (B,), NaN when missing
    filters: list[str | None]
    info: dict[str, np.ndarray]  # float64 (B,), NaN when missing
    gt: np.ndarray  # int16 (B, n, 2): allele, -1 missing, -2 absent (haploid)
    gq: np.ndarray | None  # int32 (B, n), -1 missing
    dp: np.ndarray | None
    ad: np.ndarray | None  # int32 (B, n, 2): AD of the two GT alleles, -1 missing
    ad_ref: np.ndarray | None = None  # int32 (B, n): AD of REF, -1 missing (only with "AD_REF" wanted)
    masked: np.ndarray | None = None  # int64 (4,): genotypes the decoder masked by GQ, DP, AB, in all

    def __len__(self) -> int:
        return len(self.pos)


def _info_float(value: object) -> float:
    if value is None or isinstance(value, str | bool):
        return math.nan
    if isinstance(value, tuple):
        value = value[0] if value else None
        if value is None:
            return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _format_int(record: object, key: str, n: int) -> np.ndarray:
    arr = record.format(key)  # type: ignore[attr-defined]
    if arr is None:
        return np.full(n, -1, dtype=np.int32)
    col = np.asarray(arr)[:, 0].astype(np.int32, copy=True)
    col[(col == _INT32_MISSING) | (col == _INT32_END)] = -1
    return col


def iter_batches(
    path: Path,
    region: Region,
    samples: Sequence[str],
    info_keys: Sequence[str],
    want: frozenset[str],
    batch_size: int = 512,
    mask: tuple[float, ...] | None = None,
) -> Iterator[RecordBatch]:
    """Yield batches of the records whose POS lies in ``region`` (only ``samples``, in VCF order).

    ``want`` names the FORMAT fields to decode besides GT (``GQ``, ``DP``, ``AD``). bgzipped VCF
    goes through goe's C decoder (:mod:`goe.vcf.fastread`); BCF, and whatever that decoder does
    not understand, through cyvcf2 (htslib), from the record where the fast reader stopped.

    ``mask`` (operator, low, high for GQ, DP and allele balance; see
    :meth:`goe.freq.genotypes.GenotypeMask.decoder_spec`) lets the C decoder mask genotypes as
    it reads: such batches come with ``masked`` set and without the FORMAT arrays that only
    served the mask. Batches with ``masked`` None still need the mask applied.
    """
    done = 0
    if fastread.usable(path, region):
        all_samples, info_float = _header_for_fast(path, tuple(info_keys))
        fast_want = want - {"GQ", "DP", "AD"} if mask else want
        try:
            for fields, n in fastread.iter_batches_fast(
                path, region, all_samples, samples, info_keys, info_float, fast_want, batch_size, mask
            ):
                info = fields.pop("info")
                yield RecordBatch(
                    region.contig, fields["pos"], fields["ids"], fields["refs"], fields["alts"], fields["qual"],
                    fields["filters"], {k: info[:, i] for i, k in enumerate(info_keys)}, fields["gt"],
                    fields["gq"], fields["dp"], fields["ad"], fields["ad_ref"], fields["masked"],
                )
                done += n
            return
        except fastread.FastPathError:
            pass  # htslib takes over from record ``done`` and reports any real error
    yield from _iter_htslib(path, region, samples, info_keys, want, batch_size, skip=done)


@lru_cache(maxsize=8)
def _header_cached(path: Path, mtime: float, info_keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    with capture_htslib():
        vcf = VCF(str(path), lazy=True)
    try:
        types = {h.info()["ID"]: h.info().get("Type") for h in vcf.header_iter() if h.type == "INFO"}
        return tuple(vcf.samples), tuple(types.get(k) == "Float" for k in info_keys)
    finally:
        vcf.close()


def _header_for_fast(path: Path, info_keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    """All sample columns of the file, and which wanted INFO keys are Float (float32 as in htslib)."""
    return _header_cached(path, path.stat().st_mtime, info_keys)


def _iter_htslib(
    path: Path,
    region: Region,
    samples: Sequence[str],
    info_keys: Sequence[str],
    want: frozenset[str],
    batch_size: int,
    skip: int = 0,
) -> Iterator[RecordBatch]:
    """The cyvcf2 reader; ``skip`` leaves out the region's first records (already read)."""
    failure: Exception | None = None
    with capture_htslib() as hts:
        vcf = VCF(str(path), samples=list(samples), lazy=True, threads=1)
        try:
            rows = _Rows(region.contig, vcf.samples, info_keys, want, batch_size)
            for rec in vcf(region.query()):
                if not region.contains(rec.POS):
                    continue
                if skip:
                    skip -= 1
                    continue
                rows.add(rec)
                if rows.size == batch_size:
                    yield rows.flush()
            if rows.size:
                yield rows.flush()
        except _RecordError as exc:
            raise VcfError(f"{path}: {exc.args[0]}", hint=exc.args[1]) from None
        except Exception as exc:  # htslib errors surface as assorted exception types
            failure = exc
        finally:
            vcf.close()
    if hts.errors or failure is not None:
        detail = hts.errors[0] if hts.errors else str(failure)
        if "get_intv" in detail or "was wrong -p" in detail:
            raise VcfError(
                f"{path}: its index does not match the file ({detail})",
                hint=f"re-create it: bcftools index -f {path.name}",
            )
        raise VcfError(
            f"{path}: cannot read the records in {region} ({detail})",
            hint=f"the file may be corrupt (check it with 'bcftools view {path.name} > /dev/null', copy it again) "
            f"or its index stale (re-create it: bcftools index -f {path.name})",
        )


class _RecordError(Exception):
    """A record goe cannot count: (what is wrong and where, how to fix it)."""


class _Rows:
    """Accumulates decoded records into preallocated arrays."""

    def __init__(self, contig: str, samples: Sequence[str], info_keys: Sequence[str], want: frozenset[str],
                 size: int) -> None:
        self.contig, self.samples, self.n = contig, samples, len(samples)
        self.info_keys, self.want, self.cap = list(info_keys), want, size
        self._alloc()

    def _genotypes(self, r: Any) -> np.ndarray:
        """The record's GT array (samples x (ploidy + phase)); refuses records goe cannot count."""
        where = f"{self.contig}:{r.POS}"
        try:
            g = r.genotype.array()
        except Exception:  # cyvcf2: "error parsing genotypes; they may be absent from this record"
            raise _RecordError(
                f"{where} has no GT (FORMAT is {':'.join(r.FORMAT) or 'empty'}); goe counts genotypes",
                "every record of a joint-called VCF has GT: check how the file was made",
            ) from None
        if g.shape[1] > 3:
            extra = np.flatnonzero((g[:, 2:-1] != -2).any(axis=1))
            if len(extra):
                s = int(extra[0])
                k = int((g[s, :-1] != -2).sum())
                raise _RecordError(
                    f"{where}: sample {self.samples[s]} has a call of ploidy {k}; goe counts haploid and "
                    "diploid calls only",
                    "set polyploid calls missing (or drop the record) before goe",
                )
        return g

    def _alloc(self) -> None:
        cap, n = self.cap, self.n
        self.size = 0
        self.pos = np.zeros(cap, dtype=np.int64)
        self.qual = np.full(cap, math.nan)
        self.ids: list[str] = []
        self.refs: list[str] = []
        self.alts: list[list[str]] = []
        self.filters: list[str | None] = []
        self.info = {k: np.full(cap, math.nan) for k in self.info_keys}
        self.gt = np.full((cap, n, 2), -1, dtype=np.int16)
        self.gq = np.full((cap, n), -1, dtype=np.int32) if "GQ" in self.want else None
        self.dp = np.full((cap, n), -1, dtype=np.int32) if "DP" in self.want else None
        self.ad = np.full((cap, n, 2), -1, dtype=np.int32) if "AD" in self.want else None
        self.ad_ref = np.full((cap, n), -1, dtype=np.int32) if "AD_REF" in self.want else None

    def add(self, rec: object) -> None:
        i = self.size
        r = rec
        self.pos[i] = r.POS  # type: ignore[attr-defined]
        q = r.QUAL  # type: ignore[attr-defined]
        if q is not None:
            self.qual[i] = q
        self.ids.append(r.ID or ".")  # type: ignore[attr-defined]
        self.refs.append(r.REF)  # type: ignore[attr-defined]
        self.alts.append(list(r.ALT))  # type: ignore[attr-defined]
        self.filters.append(r.FILTER)  # type: ignore[attr-defined]
        if self.info_keys:
            info = r.INFO  # type: ignore[attr-defined]
            for k in self.info_keys:
                self.info[k][i] = _info_float(info.get(k))
        g = self._genotypes(r)
        if r.ploidy >= 2 and g.shape[1] >= 3:  # type: ignore[attr-defined]
            self.gt[i] = g[:, :2]
        else:  # all haploid: the second column is the phase flag
            self.gt[i, :, 0] = g[:, 0]
            self.gt[i, :, 1] = -2
        if self.gq is not None:
            self.gq[i] = _format_int(r, "GQ", self.n)
        if self.dp is not None:
            self.dp[i] = _format_int(r, "DP", self.n)
        if self.ad is not None:
            ad = r.format("AD")  # type: ignore[attr-defined]
            if ad is not None:
                ad = np.asarray(ad)
                gt = self.gt[i]
                idx = np.clip(gt.astype(np.int64), 0, ad.shape[1] - 1)
                pair = np.take_along_axis(ad, idx, axis=1).astype(np.int32)
                pair[(pair < 0) | (gt < 0)] = -1
                self.ad[i] = pair
                if self.ad_ref is not None:
                    ref = ad[:, 0].astype(np.int32)
                    ref[ref < 0] = -1
                    self.ad_ref[i] = ref
        self.size += 1

    def flush(self) -> RecordBatch:
        s = self.size
        batch = RecordBatch(
            self.contig, self.pos[:s].copy(), self.ids, self.refs, self.alts, self.qual[:s].copy(),
            self.filters, {k: v[:s].copy() for k, v in self.info.items()},
            self.gt[:s].copy(),
            None if self.gq is None else self.gq[:s].copy(),
            None if self.dp is None else self.dp[:s].copy(),
            None if self.ad is None else self.ad[:s].copy(),
            None if self.ad_ref is None else self.ad_ref[:s].copy(),
        )
        self._alloc()
        return batch
