"""Parquet parts joined by copying row groups: the same table as reading and rewriting them."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from goe.freq.output import PARQUET_SCHEMA, ROW_GROUP_ROWS, write_cell_row_groups, write_final_parquet
from goe.package.parquet_join import ParquetJoinError, _Reader, _Writer, join_parquet


def _frame(rng: np.random.Generator, n: int, start: int) -> pl.DataFrame:
    an = rng.integers(0, 400, n)
    ac = np.minimum(rng.integers(0, 50, n), an)
    af = np.where(an > 0, ac / np.maximum(an, 1), np.nan)
    return pl.DataFrame({
        "chrom": ["chr7"] * n, "pos": np.sort(rng.integers(start, start + 5_000_000, n)),
        "ref": rng.choice(["A", "C", "GT", "TTTA"], n), "alt": rng.choice(["G", "T", "A", "CAG"], n),
        "population": rng.choice(["Total", "DE", "DE_F", "FI_M"], n), "ac": ac, "an": an,
        "af": pl.Series(af, nan_to_null=True), "ac_hom": ac // 2, "ac_het": ac % 2, "ac_hemi": ac * 0,
        "ns": an // 2, "f_missing": pl.Series(np.where(rng.random(n) < 0.1, np.nan, rng.random(n)), nan_to_null=True),
        "hwe": rng.random(n), "filters": rng.choice(["PASS", "LowQual", "ExcessHet;LowQual"], n),
    }, schema=PARQUET_SCHEMA)


def test_join_equals_the_rows_of_every_part_in_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    frames = [_frame(rng, n, 1_000_000 * i) for i, n in enumerate([5, 70_000, 1, 200_000, 3_000])]
    parts = []
    for i, f in enumerate(frames):
        parts.append(tmp_path / f"p{i}.parquet")
        write_final_parquet(f, parts[-1])
    out = tmp_path / "joined.parquet"
    assert join_parquet(parts, out) == sum(f.height for f in frames)
    whole = pl.concat(frames)
    assert pl.read_parquet(out).equals(whole)
    # statistics were moved with their row groups: filters pushed down to them still find the right rows
    query = (pl.col("pos") > 3_200_000) & (pl.col("population") == "DE")
    assert pl.scan_parquet(out).filter(query).collect().equals(whole.filter(query))
    footer = _footer_bytes(out)
    meta = _Reader(footer).struct()
    row_groups = next(f for f in meta if f.id == 4).value[1]
    assert len(row_groups) == 1 + 1 + 1 + 2 + 1  # 200,000 rows are two groups of at most 131,072
    assert [next(f for f in rg if f.id == 7).value for rg in row_groups] == list(range(6))


def _footer_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    n = struct.unpack("<I", data[-8:-4])[0]
    return data[-8 - n : -8]


def test_thrift_footer_round_trips_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    write_final_parquet(_frame(np.random.default_rng(1), 1000, 0), path)
    footer = _footer_bytes(path)
    w = _Writer()
    w.struct(_Reader(footer).struct())
    assert bytes(w.out) == footer


def test_row_groups_follow_grid_cells_not_regions(tmp_path: Path) -> None:
    """One frame written whole, or cut into regions at cell boundaries: the same joined bytes."""
    frame = _frame(np.random.default_rng(2), 300_000, 0).sort("pos")
    cells = (frame["pos"].to_numpy() - 1) // (1 << 20)
    whole = write_cell_row_groups(frame, cells, tmp_path, "whole")
    cut = int(np.searchsorted(cells, 3))
    a = write_cell_row_groups(frame.slice(0, cut), cells[:cut], tmp_path, "a")
    b = write_cell_row_groups(frame.slice(cut), cells[cut:], tmp_path, "b")
    join_parquet(whole, tmp_path / "x.parquet")
    join_parquet(a + b, tmp_path / "y.parquet")
    assert (tmp_path / "x.parquet").read_bytes() == (tmp_path / "y.parquet").read_bytes()
    assert max(pl.read_parquet(p).height for p in whole) <= ROW_GROUP_ROWS


def test_parts_of_another_schema_or_not_parquet_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    write_final_parquet(_frame(np.random.default_rng(3), 10, 0), good)
    other = tmp_path / "other.parquet"
    pl.DataFrame({"x": [1, 2]}).write_parquet(other)
    with pytest.raises(ParquetJoinError, match="other.parquet: its schema differs from the first part's"):
        join_parquet([good, other], tmp_path / "out.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    with pytest.raises(ParquetJoinError, match="junk.parquet: not a Parquet file"):
        join_parquet([junk], tmp_path / "out.parquet")
