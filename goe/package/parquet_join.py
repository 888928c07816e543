"""Join Parquet files of one schema into one file by copying their row groups.

Workers write their parts as final row groups (compression, statistics); the
finaliser only copies bytes and writes one footer with the row groups' offsets
moved: no decoding or encoding, and memory that does not depend on the data.
The footer is Thrift (compact protocol); this module reads it into a generic
tree, so fields it does not know are kept as they are, and moves the offsets the
Parquet format defines (parquet.thrift: FileMetaData, RowGroup, ColumnChunk,
ColumnMetaData). Page indexes (column/offset index) hold offsets of their own and
are dropped; Bloom filters too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"PAR1"

# compact protocol types
STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)


class ParquetJoinError(ValueError):
    """A part is not a Parquet file this joiner understands, or the parts differ in schema."""


@dataclass
class Field:
    id: int
    type: int
    value: Any


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.d, self.i = data, 0

    def byte(self) -> int:
        b = self.d[self.i]
        self.i += 1
        return b

    def varint(self) -> int:
        shift = out = 0
        while True:
            b = self.byte()
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t: int) -> Any:
        if t in (TRUE, FALSE):
            return t == TRUE
        if t == BYTE:
            return self.byte()
        if t in (I16, I32, I64):
            return self.zigzag()
        if t == DOUBLE:
            v = struct.unpack_from("<d", self.d, self.i)[0]
            self.i += 8
            return v
        if t == BINARY:
            n = self.varint()
            v = self.d[self.i : self.i + n]
            self.i += n
            return v
        if t in (LIST, SET):
            head = self.byte()
            n, et = head >> 4, head & 0x0F
            if n == 15:
                n = self.varint()
            if et in (TRUE, FALSE):  # booleans in lists are one byte each
                return (et, [self.byte() == 1 for _ in range(n)])
            return (et, [self.value(et) for _ in range(n)])
        if t == STRUCT:
            return self.struct()
        raise ParquetJoinError(f"unsupported Thrift type {t}")

    def struct(self) -> list[Field]:
        fields: list[Field] = []
        last = 0
        while True:
            head = self.byte()
            if head == STOP:
                return fields
            t, delta = head & 0x0F, head >> 4
            fid = last + delta if delta else self.zigzag()
            fields.append(Field(fid, t, self.value(t)))
            last = fid


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def varint(self, n: int) -> None:
        while True:
            b = n & 0x7F
            n >>= 7
            if n:
                self.out.append(b | 0x80)
            else:
                self.out.append(b)
                return

    def zigzag(self, v: int) -> None:
        self.varint((v << 1) ^ (v >> 63))

    def value(self, t: int, v: Any) -> None:
        if t in (TRUE, FALSE):
            return  # in the field header
        if t == BYTE:
            self.out.append(v & 0xFF)
        elif t in (I16, I32, I64):
            self.zigzag(v)
        elif t == DOUBLE:
            self.out += struct.pack("<d", v)
        elif t == BINARY:
            self.varint(len(v))
            self.out += v
        elif t in (LIST, SET):
            et, items = v
            n = len(items)
            self.out.append((min(n, 15) << 4) | et)
            if n >= 15:
                self.varint(n)
            for item in items:
                if et in (TRUE, FALSE):
                    self.out.append(1 if item else 2)
                else:
                    self.value(et, item)
        elif t == STRUCT:
            self.struct(v)
        else:
            raise ParquetJoinError(f"unsupported Thrift type {t}")

    def struct(self, fields: list[Field]) -> None:
        last = 0
        for f in fields:
            t = (TRUE if f.value else FALSE) if f.type in (TRUE, FALSE) else f.type
            delta = f.id - last
            if 0 < delta <= 15:
                self.out.append((delta << 4) | t)
            else:
                self.out.append(t)
                self.zigzag(f.id)
            self.value(f.type, f.value)
            last = f.id
        self.out.append(STOP)


def _get(fields: list[Field], fid: int) -> Field | None:
    return next((f for f in fields if f.id == fid), None)


def _footer(path: Path) -> tuple[list[Field], int]:
    """The file's FileMetaData and the length of its data (from the start, magic included)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        if size < 12:
            raise ParquetJoinError(f"{path}: not a Parquet file")
        fh.seek(size - 8)
        tail = fh.read(8)
        if tail[4:] != MAGIC:
            raise ParquetJoinError(f"{path}: not a Parquet file")
        n = struct.unpack("<I", tail[:4])[0]
        fh.seek(size - 8 - n)
        meta = _Reader(fh.read(n)).struct()
    return meta, size - 8 - n


# Offsets the format defines, by struct: ColumnChunk 2 file_offset; ColumnMetaData 9 data_page_offset,
# 10 index_page_offset, 11 dictionary_page_offset; RowGroup 5 file_offset.
_DROP_CHUNK = {4, 5, 6, 7}  # offset/column index offsets and lengths (their contents hold offsets too)
_DROP_META = {14, 15}  # Bloom filter offset and length


def _move_row_group(rg: list[Field], shift: int, ordinal: int) -> list[Field]:
    out: list[Field] = []
    for f in rg:
        if f.id == 1:  # columns
            et, chunks = f.value
            moved = []
            for chunk in chunks:
                new_chunk = []
                for cf in chunk:
                    if cf.id in _DROP_CHUNK:
                        continue
                    if cf.id == 2:
                        cf = Field(cf.id, cf.type, cf.value + shift)
                    elif cf.id == 3:
                        cf = Field(cf.id, cf.type, [
                            Field(m.id, m.type, m.value + shift) if m.id in (9, 10, 11) else m
                            for m in cf.value if m.id not in _DROP_META
                        ])
                    new_chunk.append(cf)
                moved.append(new_chunk)
            out.append(Field(f.id, f.type, (et, moved)))
        elif f.id == 5:
            out.append(Field(f.id, f.type, f.value + shift))
        elif f.id == 7:
            out.append(Field(f.id, f.type, ordinal))
        else:
            out.append(f)
    return out


def _schema_key(meta: list[Field]) -> bytes:
    schema = _get(meta, 2)
    w = _Writer()
    if schema is not None:
        w.value(schema.type, schema.value)
    return bytes(w.out)


def join_parquet(parts: list[Path], out: Path) -> int:
    """Write ``out`` holding every row group of ``parts``, in order; return the number of rows.

    ``parts`` must share one schema (the first part's footer is the template).
    """
    if not parts:
        raise ParquetJoinError("no Parquet parts to join")
    metas = [_footer(p) for p in parts]
    first = metas[0][0]
    key = _schema_key(first)
    row_groups: list[list[Field]] = []
    n_rows = 0
    with out.open("wb") as fh:
        fh.write(MAGIC)
        for path, (meta, data_end) in zip(parts, metas, strict=True):
            if _schema_key(meta) != key:
                raise ParquetJoinError(f"{path}: its schema differs from the first part's")
            shift = fh.tell() - len(MAGIC)  # where this part's bytes after its magic land
            groups = _get(meta, 4)
            for rg in groups.value[1] if groups is not None else []:
                row_groups.append(_move_row_group(rg, shift, len(row_groups)))
            rows = _get(meta, 3)
            n_rows += rows.value if rows is not None else 0
            with path.open("rb") as src:
                src.seek(len(MAGIC))
                remaining = data_end - len(MAGIC)
                while remaining > 0:
                    block = src.read(min(remaining, 1 << 20))
                    if not block:
                        raise ParquetJoinError(f"{path}: shorter than its footer says")
                    fh.write(block)
                    remaining -= len(block)
        meta_out = []
        for f in first:
            if f.id == 3:
                f = Field(3, f.type, n_rows)
            elif f.id == 4:
                f = Field(4, f.type, (STRUCT, row_groups))
            meta_out.append(f)
        w = _Writer()
        w.struct(meta_out)
        fh.write(w.out)
        fh.write(struct.pack("<I", len(w.out)))
        fh.write(MAGIC)
    return n_rows


__all__ = ["ParquetJoinError", "join_parquet"]
