"""Turn counted allele rows into sites-VCF lines and long-table rows."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from goe.freq.counting import AlleleCounts

try:
    from goe.freq import _fastfreq  # type: ignore[attr-defined]
except ImportError:  # built without a C compiler: vcf_lines() below does the formatting
    _fastfreq = None

_STAT_ORDER = ("ac", "an", "af", "ac_hom", "ac_het", "ac_hemi", "ns", "f_missing", "hwe")

PARQUET_SCHEMA = {
    "chrom": pl.String,
    "pos": pl.Int64,
    "ref": pl.String,
    "alt": pl.String,
    "population": pl.String,
    "ac": pl.Int64,
    "an": pl.Int64,
    "af": pl.Float64,
    "ac_hom": pl.Int64,
    "ac_het": pl.Int64,
    "ac_hemi": pl.Int64,
    "ns": pl.Int64,
    "f_missing": pl.Float64,
    "hwe": pl.Float64,
    "filters": pl.String,
}


def format_af(ac: int, an: int) -> str:
    """AF with enough significant digits that round(AF x AN) == AC."""
    if an <= 0:
        return "."
    digits = max(6, len(str(an)) + 1)
    return f"{ac / an:.{digits}g}"


def _fmt_float(v: float) -> str:
    return "." if math.isnan(v) else f"{v:.6g}"


@dataclass
class AlleleRows:
    """Everything needed to write R allele rows."""

    contig: str
    pos: np.ndarray  # (R,)
    ids: list[str]
    refs: list[str]
    alts: list[str]
    qual: np.ndarray  # (R,)
    filters: list[str]
    counts: AlleleCounts
    withheld: np.ndarray  # bool (R, G)

    def slice(self, a: int, b: int) -> AlleleRows:
        """Rows ``a`` to ``b`` (exclusive)."""
        if a == 0 and b == len(self.refs):
            return self
        c = self.counts
        counts = AlleleCounts(
            ac=c.ac[a:b], an=c.an[a:b], ac_hom=c.ac_hom[a:b], ac_het=c.ac_het[a:b], ac_hemi=c.ac_hemi[a:b],
            ns=c.ns[a:b], n_expected=c.n_expected[a:b], hwe=c.hwe[a:b],
        )
        return AlleleRows(self.contig, self.pos[a:b], self.ids[a:b], self.refs[a:b], self.alts[a:b], self.qual[a:b],
                          self.filters[a:b], counts, self.withheld[a:b])

    @classmethod
    def concat(cls, parts: list[AlleleRows]) -> AlleleRows:
        """The rows of several batches of one contig, in order."""
        if len(parts) == 1:
            return parts[0]
        cs = [p.counts for p in parts]

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(c, name) for c in cs])

        counts = AlleleCounts(
            ac=cat("ac"), an=cat("an"), ac_hom=cat("ac_hom"), ac_het=cat("ac_het"), ac_hemi=cat("ac_hemi"),
            ns=cat("ns"), n_expected=cat("n_expected"), hwe=cat("hwe"),
        )
        return cls(
            parts[0].contig, np.concatenate([p.pos for p in parts]), [x for p in parts for x in p.ids],
            [x for p in parts for x in p.refs], [x for p in parts for x in p.alts],
            np.concatenate([p.qual for p in parts]), [x for p in parts for x in p.filters], counts,
            np.concatenate([p.withheld for p in parts]),
        )


def vcf_lines(rows: AlleleRows, keys: list[list[tuple[str, str]]]) -> list[str]:
    """Sites-VCF lines (with newline) for each row; withheld populations are left out."""
    c = rows.counts
    ints = {
        "ac": c.ac.astype(str).tolist(), "an": c.an.astype(str).tolist(),
        "ac_hom": c.ac_hom.astype(str).tolist(), "ac_het": c.ac_het.astype(str).tolist(),
        "ac_hemi": c.ac_hemi.astype(str).tolist(), "ns": c.ns.astype(str).tolist(),
    }
    ac_l, an_l = c.ac.tolist(), c.an.tolist()
    fm_l, hwe_l = c.f_missing.tolist(), c.hwe.tolist()
    withheld = rows.withheld.tolist()
    n_groups = len(keys)
    out = []
    for r in range(len(rows.refs)):
        info: list[str] = []
        for g in range(n_groups):
            if withheld[r][g]:
                continue
            for key, iid in keys[g]:
                if key == "af":
                    val = format_af(ac_l[r][g], an_l[r][g])
                elif key == "f_missing":
                    val = _fmt_float(fm_l[r][g])
                elif key == "hwe":
                    val = _fmt_float(hwe_l[r][g])
                else:
                    val = ints[key][r][g]
                info.append(f"{iid}={val}")
        q = float(rows.qual[r])
        qual = "." if math.isnan(q) else f"{q:g}"
        out.append(
            f"{rows.contig}\t{int(rows.pos[r])}\t{rows.ids[r]}\t{rows.refs[r]}\t{rows.alts[r]}\t"
            f"{qual}\t{rows.filters[r]}\t{';'.join(info) or '.'}\n"
        )
    return out


def vcf_text(rows: AlleleRows, keys: list[list[tuple[str, str]]]) -> tuple[bytes, np.ndarray]:
    """All rows' sites-VCF lines as one bytes object, and the end offset of each line.

    The C formatter when built (same bytes as :func:`vcf_lines`; tested), else :func:`vcf_lines`.
    """
    if _fastfreq is None or any(tuple(k for k, _ in group) != _STAT_ORDER for group in keys):
        lines = [line.encode() for line in vcf_lines(rows, keys)]
        return b"".join(lines), np.cumsum([len(x) for x in lines], dtype=np.int64)
    c = rows.counts
    ints = np.ascontiguousarray(np.stack([c.ac, c.an, c.ac_hom, c.ac_het, c.ac_hemi, c.ns]), dtype=np.int64)
    info_ids = tuple(tuple(iid.encode() for _, iid in group) for group in keys)
    text, ends = _fastfreq.vcf_lines(
        rows.contig.encode(), np.ascontiguousarray(rows.pos, dtype=np.int64), list(rows.ids), list(rows.refs),
        list(rows.alts), np.ascontiguousarray(rows.qual, dtype=np.float64), list(rows.filters), ints,
        np.ascontiguousarray(c.f_missing, dtype=np.float64), np.ascontiguousarray(c.hwe, dtype=np.float64),
        np.ascontiguousarray(rows.withheld, dtype=np.uint8), info_ids,
    )
    return text, np.frombuffer(ends, dtype=np.int64)


def long_table(rows: AlleleRows, labels: list[str]) -> pl.DataFrame:
    """One row per (allele, population), withheld populations left out."""
    rr, gg = np.nonzero(~rows.withheld)
    c = rows.counts
    # strings are gathered by polars from one Series per allele row, not built as Python lists
    rr_s, gg_s = pl.Series(rr, dtype=pl.UInt32), pl.Series(gg, dtype=pl.UInt32)
    return pl.DataFrame(
        {
            "chrom": pl.repeat(rows.contig, len(rr), dtype=pl.String, eager=True),
            "pos": rows.pos[rr],
            "ref": pl.Series(rows.refs, dtype=pl.String).gather(rr_s),
            "alt": pl.Series(rows.alts, dtype=pl.String).gather(rr_s),
            "population": pl.Series(labels, dtype=pl.String).gather(gg_s),
            "ac": c.ac[rr, gg],
            "an": c.an[rr, gg],
            "af": pl.Series(c.af[rr, gg], nan_to_null=True),
            "ac_hom": c.ac_hom[rr, gg],
            "ac_het": c.ac_het[rr, gg],
            "ac_hemi": c.ac_hemi[rr, gg],
            "ns": c.ns[rr, gg],
            "f_missing": pl.Series(c.f_missing[rr, gg], nan_to_null=True),
            "hwe": c.hwe[rr, gg],
            "filters": pl.Series(rows.filters, dtype=pl.String).gather(rr_s),
        },
        schema=PARQUET_SCHEMA,
    )


ROW_GROUP_ROWS = 1 << 17


class RowGroupParts:
    """A partition's long table as Parquet files of one row group each, in the package's final form.

    A row group ends at every 1 Mbp grid cell and after every ``max_rows // groups`` alleles
    within a cell, so row groups depend on the data alone, not on how the input was split:
    the finaliser joins the files by copying their row groups
    (:func:`goe.package.parquet_join.join_parquet`) and the file is byte-identical for any
    partitioning. Memory: at most one row group's rows.
    """

    def __init__(self, folder: Path, stem: str, labels: list[str], max_rows: int = ROW_GROUP_ROWS) -> None:
        self.folder, self.stem, self.labels = folder, stem, labels
        self.max_alleles = max(1, max_rows // max(1, len(labels)))
        self.paths: list[Path] = []
        self.pending: list[AlleleRows] = []
        self.n = 0
        self.cell: int | None = None

    def add(self, rows: AlleleRows, cells: np.ndarray) -> None:
        """Allele rows of one batch, and the grid cell of each (non-decreasing)."""
        i, n = 0, len(cells)
        while i < n:
            cell = int(cells[i])
            j = int(np.searchsorted(cells, cell, side="right"))
            if cell != self.cell:
                self.flush()
                self.cell = cell
            while i < j:
                take = min(j - i, self.max_alleles - self.n)
                self.pending.append(rows.slice(i, i + take))
                self.n += take
                i += take
                if self.n == self.max_alleles:
                    self.flush()

    def flush(self) -> None:
        """Write the pending rows as one file (one row group)."""
        if not self.pending:
            return
        path = self.folder / f"{self.stem}_{len(self.paths):05d}.parquet"
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # see goe.freq.worker
        write_final_parquet(long_table(AlleleRows.concat(self.pending), self.labels), tmp)
        os.replace(tmp, path)
        self.paths.append(path)
        self.pending, self.n = [], 0


def write_final_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` as the package's Parquet is written (the join copies these bytes as they are)."""
    frame.write_parquet(path, compression="zstd", compression_level=1, statistics=True,
                        row_group_size=ROW_GROUP_ROWS)


def write_cell_row_groups(frame: pl.DataFrame, cells: np.ndarray, folder: Path, stem: str) -> list[Path]:
    """Write ``frame`` (rows in genomic order, ``cells`` their grid cells) as files of one row group
    each, cut at every cell and every :data:`ROW_GROUP_ROWS` rows within a cell: the same row
    groups however the genome was split into regions."""
    paths: list[Path] = []
    starts = np.flatnonzero(np.concatenate([[True], cells[1:] != cells[:-1]])) if len(cells) else np.zeros(0, int)
    bounds = [*starts.tolist(), len(cells)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        for c in range(a, b, ROW_GROUP_ROWS):
            path = folder / f"{stem}_{len(paths):05d}.parquet"
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            write_final_parquet(frame.slice(c, min(b, c + ROW_GROUP_ROWS) - c), tmp)
            os.replace(tmp, path)
            paths.append(path)
    return paths
