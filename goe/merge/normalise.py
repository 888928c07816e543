"""Allele normalisation for ``goe merge``: one spelling per variant, as ``bcftools norm``.

National packages come from different callers, so one variant may be written
untrimmed (``ACG>ATG``), with extra shared context, or anywhere inside a
repeat. ``goe merge`` matches alleles by (chrom, pos, ref, alt), so every
allele is first brought to the canonical form of Tan et al. 2015 ("Unified
representation of genetic variants", the vt/bcftools algorithm): parsimonious
(no base that all alleles share can be dropped, except the one anchor base an
indel needs) and left-aligned (the leftmost position in a repeat).

The algorithm is the one of ``realign()`` in bcftools 1.16 ``vcfnorm.c``:

1. Right trim: while the last bases of REF and ALT are equal, drop them. When
   that leaves an allele empty, prepend up to 100 reference bases (the
   bcftools window) to both alleles and move the position left; this is
   the left-alignment. It stops at the first differing last base, or at
   position 1 (nothing to prepend).
2. Left trim: drop the first base while it is equal in REF and ALT and both
   alleles keep at least one base.

Without a FASTA nothing can be prepended, so step 1 stops where an allele would
become empty: a reference-free canonical form (trimmed, not left-aligned).
MNPs are trimmed like anything else (``ACG>ATG`` becomes ``C>T`` one base to
the right; ``AC>GC`` becomes ``A>G``), as bcftools does.

Matched bcftools details: REF is checked against the FASTA (after upper-casing;
IUPAC codes in the FASTA count as ``N``) for every record, symbolic ones too;
``*``, ``.``, ``<...>`` and breakend alleles are returned exactly as given;
ALTs with IUPAC codes and REF == ALT records are not trimmed or moved
(bcftools stops on them by default and keeps them with ``-c w``).
One deliberate difference: goe upper-cases base alleles even when nothing else
changes (bcftools then keeps the input's case), so matching is case-blind.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import pysam

from goe.errors import AssemblyError, InputError
from goe.genome.assemblies import canonical_contig

PAD_WINDOW = 100  # bases prepended at a time (bcftools' realignment window, aln_win)
_BLOCK = 1 << 16  # reference bases cached per FASTA read
_SHOW = 40  # longest allele shown whole in an error message
_BASES = frozenset("ACGTN")
_TO_ACGTN = {ord(c): (c.upper() if c.upper() in "ACGT" else "N") for c in string.ascii_letters}


class RefMismatch(AssemblyError):
    """A REF allele disagrees with the reference FASTA (usually: the wrong assembly)."""


def _show(allele: str) -> str:
    """``allele`` cut to a readable length for a message."""
    return allele if len(allele) <= _SHOW else f"{allele[:_SHOW]}...({len(allele)} bp)"


def _contig_key(name: str) -> str:
    """The name contigs are matched by: ``1``..``22``/``X``/``Y``/``MT``, else the name itself."""
    return canonical_contig(name) or name


class Normaliser:
    """Bring (pos, REF, ALT) to the canonical form of ``bcftools norm [-f fasta]``.

    ``fasta`` is a reference FASTA with its ``.fai`` (``None``: trim only, no
    left-alignment and no REF check). Contigs of the data and of the FASTA may
    be named ``chr1`` or ``1``; ``contig_aliases`` maps other data names (say
    ``NC_000001.10``) to a FASTA or canonical name first.
    """

    def __init__(self, fasta: Path | None, contig_aliases: Mapping[str, str] | None = None) -> None:
        self.fasta = fasta
        self._aliases = dict(contig_aliases or {})
        self._fa: pysam.FastaFile | None = None
        self._lengths: dict[str, int] = {}
        self._by_key: dict[str, str] = {}
        self._resolved: dict[str, str] = {}
        self._block: tuple[str, int, str] = ("", 0, "")
        self._max_shift = 0
        if fasta is None:
            return
        try:
            self._fa = pysam.FastaFile(str(fasta))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot open the reference FASTA {fasta}: {exc}",
                hint="give an uncompressed or bgzipped FASTA indexed with 'samtools faidx' (.fai next to it)",
            ) from None
        for name, length in zip(self._fa.references, self._fa.lengths, strict=True):
            self._lengths[name] = length
            self._by_key.setdefault(_contig_key(name), name)

    def close(self) -> None:
        """Close the FASTA."""
        if self._fa is not None:
            self._fa.close()
            self._fa = None

    def __enter__(self) -> Normaliser:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def max_shift(self) -> int:
        """The largest leftward shift (input pos minus normalised pos) seen so far, 0 if none."""
        return self._max_shift

    def fasta_contig(self, contig: str) -> str:
        """The FASTA's name for the data's ``contig`` (through the aliases and ``chr``-style names)."""
        found = self._resolved.get(contig)
        if found is not None:
            return found
        name = self._aliases.get(contig, contig)
        found = name if name in self._lengths else self._by_key.get(_contig_key(name))
        if found is None:
            have = ", ".join(list(self._lengths)[:5]) + (", ..." if len(self._lengths) > 5 else "")
            raise AssemblyError(
                f"contig {contig} is not in the reference FASTA {self.fasta} (it has {have})",
                hint="use the FASTA of the data's assembly, or map the name with a contig alias",
            )
        self._resolved[contig] = found
        return found

    def normalise(self, contig: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
        """The canonical (pos, REF, ALT) of one biallelic record (``pos`` 1-based).

        Raises :class:`RefMismatch` when a FASTA is given and REF is not the
        reference sequence at ``contig:pos``.
        """
        name = None
        if self._fa is not None:
            name = self.fasta_contig(contig)
            self._check_ref(contig, name, pos, ref)
        if not (ref.isalpha() and alt.isalpha()):
            return pos, ref, alt  # '*', '.', <DEL>, breakends: nothing to normalise
        r, a = ref.upper(), alt.upper()
        if r == a or not (_BASES.issuperset(r) and _BASES.issuperset(a)):
            return pos, r, a  # REF == ALT or IUPAC codes: left as they are, like bcftools -c w
        new_pos, r, a = self._trim(name, pos, r, a)
        self._max_shift = max(self._max_shift, pos - new_pos)
        return new_pos, r, a

    def _trim(self, name: str | None, pos: int, r: str, a: str) -> tuple[int, str, str]:
        """Right trim with reference padding (left-alignment), then left trim (bcftools realign)."""
        nr, na = len(r), len(a)  # the live alleles are r[:nr] and a[:na]
        while r[nr - 1] == a[na - 1]:
            if nr > 1 and na > 1:
                nr -= 1
                na -= 1
                continue
            if name is None or pos == 1:
                break  # an allele would become empty and there is nothing to its left to pad with
            npad = min(pos - 1, PAD_WINDOW)
            pad = self._fetch(name, pos - 1 - npad, pos - 1)
            r, a = pad + r[: nr - 1], pad + a[: na - 1]
            nr, na = len(r), len(a)
            pos -= npad
        r, a = r[:nr], a[:na]
        lim = min(nr, na) - 1
        n = 0
        while n < lim and r[n] == a[n]:
            n += 1
        return pos + n, r[n:], a[n:]

    def _check_ref(self, contig: str, name: str, pos: int, ref: str) -> None:
        """Raise unless ``ref`` is the FASTA's sequence at ``pos`` (case-blind)."""
        length = self._lengths[name]
        end = pos - 1 + len(ref)
        if pos < 1 or end > length:
            raise AssemblyError(
                f"{contig}:{pos} REF {_show(ref)} lies outside contig {name} of the reference "
                f"FASTA {self.fasta} ({length:,} bp)",
                hint="check that the data and the FASTA are the same assembly (GRCh37 or GRCh38)",
            )
        seq = self._fetch(name, pos - 1, end)
        if seq != ref.upper():
            fasta = self.fasta.name if self.fasta is not None else "FASTA"
            raise RefMismatch(
                f"REF mismatch at {contig}:{pos}: the data has REF {_show(ref)}, "
                f"the reference FASTA {fasta} has {_show(seq)}",
                hint="check that the data was called against this reference (same assembly, GRCh37 or GRCh38)",
            )

    def _fetch(self, name: str, start: int, end: int) -> str:
        """FASTA bases ``[start, end)`` (0-based) of ``name``, upper case, other IUPAC codes as N."""
        assert self._fa is not None
        end = min(end, self._lengths[name])
        bname, bstart, bseq = self._block
        if name != bname or start < bstart or end > bstart + len(bseq):
            bstart = max(0, start - 8 * PAD_WINDOW)  # left-alignment reads leftwards: keep some behind
            bseq = self._fa.fetch(name, bstart, max(end, bstart + _BLOCK)).translate(_TO_ACGTN)
            self._block = (name, bstart, bseq)
        return bseq[start - bstart : end - bstart]
