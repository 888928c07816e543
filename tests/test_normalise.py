"""goe merge allele normalisation gives exactly ``bcftools norm -f`` on a real GRCh37 excerpt.

Thousands of seeded variants (SNVs, MNPs, indels inside the homopolymers and
short tandem repeats of the FASTA written right-shifted, complex changes, all
with extra shared context bases, some at the contig start and at the N/sequence
boundary) go through bcftools 1.16 and through :class:`Normaliser`; every
record must come out the same, whether the data or the FASTA say ``chr1`` or ``1``.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pysam
import pytest
from conftest import DATA

from goe.errors import AssemblyError, GoeError
from goe.merge.normalise import Normaliser, RefMismatch

FASTA = DATA / "reference" / "GRCh37_chr1_1-3400000.fa"
CONTIG = "1"
SEED = 20240611
PER_KIND = 350

Variant = tuple[int, str, str]  # 1-based pos, REF, ALT


@pytest.fixture(scope="module")
def seq() -> str:
    with pysam.FastaFile(str(FASTA)) as fa:
        return fa.fetch(CONTIG)


# --------------------------------------------------------------------------- variant generation


def _spell(seq: str, rng: random.Random, start: int, end: int, new: str) -> Variant | None:
    """Write "seq[start:end] becomes new" with 0-3 extra reference bases on either side."""
    left = min(rng.randint(0, 3), start)
    right = min(rng.randint(0, 3), len(seq) - end)
    if not (end - start + left + right and len(new) + left + right):  # an allele would be empty
        if start > 0 and (rng.random() < 0.7 or end == len(seq)):
            left = 1
        else:
            right = 1
    ref = seq[start - left : end + right]
    alt = seq[start - left : start] + new + seq[end : end + right]
    return None if ref == alt else (start - left + 1, ref, alt)


def _bases(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ACGT") for _ in range(n))


def _position(seq: str, rng: random.Random, span: int = 12) -> int:
    """A random 0-based position off the N runs (and away from the excerpt's end)."""
    while True:
        pos = rng.randrange(0, len(seq) - span - 4)
        if "N" not in seq[pos : pos + span]:
            return pos


def generate(seq: str, seed: int = SEED, per_kind: int = PER_KIND) -> list[Variant]:
    """Seeded variants of every kind; each one's REF is the reference sequence."""
    rng = random.Random(seed)
    homopolymers = [m.span() for m in re.finditer(r"A{4,}|C{4,}|G{4,}|T{4,}", seq)]
    repeats = [
        (m.start(), m.start() + len(m.group(0)) // len(m.group(1)) * len(m.group(1)), m.group(1))
        for m in re.finditer(r"([ACGT]{2,6}?)\1{2,}", seq)
        if len(set(m.group(1))) > 1
    ]

    def snv() -> Variant | None:
        p = _position(seq, rng)
        return _spell(seq, rng, p, p + 1, rng.choice([b for b in "ACGT" if b != seq[p]]))

    def mnp() -> Variant | None:
        p, k = _position(seq, rng), rng.randint(2, 5)
        return _spell(seq, rng, p, p + k, _bases(rng, k))

    def hp_del() -> Variant | None:
        s, e = rng.choice(homopolymers)
        k = rng.randint(1, min(e - s, 5))
        off = 0 if rng.random() < 0.7 else rng.randint(0, e - s - k)  # mostly right-shifted
        return _spell(seq, rng, e - k - off, e - off, "")

    def hp_ins() -> Variant | None:
        s, e = rng.choice(homopolymers)
        at = e if rng.random() < 0.7 else rng.randint(s, e)
        return _spell(seq, rng, at, at, seq[s] * rng.randint(1, 5))

    def str_del() -> Variant | None:
        s, e, unit = rng.choice(repeats)
        k = len(unit) * rng.randint(1, (e - s) // len(unit) - 1)
        return _spell(seq, rng, e - k, e, "")

    def str_ins() -> Variant | None:
        s, e, unit = rng.choice(repeats)
        return _spell(seq, rng, e, e, unit * rng.randint(1, 3))

    def indel() -> Variant | None:
        p = _position(seq, rng)
        if rng.random() < 0.5:
            return _spell(seq, rng, p, p + rng.randint(1, 10), "")
        return _spell(seq, rng, p, p, _bases(rng, rng.randint(1, 10)))

    def complex_() -> Variant | None:
        p, k = _position(seq, rng), rng.randint(1, 6)
        return _spell(seq, rng, p, p + k, _bases(rng, rng.choice([n for n in range(1, 8) if n != k])))

    def edge() -> Variant | None:
        """At the contig start (pos 1-5, all N) or across the N/sequence boundary at 10,000."""
        p = rng.randint(0, 4) if rng.random() < 0.5 else rng.randint(9990, 10010)
        choice = rng.randrange(3)
        if choice == 0:
            return _spell(seq, rng, p, p + rng.randint(1, 4), "")
        if choice == 1:
            return _spell(seq, rng, p, p, rng.choice(["N", seq[p - 1] if p else "N", _bases(rng, 2)]))
        return _spell(seq, rng, p, p + 1, rng.choice("ACGT"))

    makers: list[Callable[[], Variant | None]] = [snv, mnp, hp_del, hp_ins, str_del, str_ins, indel, complex_, edge]
    variants = []
    for make in makers:
        for _ in range(per_kind):
            v = make()
            if v is not None:
                variants.append(v)
    return variants


# --------------------------------------------------------------------------- bcftools side


def bcftools_norm(bcftools: str, variants: list[Variant], tmp: Path) -> list[Variant]:
    """``bcftools norm -f FASTA`` of ``variants`` (written as a bgzipped, indexed biallelic VCF), in input order."""
    order = sorted(range(len(variants)), key=lambda i: variants[i][0])
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={CONTIG},length=3400000>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines += [f"{CONTIG}\t{variants[i][0]}\tv{i}\t{variants[i][1]}\t{variants[i][2]}\t.\t.\t." for i in order]
    plain = tmp / "in.vcf"
    plain.write_text("\n".join(lines) + "\n")
    vcf = Path(pysam.tabix_index(str(plain), preset="vcf", force=True))  # bgzip + .tbi
    assert vcf.with_name(vcf.name + ".tbi").exists()
    out = tmp / "norm.vcf"
    subprocess.run(
        [bcftools, "norm", "-f", str(FASTA), "-Ov", "-o", str(out), str(vcf)], check=True, capture_output=True
    )
    result: dict[int, Variant] = {}
    with pysam.VariantFile(str(out)) as fh:
        for rec in fh:
            assert rec.id is not None
            assert rec.ref is not None
            assert rec.alts is not None
            result[int(rec.id[1:])] = (rec.pos, rec.ref, rec.alts[0])
    assert sorted(result) == list(range(len(variants)))
    return [result[i] for i in range(len(variants))]


@pytest.fixture(scope="module")
def cases(seq: str, bcftools: str, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Variant, Variant]]:
    """(input, bcftools' output) for every generated variant."""
    variants = generate(seq)
    expected = bcftools_norm(bcftools, variants, tmp_path_factory.mktemp("norm"))
    moved_left = sum(out[0] < inp[0] for inp, out in zip(variants, expected, strict=True))
    # the generator really exercises left-alignment and trimming
    assert len(variants) > 3000
    assert moved_left > 800
    return list(zip(variants, expected, strict=True))


@pytest.fixture(scope="module")
def chr_fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same excerpt with its contig named ``chr1``."""
    path = tmp_path_factory.mktemp("chrfa") / "chr1.fa"
    text = FASTA.read_text()
    assert text.startswith(f">{CONTIG}\n")
    path.write_text(">chr1\n" + text[len(CONTIG) + 2 :])
    pysam.faidx(str(path))
    return path


def _mismatches(norm: Normaliser, contig: str, cases: list[tuple[Variant, Variant]]) -> list[str]:
    bad = []
    for inp, want in cases:
        got = norm.normalise(contig, *inp)
        if got != want:
            bad.append(f"{inp} -> goe {got}, bcftools {want}")
    return bad


# --------------------------------------------------------------------------- tests


@pytest.mark.tools
@pytest.mark.parametrize("fasta_style", ["1", "chr1"])
@pytest.mark.parametrize("data_contig", ["1", "chr1"])
def test_equals_bcftools_norm(
    cases: list[tuple[Variant, Variant]], chr_fasta: Path, fasta_style: str, data_contig: str
) -> None:
    with Normaliser(FASTA if fasta_style == "1" else chr_fasta) as norm:
        bad = _mismatches(norm, data_contig, cases)
        assert norm.max_shift() == max(max(0, inp[0] - out[0]) for inp, out in cases)
    assert not bad, f"{len(bad)} of {len(cases)} differ:\n" + "\n".join(bad[:20])


@pytest.mark.tools
def test_trim_only_then_fasta_is_bcftools(cases: list[tuple[Variant, Variant]]) -> None:
    """The reference-free form is a trimmed spelling of the same change that left-aligns to the same place."""
    plain, ref = Normaliser(None), Normaliser(FASTA)
    for (pos, r, a), want in cases:
        tpos, tr, ta = plain.normalise(CONTIG, pos, r, a)
        # a window of the input spelling: nothing but shared flanking bases dropped
        cut = tpos - pos
        assert r[cut : cut + len(tr)] == tr
        assert a[cut : cut + len(ta)] == ta
        assert r[:cut] == a[:cut]
        assert r[cut + len(tr) :] == a[cut + len(ta) :]
        assert plain.normalise(CONTIG, tpos, tr, ta) == (tpos, tr, ta)  # idempotent
        assert ref.normalise(CONTIG, tpos, tr, ta) == want
        if len(r) == len(a):  # SNVs and MNPs never move left: same with or without FASTA
            assert (tpos, tr, ta) == want


def test_bcftools_examples() -> None:
    """Spellings checked by hand against bcftools 1.16 (``norm -f``) on this FASTA.

    1:10001-10010 is TAACCCTAAC, preceded by 10,000 N.
    """
    with Normaliser(FASTA) as norm:
        assert norm.normalise("1", 10003, "ACC", "ATC") == (10004, "C", "T")  # MNP: trimmed both sides
        assert norm.normalise("1", 10003, "AC", "GC") == (10003, "A", "G")
        assert norm.normalise("1", 10003, "ACC", "GTC") == (10003, "AC", "GT")
        assert norm.normalise("1", 10006, "C", "CC") == (10003, "A", "AC")  # left-aligned in CCC
        assert norm.normalise("1", 10002, "AACCC", "AACC") == (10003, "AC", "A")
        assert norm.normalise("1", 10004, "c", "cc") == (10003, "A", "AC")  # upper case
        assert norm.normalise("1", 10004, "CCCTAAC", "CCTAACC") == (10006, "CTAA", "TAAC")
        assert norm.normalise("1", 10001, "T", "TT") == (10000, "N", "NT")  # into the N run
        assert norm.normalise("1", 9998, "N", "NN") == (1, "N", "NN")  # through 9,998 N in 100-bp steps
        assert norm.max_shift() == 9997


def test_contig_start() -> None:
    """Positions 1-5 (N in this FASTA): nothing to pad with at pos 1, nothing breaks."""
    with Normaliser(FASTA) as norm:
        assert norm.normalise("1", 1, "N", "NN") == (1, "N", "NN")
        assert norm.normalise("1", 1, "NN", "N") == (1, "NN", "N")
        assert norm.normalise("1", 1, "NNNNN", "NNNN") == (1, "NN", "N")
        assert norm.normalise("1", 5, "N", "NNN") == (1, "N", "NNN")
        assert norm.normalise("1", 3, "N", "NA") == (3, "N", "NA")
        assert norm.normalise("1", 2, "N", "A") == (2, "N", "A")
        assert norm.normalise("chr1", 4, "NN", "N") == (1, "NN", "N")
        assert norm.normalise("1", 1, "N", "*") == (1, "N", "*")
    plain = Normaliser(None)
    assert plain.normalise("1", 1, "AAA", "AA") == (1, "AA", "A")
    assert plain.normalise("1", 2, "A", "AA") == (2, "A", "AA")


def test_without_fasta_trims_only() -> None:
    plain = Normaliser(None)
    assert plain.normalise("1", 100, "ACG", "ATG") == (101, "C", "T")
    assert plain.normalise("1", 100, "AC", "GC") == (100, "A", "G")
    assert plain.normalise("1", 100, "CAAAG", "CAAG") == (100, "CA", "C")  # not left-aligned: no FASTA
    assert plain.normalise("1", 100, "GCAT", "GCAAT") == (101, "C", "CA")  # trimmed down to the anchor
    assert plain.normalise("1", 100, "TTAGC", "TTGC") == (101, "TA", "T")
    assert plain.normalise("1", 100, "ATTTG", "AGGG") == (101, "TTT", "GG")
    assert plain.normalise("1", 100, "A", "AT") == (100, "A", "AT")
    assert plain.normalise("1", 100, "AT", "T") == (100, "AT", "T")  # right-anchored: nothing to trim
    assert plain.normalise("1", 100, "acgt", "acgtt") == (102, "G", "GT")
    assert plain.normalise("chrUn_gl000220", 7, "CC", "CA") == (8, "C", "A")  # any contig
    assert plain.max_shift() == 0


@pytest.mark.parametrize("alt", ["*", "<DEL>", "<*>", "<NON_REF>", "C[1:20000[", "]1:20000]C", "."])
def test_star_and_symbolic_untouched(alt: str) -> None:
    assert Normaliser(None).normalise("1", 10004, "cc", alt) == (10004, "cc", alt)
    with Normaliser(FASTA) as norm:
        assert norm.normalise("chr1", 10004, "CC", alt) == (10004, "CC", alt)
        with pytest.raises(RefMismatch):  # REF is still checked, as bcftools does
            norm.normalise("1", 10004, "GC", alt)


def test_iupac_alt_and_ref_equal_alt_untouched() -> None:
    with Normaliser(FASTA) as norm:
        assert norm.normalise("1", 10004, "CC", "CR") == (10004, "CC", "CR")
        assert norm.normalise("1", 10004, "CC", "cc") == (10004, "CC", "CC")


def test_ref_mismatch_message() -> None:
    with Normaliser(FASTA) as norm, pytest.raises(RefMismatch) as err:
        norm.normalise("chr1", 10004, "CCG", "C")
    assert isinstance(err.value, GoeError)
    assert str(err.value) == (
        "REF mismatch at chr1:10004: the data has REF CCG, the reference FASTA GRCh37_chr1_1-3400000.fa has CCC; "
        "check that the data was called against this reference (same assembly, GRCh37 or GRCh38)"
    )
    with Normaliser(FASTA) as norm, pytest.raises(RefMismatch, match=r"at 1:9999: the data has REF A, .* has N;"):
        norm.normalise("1", 9999, "A", "G")  # N in the FASTA is not a wildcard, as in bcftools


def test_contigs_outside_the_fasta() -> None:
    with Normaliser(FASTA, contig_aliases={"NC_000001.10": "1"}) as norm:
        assert norm.normalise("NC_000001.10", 10006, "C", "CC") == (10003, "A", "AC")
        assert norm.fasta_contig("chr1") == norm.fasta_contig("1") == "1"
        with pytest.raises(AssemblyError, match="contig chr2 is not in the reference FASTA"):
            norm.normalise("chr2", 100, "A", "G")
        with pytest.raises(AssemblyError, match=r"1:3399999 REF NNN lies outside contig 1"):
            norm.normalise("1", 3_399_999, "NNN", "N")
