"""A seeded simulator of small joint-called cohorts: a real bgzipped + indexed VCF (or BCF)
and a goe sample sheet.

Sites lie on two autosomes, on X (before PAR1, in PAR1, non-PAR, PAR2 and after PAR2,
including the exact PAR boundaries), on Y (males haploid, females ``.``) and on MT
(haploid for everyone). Records are biallelic SNVs and indels, multi-allelics with 2-3
ALTs (``1/2`` calls included), ``*`` and ``<DEL>`` ALTs; allele frequencies run from 0
to common, some sites are inbred (HWE deviation), calls go missing (``./.``) and
half-missing (``0/.``) now and then. With FORMAT ``GT:DP:GQ:AD`` some calls fail the
genotype mask (low GQ, low DP, skewed het AD, boundary values) and some values are
``.``. INFO carries QD/MQ/FS/ReadPosRankSum/DP and QUAL, some failing the filters.

Everything here is independent of goe's own constants (PARs, contig lengths), so the
tests compare goe against facts written down a second time.
"""

from __future__ import annotations

import csv
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pysam

LENGTHS = {
    "GRCh38": {"1": 248956422, "2": 242193529, "X": 156040895, "Y": 57227415, "MT": 16569},
    "GRCh37": {"1": 249250621, "2": 243199373, "X": 155270560, "Y": 59373566, "MT": 16569},
}
PAR_X = {
    "GRCh38": ((10001, 2781479), (155701383, 156030895)),
    "GRCh37": ((60001, 2699520), (154931044, 155260560)),
}
DECOY = {  # (assembly, chrom style) -> an unplaced contig and its length
    ("GRCh38", "chr"): ("chrUn_KI270742v1", 186739),
    ("GRCh38", "plain"): ("KI270742.1", 186739),
    ("GRCh37", "chr"): ("chrUn_gl000220", 161802),
    ("GRCh37", "plain"): ("GL000220.1", 161802),
}
BASES = "ACGT"
ALT_FREQS = (0.0, 0.0, 0.002, 0.01, 0.03, 0.1, 0.25, 0.5, 0.75, 0.97)
INBREEDING = (0.0, 0.0, 0.0, 0.3, 0.9)
MALE_WORDS = ("male", "M", "XY", "1")
FEMALE_WORDS = ("female", "F", "XX", "2")


@dataclass(frozen=True)
class SimSpec:
    """What to simulate. The same spec (and seed) always gives the same genotypes."""

    n_samples: int = 60
    countries: tuple[str, ...] = ("FI", "DE", "ES")
    assembly: str = "GRCh38"
    chrom_style: str = "chr"  # "chr" (chr1, chrX, chrM) or "plain" (1, X, MT)
    output: str = "vcf.gz"  # or "bcf"
    fields: str = "GT:DP:GQ:AD"  # or "GT"
    male_x: str = "haploid"  # "haploid" (0, 1) or "half_missing" (0/., 1/.)
    seed: int = 1
    n_autosome_sites: int = 120  # per autosome
    autosome_span: int = 2_000_000  # bp over which each autosome's sites spread
    n_x_sites: int = 120
    n_y_sites: int = 25
    n_mt_sites: int = 25
    n_extra_vcf_samples: int = 2  # VCF columns that are not in the sheet
    n_decoy_sites: int = 0  # records on an unplaced contig (between chr2 and chrX), which goe drops
    pinned_positions: tuple[int, ...] = ()  # extra chr1 sites at exactly these positions
    het_male_haploid: float = 0.0  # rate of heterozygous male calls (0/1) on non-PAR X
    reversed_half_male: float = 0.0  # rate of male calls written ./1 on non-PAR X


@dataclass
class SimCohort:
    """Files and truth of a simulated cohort."""

    vcf: Path
    sheet: Path
    contigs: dict[str, str]  # canonical (1, 2, X, Y, MT) -> name in the VCF
    samples: list[tuple[str, str, str, str]]  # (sample_id, vcf column, sex M/F, country)
    het_male_haploid_calls: int = 0
    reversed_half_male_calls: int = 0
    n_decoy_records: int = 0
    n_records: int = 0
    records: list[str] = field(default_factory=list, repr=False)


def contig_names(style: str) -> dict[str, str]:
    if style == "chr":
        return {"1": "chr1", "2": "chr2", "X": "chrX", "Y": "chrY", "MT": "chrM"}
    if style == "plain":
        return {c: c for c in ("1", "2", "X", "Y", "MT")}
    raise ValueError(f"chrom_style {style!r}")


def _x_positions(rng: np.random.Generator, assembly: str, n: int) -> list[tuple[int, str]]:
    """(position, region) on X: boundaries of both PARs plus random sites in every stretch."""
    (p1s, p1e), (p2s, p2e) = PAR_X[assembly]
    length = LENGTHS[assembly]["X"]
    stretches = [
        ("nonpar", 1, p1s - 1, 0.05),
        ("par", p1s, p1e, 0.2),
        ("nonpar", p1e + 1, p2s - 1, 0.55),
        ("par", p2s, p2e, 0.1),
        ("nonpar", p2e + 1, length, 0.1),
    ]
    out = {
        p: ("par" if p1s <= p <= p1e or p2s <= p <= p2e else "nonpar")
        for p in (p1s - 1, p1s, p1e, p1e + 1, p2s - 1, p2s, p2e, p2e + 1)
    }
    for region, lo, hi, share in stretches:
        for p in rng.integers(lo, hi + 1, size=max(2, int(n * share))).tolist():
            out.setdefault(int(p), region)
    return sorted(out.items())


def _alleles(rng: np.random.Generator) -> tuple[str, list[str]]:
    """REF and ALT list of one record."""
    kind = rng.choice(["snv", "ins", "del", "multi", "star", "symbolic"], p=[0.55, 0.1, 0.1, 0.15, 0.05, 0.05])
    ref = str(rng.choice(list(BASES)))
    others = [b for b in BASES if b != ref]
    extra = "".join(rng.choice(list(BASES), size=int(rng.integers(1, 4))).tolist())
    if kind == "snv":
        return ref, [str(rng.choice(others))]
    if kind == "ins":
        return ref, [ref + extra]
    if kind == "del":
        return ref + extra, [ref]
    if kind == "multi":
        n = int(rng.integers(2, 4))
        pool = [ref + "T" + extra, *others] if rng.random() < 0.5 else others
        alts = [str(a) for a in rng.choice(pool, size=n, replace=False).tolist()]
        if rng.random() < 0.3:  # a deletion among SNVs: REF must then span it
            tail = "".join(rng.choice(list(BASES), size=2).tolist())
            return ref + tail, [a + tail for a in alts[:-1]] + [ref]
        return ref, alts
    if kind == "star":
        return ref, [str(rng.choice(others)), "*"]
    return ref, (["<DEL>"] if rng.random() < 0.5 else [str(rng.choice(others)), "<DEL>"])


def _frequencies(rng: np.random.Generator, n_alts: int) -> np.ndarray:
    """Probabilities of REF, ALT1, ... for one record."""
    total = float(rng.choice(ALT_FREQS))
    split = rng.dirichlet(np.ones(n_alts)) if n_alts > 1 else np.ones(1)
    if n_alts > 1 and rng.random() < 0.3:
        split[-1] = 0.0  # a monomorphic ALT in a multi-allelic record
        split /= split.sum()
    probs = np.concatenate([[1.0 - total], total * split])
    return probs / probs.sum()


class _Writer:
    """Turns drawn alleles into sample fields (GT, or GT:DP:GQ:AD).

    Random numbers come from one (samples x 12) draw per record: :meth:`start` takes it.
    """

    def __init__(self, rng: np.random.Generator, with_format: bool) -> None:
        self.rng = rng
        self.with_format = with_format
        self.u = np.zeros((0, 12))

    def start(self, n: int) -> None:
        self.u = self.rng.random((n, 12))

    def field(self, i: int, alleles: list[int | None], n_alleles: int, gt: str) -> str:
        if not self.with_format:
            return gt
        u = self.u[i].tolist()
        called = [a for a in alleles if a is not None]
        if not called:
            return f"{gt}:.:.:." if u[0] < 0.7 else f"{gt}:4:3:4" + ",0" * (n_alleles - 1)
        dp = 1 + int(u[1] * 9) if u[0] < 0.06 else 10 + int(u[1] * 51)
        if u[2] < 0.05:
            dp = 10 if u[2] < 0.025 else 9
        gq = int(u[4] * 20) if u[3] < 0.06 else 20 + int(u[4] * 80)
        if u[5] < 0.04:
            gq = 20 if u[5] < 0.02 else 19
        ad = [0] * n_alleles
        distinct = sorted(set(called))
        if len(distinct) == 1:
            ad[distinct[0]] = dp
            if u[6] < 0.3:
                ad[(distinct[0] + 1) % n_alleles] += int(u[7] * 3)
        else:
            lo, hi = distinct
            depth = dp
            if u[6] < 0.08:  # exactly on the 0.2 / 0.8 boundary (passes)
                depth = 5 * max(2, dp // 5)
                frac = 0.2 if u[7] < 0.5 else 0.8
            elif u[6] < 0.2:  # skewed: fails
                frac = u[7] * 0.17 if u[8] < 0.5 else 0.83 + u[7] * 0.17
            else:
                frac = 0.3 + 0.4 * u[7]
            ad[hi] = int(round(frac * depth))
            ad[lo] = depth - ad[hi]
            dp = depth
        ad_s = ",".join(map(str, ad))
        if u[9] < 0.02:
            ad_s = "."
        elif u[9] < 0.03:
            ad_s = ",".join(["0"] * n_alleles)
        dp_s = "." if u[10] < 0.02 else str(dp)
        gq_s = "." if u[11] < 0.02 else str(gq)
        return f"{gt}:{dp_s}:{gq_s}:{ad_s}"


def _header(spec: SimSpec, contigs: list[tuple[str, int]], columns: list[str]) -> list[str]:
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=LowQual,Description="Low quality (from the caller)">',
        '##ALT=<ID=DEL,Description="Deletion">',
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">',
        '##INFO=<ID=QD,Number=1,Type=Float,Description="Quality by depth">',
        '##INFO=<ID=MQ,Number=1,Type=Float,Description="RMS mapping quality">',
        '##INFO=<ID=FS,Number=1,Type=Float,Description="Fisher strand bias">',
        '##INFO=<ID=ReadPosRankSum,Number=1,Type=Float,Description="Read position rank sum">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ]
    if spec.fields == "GT:DP:GQ:AD":
        lines += [
            '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
            '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
            '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        ]
    elif spec.fields != "GT":
        raise ValueError(f"fields {spec.fields!r}")
    for name, length in contigs:
        lines.append(f"##contig=<ID={name},length={length}>")
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *columns]))
    return lines


def _site_info(rng: np.random.Generator) -> tuple[str, str, str]:
    """QUAL, FILTER and INFO of one record, some values failing the variant filters."""
    qual = "." if rng.random() < 0.03 else f"{rng.uniform(5, 30) if rng.random() < 0.1 else rng.uniform(30, 5000):.2f}"
    filt = rng.choice(["PASS", "PASS", "PASS", "PASS", ".", "LowQual"])
    parts = [f"DP={int(rng.integers(2, 10)) if rng.random() < 0.05 else int(rng.integers(10, 3000))}"]
    for key, good, bad in (
        ("QD", (2, 40), (0, 2)),
        ("MQ", (40, 70), (10, 40)),
        ("FS", (0, 60), (60, 200)),
        ("ReadPosRankSum", (-8, 4), (-15, -8)),
    ):
        if rng.random() < 0.05:
            continue  # missing value: passes
        lo, hi = bad if rng.random() < 0.06 else good
        parts.append(f"{key}={rng.uniform(lo, hi):.3f}")
    return qual, str(filt), ";".join(parts)


def _calls(
    spec: SimSpec,
    rng: np.random.Generator,
    w: _Writer,
    where: str,
    sexes: list[str],
    probs: np.ndarray,
    counter: list[int],
    in_sheet: list[bool],
) -> list[str]:
    """Sample fields of one record; ``where``: auto, xnonpar, y or mt.

    ``counter`` counts the het and ``./1`` male calls on non-PAR X of sheet samples."""
    n, n_alleles = len(sexes), len(probs)
    inbred = float(rng.choice(INBREEDING))
    miss = float(rng.choice([0.0, 0.01, 0.05, 0.15]))
    cum = np.cumsum(probs)
    cum[-1] = 1.0
    u = rng.random((n, 6))
    a_all = np.minimum(np.searchsorted(cum, u[:, 0], side="right"), n_alleles - 1)
    b_all = np.minimum(np.searchsorted(cum, u[:, 1], side="right"), n_alleles - 1)
    b_all = np.where(u[:, 2] < inbred, a_all, b_all)
    lo_all, hi_all = np.minimum(a_all, b_all).tolist(), np.maximum(a_all, b_all).tolist()
    missing_all = (u[:, 3] < miss).tolist()
    r4, r5 = u[:, 4].tolist(), u[:, 5].tolist()
    w.start(n)
    out = []
    for i, sex in enumerate(sexes):
        a, b, missing = lo_all[i], hi_all[i], missing_all[i]
        haploid = where in ("y", "mt") or (where == "xnonpar" and sex == "M")
        if where == "y" and sex == "F":  # no Y: mostly ".", now and then a (spurious) call
            if r4[i] < 0.1:
                out.append(w.field(i, [a, b], n_alleles, f"{a}/{b}"))
            else:
                out.append(w.field(i, [None], n_alleles, "."))
        elif haploid:
            if where == "xnonpar" and a != b and r5[i] < spec.het_male_haploid:
                counter[0] += in_sheet[i]
                out.append(w.field(i, [a, b], n_alleles, f"{a}/{b}"))
                continue
            if where == "xnonpar" and not missing and r5[i] > 1.0 - spec.reversed_half_male:
                counter[1] += in_sheet[i]
                out.append(w.field(i, [b], n_alleles, f"./{b}"))
                continue
            dip_hom = 0.2 if where == "mt" else 0.03 if where == "xnonpar" else 0.0
            if not missing and r4[i] < dip_hom:  # a diploid hom call in a haploid region
                out.append(w.field(i, [b, b], n_alleles, f"{b}/{b}"))
                continue
            half = where == "xnonpar" and spec.male_x == "half_missing"
            if missing:
                out.append(w.field(i, [None], n_alleles, "./." if half else "."))
            else:
                out.append(w.field(i, [b], n_alleles, f"{b}/." if half else str(b)))
        elif missing:
            out.append(w.field(i, [None, None], n_alleles, "./."))
        elif r4[i] < 0.006:
            out.append(w.field(i, [b], n_alleles, f"{b}/."))
        elif r4[i] < 0.01:
            out.append(w.field(i, [b], n_alleles, f"./{b}"))
        elif r4[i] < 0.014:  # a haploid call in a diploid region: doubled by goe and +fixploidy
            out.append(w.field(i, [b], n_alleles, str(b)))
        else:
            out.append(w.field(i, [a, b], n_alleles, f"{a}/{b}"))
    return out


def _samples(spec: SimSpec, rng: np.random.Generator) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """Sheet samples (id, VCF column, sex, country) and the VCF column order (with extras)."""
    k = len(spec.countries)
    samples = []
    for i in range(spec.n_samples):
        sex = "M" if (i // k) % 2 == 0 else "F"
        samples.append((f"P{i + 1:04d}", f"SIM{i + 1:04d}", sex, spec.countries[i % k]))
    order = [s[1] for s in samples]
    rng.shuffle(order)
    for j in range(spec.n_extra_vcf_samples):
        order.insert(int(rng.integers(0, len(order) + 1)), f"XTRA{j + 1:03d}")
    return samples, order


def simulate(out_dir: Path, spec: SimSpec, bcftools: str = "bcftools", name: str = "cohort") -> SimCohort:
    """Write ``<name>.vcf.gz`` (+.tbi) or ``<name>.bcf`` (+.csi) and ``<name>.samples.tsv``."""
    rng = np.random.default_rng(spec.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = contig_names(spec.chrom_style)
    samples, columns = _samples(spec, rng)
    sex_of = {s[1]: s[2] for s in samples}
    sexes = [sex_of.get(c, "F" if i % 2 else "M") for i, c in enumerate(columns)]
    in_sheet = [c in sex_of for c in columns]
    w = _Writer(rng, spec.fields == "GT:DP:GQ:AD")
    decoy, decoy_len = DECOY[(spec.assembly, spec.chrom_style)]
    order = ["1", "2", "decoy", "X", "Y", "MT"]
    header_contigs = [(decoy, decoy_len) if c == "decoy" else (names[c], LENGTHS[spec.assembly][c]) for c in order]
    lines = _header(spec, header_contigs, columns)
    counter = [0, 0]
    records: list[str] = []
    span = spec.autosome_span
    plan: list[tuple[str, list[tuple[int, str]]]] = []
    for c in ("1", "2"):
        pos = set(rng.integers(1_000_000, 1_000_000 + span, size=spec.n_autosome_sites).tolist())
        if c == "1":
            pos |= set(spec.pinned_positions)
        plan.append((c, [(int(p), "auto") for p in sorted(pos)]))
    decoy_pos = sorted(set(rng.integers(1, decoy_len, size=spec.n_decoy_sites).tolist()))
    plan.append(("decoy", [(int(p), "auto") for p in decoy_pos]))
    x_sites = _x_positions(rng, spec.assembly, spec.n_x_sites)
    plan.append(("X", [(p, "auto" if r == "par" else "xnonpar") for p, r in x_sites]))
    y_pos = set(rng.integers(2_800_000, LENGTHS[spec.assembly]["Y"] - 400_000, size=spec.n_y_sites).tolist())
    plan.append(("Y", [(int(p), "y") for p in sorted(y_pos)]))
    mt_pos = set(rng.integers(1, 16500, size=spec.n_mt_sites).tolist())
    plan.append(("MT", [(int(p), "mt") for p in sorted(mt_pos)]))
    for canon, sites in plan:
        for pos, where in sites:
            ref, alts = _alleles(rng)
            probs = _frequencies(rng, len(alts))
            qual, filt, info = _site_info(rng)
            calls = _calls(spec, rng, w, where, sexes, probs, counter, in_sheet)
            rid = f"rs{int(rng.integers(1, 10**8))}" if rng.random() < 0.3 else "."
            fmt = spec.fields
            if fmt == "GT:DP:GQ:AD" and rng.random() < 0.05:  # a record without DP and GQ
                fmt = "GT:AD"
                calls = [f"{c.split(':')[0]}:{c.split(':')[3]}" for c in calls]
            chrom = decoy if canon == "decoy" else names[canon]
            line = "\t".join([chrom, str(pos), rid, ref, ",".join(alts), qual, filt, info, fmt, *calls])
            records.append(line)
    lines += records
    text = out_dir / f"{name}.vcf"
    text.write_text("\n".join(lines) + "\n", encoding="ascii")
    if spec.output == "vcf.gz":
        vcf = out_dir / f"{name}.vcf.gz"
        pysam.tabix_compress(str(text), str(vcf), force=True)
        pysam.tabix_index(str(vcf), preset="vcf", force=True)
    elif spec.output == "bcf":
        vcf = out_dir / f"{name}.bcf"
        subprocess.run([bcftools, "view", "--no-version", "-Ob", "-o", str(vcf), str(text)], check=True)
        subprocess.run([bcftools, "index", "-f", str(vcf)], check=True)
    else:
        raise ValueError(f"output {spec.output!r}")
    text.unlink()
    sheet = out_dir / f"{name}.samples.tsv"
    with sheet.open("w", newline="") as fh:
        wr = csv.writer(fh, delimiter="\t", lineterminator="\n")
        wr.writerow(["sample_id", "vcf_sample_id", "sex", "country", "batch"])
        for i, (sid, col, sex, country) in enumerate(samples):
            words = MALE_WORDS if sex == "M" else FEMALE_WORDS
            wr.writerow([sid, col, words[i % len(words)], country, f"b{i % 3}"])
    return SimCohort(vcf, sheet, names, samples, counter[0], counter[1], len(decoy_pos), len(records), records)
