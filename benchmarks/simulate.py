"""A fast, vectorised simulator of joint-called cohorts for the benchmarks.

Writes a real bgzipped VCF (``bgzip -@ T``) with its index (``bcftools index``)
and a goe sample sheet (``sample_id``, ``sex``, ``country``)::

    python benchmarks/simulate.py --samples 1000 --sites 100000 --kind full --out benchmarks/results/data

Two kinds of input share the same sites and genotypes (same seed):

``full``  ``GT:DP:GQ:AD``: DP is Poisson around 30 (a per-site and a per-sample depth factor,
          so some calls fall below DP 10), AD follows the genotype (REF/ALT read split
          binomial at 0.5 for hets, a few skewed hets at 0.12, 0.5% read errors at
          homozygous calls), GQ grows with depth and with the minor read count of a het.
``gt``    GT only.

Sites: ~95% on chr20, chr21 and chr22 (one variant every ~250 bp, as in a joint-called
WGS callset), ~5% on chrX straddling the end of PAR1, so half of them are in the
non-PAR region where males are written haploid (``0``, ``1``). ~10% of the records are
indels, ~3% multi-allelic SNVs with two ALTs (``1/2`` calls included); allele
frequencies are log-uniform from 1/(2N) to 0.5 (a tenth of them flipped to common ALT
alleles); 0.2% of calls are missing (5% at a few sites). QUAL and INFO/DP, QD, MQ, FS,
ReadPosRankSum are set so that a few sites fail the variant filters.

Everything is drawn per chunk of sites with numpy; Poisson and binomial draws use
inverse-CDF lookup tables (a 12-bit uniform indexes the quantile), and the text of a
chunk is laid out in fixed-width byte slots padded with NUL bytes that are then
dropped, so no Python loop runs per genotype. 1,000 samples x 100,000 sites with
FORMAT fields (1.5 GB of VCF text, bgzip level 1) take about 25 s on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# fmt: off
_LENGTHS = (
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636, 138394717, 133797422,
    135086622, 133275309, 114364328, 107043718, 101991189, 90338345, 83257441, 80373285, 58617616, 64444167,
    46709983, 50818468, 156040895, 57227415, 16569,
)
# fmt: on
GRCH38 = dict(zip([f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrM"], _LENGTHS, strict=True))
PAR1_END = 2781479  # GRCh38 chrX PAR1 is 10,001-2,781,479
AUTOSOMES = (("chr20", 10_000_000), ("chr21", 15_000_000), ("chr22", 17_000_000))  # (contig, first position)
MEAN_GAP = 250  # bp between variants
Q_BITS = 12  # uniform resolution of the lookup tables
Q = 1 << Q_BITS
DP_MAX = 255
LAMBDA_STEP = 0.5  # Poisson table rows: lambda in steps of 0.5
LAMBDA_MAX = 150.0
BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
KINDS = ("full", "gt")
VERSION = 1  # in the file names: change it when the simulated data change
NUL = 0


@dataclass(frozen=True)
class Cohort:
    """The files of one simulated cohort."""

    vcf: Path
    sheet: Path
    n_samples: int
    n_sites: int
    kind: str
    seconds: float = 0.0


@dataclass(frozen=True)
class Sites:
    """Per-site values, the same for both kinds."""

    contig: list[str]
    pos: np.ndarray  # int64
    ref: list[str]
    alt: list[str]  # comma-separated
    p1: np.ndarray  # float32 frequency of ALT 1
    p2: np.ndarray  # float32 frequency of ALT 2 (0 at biallelic sites)
    haploid_males: np.ndarray  # bool: chrX outside PAR1
    missing_rate: np.ndarray  # float32
    depth_factor: np.ndarray  # float32
    qual: np.ndarray
    info: list[str]


# ---------------------------------------------------------------- lookup tables


def _digits() -> np.ndarray:
    """(1000, 3) uint8: the decimal digits of 0..999, left-aligned, NUL-padded."""
    out = np.zeros((1000, 3), dtype=np.uint8)
    for v in range(1000):
        s = str(v).encode()
        out[v, : len(s)] = np.frombuffer(s, dtype=np.uint8)
    return out


def _quantiles(cdf: np.ndarray) -> np.ndarray:
    """Rows of a CDF table (rows, k) -> (rows, Q) int16 quantiles at the midpoints of Q bins."""
    u = (np.arange(Q) + 0.5) / Q
    out = np.empty((cdf.shape[0], Q), dtype=np.int16)
    for i, row in enumerate(cdf):
        out[i] = np.minimum(np.searchsorted(row, u), cdf.shape[1] - 1)
    return out


def poisson_table() -> np.ndarray:
    """(lambda rows, Q) int16: Poisson quantiles for lambda = 0, 0.5, 1, ... LAMBDA_MAX."""
    lams = np.arange(0.0, LAMBDA_MAX + LAMBDA_STEP, LAMBDA_STEP)
    k = np.arange(DP_MAX + 1, dtype=np.float64)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, DP_MAX + 1)))])
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = k[None, :] * np.log(lams[:, None]) - lams[:, None] - log_fact[None, :]
    logp[0] = -np.inf
    logp[0, 0] = 0.0
    cdf = np.cumsum(np.exp(logp), axis=1)
    return _quantiles(cdf)


def binomial_table(q: float) -> np.ndarray:
    """(DP_MAX + 1, Q) int16: Binomial(n, q) quantiles for n = 0..DP_MAX."""
    n = np.arange(DP_MAX + 1, dtype=np.float64)[:, None]
    k = np.arange(DP_MAX + 1, dtype=np.float64)[None, :]
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, DP_MAX + 1)))])
    lf = (
        log_fact[np.minimum(n, DP_MAX).astype(int)]
        - log_fact[k.astype(int)]
        - log_fact[np.clip(n - k, 0, DP_MAX).astype(int)]
    )
    with np.errstate(invalid="ignore"):
        logp = lf + k * math.log(q) + (n - k) * math.log(1 - q)
    logp[np.broadcast_to(k > n, logp.shape)] = -np.inf
    cdf = np.cumsum(np.exp(logp), axis=1)
    cdf /= cdf[:, -1:]
    return _quantiles(cdf)


# ---------------------------------------------------------------- sites and samples


def make_sites(n_sites: int, n_samples: int, rng: np.random.Generator) -> Sites:
    """Positions, alleles, frequencies and site annotations."""
    n_x = max(1, round(n_sites * 0.05)) if n_sites >= 20 else 0
    n_auto = n_sites - n_x
    contig: list[str] = []
    pos_parts: list[np.ndarray] = []
    per = [n_auto // len(AUTOSOMES) + (1 if i < n_auto % len(AUTOSOMES) else 0) for i in range(len(AUTOSOMES))]
    for (name, start), n in zip(AUTOSOMES, per, strict=True):
        gaps = 1 + rng.geometric(1 / MEAN_GAP, n).astype(np.int64)
        pos_parts.append(start + np.cumsum(gaps))
        contig += [name] * n
    if n_x:
        gaps = 1 + rng.geometric(1 / MEAN_GAP, n_x).astype(np.int64)
        x_start = max(1, PAR1_END - int(gaps[: n_x // 2].sum()))
        pos_parts.append(x_start + np.cumsum(gaps))
        contig += ["chrX"] * n_x
    pos = np.concatenate(pos_parts)
    for name, length in GRCH38.items():
        on = np.array([c == name for c in contig])
        if on.any() and pos[on].max() > length:
            raise ValueError(f"too many sites for {name} ({n_sites}); lower --sites")
    haploid = np.array([c == "chrX" for c in contig]) & (pos > PAR1_END)

    # Alleles: 87% SNVs, 10% indels, 3% multi-allelic SNVs (two ALTs).
    kind = rng.random(n_sites)
    multi = kind < 0.03
    indel = (kind >= 0.03) & (kind < 0.13)
    ref_b = rng.integers(0, 4, n_sites)
    off1 = rng.integers(1, 4, n_sites)
    alt1_b = (ref_b + off1) % 4
    alt2_b = (ref_b + off1 % 3 + 1) % 4  # a third base, different from REF and ALT 1
    bases = "ACGT"
    ref: list[str] = []
    alt: list[str] = []
    ins = rng.random(n_sites) < 0.5
    lengths = rng.integers(1, 6, n_sites)
    extra = rng.integers(0, 4, (n_sites, 5))
    for i in range(n_sites):
        r = bases[ref_b[i]]
        if indel[i]:
            tail = "".join(bases[b] for b in extra[i, : lengths[i]])
            ref.append(r if ins[i] else r + tail)
            alt.append(r + tail if ins[i] else r)
        elif multi[i]:
            ref.append(r)
            alt.append(f"{bases[alt1_b[i]]},{bases[alt2_b[i]]}")
        else:
            ref.append(r)
            alt.append(bases[alt1_b[i]])

    # Frequencies: log-uniform from 1/(2N) to 0.5, a tenth flipped to common ALTs.
    lo = math.log10(1 / (2 * n_samples))
    p1 = 10 ** rng.uniform(lo, math.log10(0.5), n_sites)
    p1 = np.where(rng.random(n_sites) < 0.1, 1 - p1, p1)
    p2 = np.where(multi, 10 ** rng.uniform(lo, math.log10(0.2), n_sites), 0.0)
    p1 = np.where(multi, np.minimum(p1, 0.7), p1)
    missing = np.where(rng.random(n_sites) < 0.02, 0.05, 0.002)
    depth = rng.gamma(16.0, 1 / 16.0, n_sites)

    # QUAL and INFO: a few sites fail QUAL < 30, QD < 2, MQ < 40, FS > 60, ReadPosRankSum < -8.
    qual = np.round(
        np.where(rng.random(n_sites) < 0.01, rng.uniform(5, 30, n_sites), rng.uniform(30, 5000, n_sites)), 2
    )
    qd = np.round(np.where(rng.random(n_sites) < 0.01, rng.uniform(0.2, 2, n_sites), rng.uniform(2, 35, n_sites)), 2)
    mq = np.round(np.where(rng.random(n_sites) < 0.01, rng.uniform(20, 40, n_sites), rng.normal(60, 0.5, n_sites)), 2)
    fs = np.round(np.where(rng.random(n_sites) < 0.01, rng.uniform(60, 200, n_sites), rng.exponential(3, n_sites)), 3)
    rprs = np.round(rng.normal(0, 1.5, n_sites), 3)
    info_dp = np.round(30 * depth * n_samples).astype(np.int64)
    info = [
        f"DP={d};QD={a};MQ={b};FS={c};ReadPosRankSum={e}"
        for d, a, b, c, e in zip(info_dp.tolist(), qd.tolist(), mq.tolist(), fs.tolist(), rprs.tolist(), strict=True)
    ]
    return Sites(
        contig,
        pos,
        ref,
        alt,
        p1.astype(np.float32),
        p2.astype(np.float32),
        haploid,
        missing.astype(np.float32),
        depth.astype(np.float32),
        qual,
        info,
    )


def make_sheet(
    n_samples: int, countries: tuple[str, ...], rng: np.random.Generator
) -> tuple[list[str], np.ndarray, list[str]]:
    """Sample IDs, male flags and countries."""
    ids = [f"S{i + 1:07d}" for i in range(n_samples)]
    male = rng.random(n_samples) < 0.5
    country = [countries[i] for i in rng.integers(0, len(countries), n_samples)]
    return ids, male, country


def header(samples: list[str], kind: str) -> bytes:
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">',
        '##INFO=<ID=QD,Number=1,Type=Float,Description="Variant confidence by depth">',
        '##INFO=<ID=MQ,Number=1,Type=Float,Description="RMS mapping quality">',
        '##INFO=<ID=FS,Number=1,Type=Float,Description="Phred-scaled strand bias (Fisher)">',
        '##INFO=<ID=ReadPosRankSum,Number=1,Type=Float,Description="Read position rank sum">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ]
    if kind == "full":
        lines += [
            '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
            '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
            '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        ]
    lines += [f"##contig=<ID={name},length={n},assembly=GRCh38>" for name, n in GRCH38.items()]
    lines.append("##source=goe-benchmarks-simulate")
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------- genotype text


# Genotype codes: diploid 0/0 0/1 1/1 0/2 1/2 2/2, haploid 0 1 2, missing ./. and .
GENOTYPES = ("0/0", "0/1", "1/1", "0/2", "1/2", "2/2", "0", "1", "2", "./.", ".")
MISSING_DIPLOID, MISSING_HAPLOID = 9, 10
MAJOR = np.array([0, 0, 1, 0, 1, 2, 0, 1, 2, 0, 0], dtype=np.int8)  # allele with the major read share
MINOR = np.array([1, 1, 0, 2, 2, 0, 1, 0, 0, 1, 1], dtype=np.int8)  # het: the other allele; else read errors
HET = np.array([0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0], dtype=np.uint8)
GT_BITS = 22  # resolution of the genotype draw
MISS_BITS = 10  # resolution of the missingness draw


def _words(texts: list[bytes]) -> np.ndarray:
    """Byte strings of at most 4 bytes -> little-endian uint32 words (NUL-padded on the right)."""
    return np.frombuffer(b"".join(t.ljust(4, b"\0") for t in texts), dtype="<u4").copy()


def _num(v: int, width: int) -> bytes:
    return str(v).encode().ljust(width, b"\0")


class ChunkWriter:
    """Turns the genotypes of a chunk of sites into VCF text bytes.

    Each sample's entry is a row of uint32 words (4 bytes each, NUL-padded):
    ``full``: GT: | DP: | GQ: | AD0, | AD1 | ,AD2 | tab (28 bytes); ``gt``: GT tab (4 bytes).
    Each word comes from one table lookup; the NUL bytes are dropped at the end.
    """

    def __init__(self, kind: str, sample_depth: np.ndarray, male: np.ndarray) -> None:
        self.kind = kind
        self.sample_depth = sample_depth.astype(np.float32)
        self.male = male
        if kind == "full":
            self.pois = poisson_table()
            self.binom = np.stack([binomial_table(0.005), binomial_table(0.5), binomial_table(0.12)])
            self.gt_w = _words([g.encode().ljust(3, b"\0") + (b"" if g.startswith(".") else b":") for g in GENOTYPES])
            self.dp_w = _words([_num(v, 3) + b":" for v in range(DP_MAX + 1)])
            self.gq_w = _words([_num(v, 2) + b":" for v in range(100)])
            self.ad0_w = _words([_num(v, 3) + b"," for v in range(DP_MAX + 1)])
            self.ad1_w = _words([_num(v, 3) for v in range(DP_MAX + 1)])
            self.ad2_w = _words([b"," + _num(v, 3) for v in range(DP_MAX + 1)])
            self.sep_w = _words([b"\0\0\0\t"])[0]
            self.width = 7
        else:
            self.gt_w = _words([g.encode().ljust(3, b"\0") + b"\t" for g in GENOTYPES])
            self.width = 1

    def thresholds(self, sites: Sites, sl: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cumulative genotype probabilities (diploid: 5, haploid: 2) and missingness, as integers."""
        p1 = sites.p1[sl].astype(np.float64)
        p2 = sites.p2[sl].astype(np.float64)
        q = 1.0 - p1 - p2
        dip = np.cumsum(np.stack([q * q, 2 * q * p1, p1 * p1, 2 * q * p2, 2 * p1 * p2], axis=1), axis=1)
        dip[p2 == 0, 2:] = 1.0  # biallelic: codes 3-5 never drawn
        hap = np.cumsum(np.stack([q, p1], axis=1), axis=1)
        miss = np.rint(sites.missing_rate[sl] * (1 << MISS_BITS))
        scale = float(1 << GT_BITS)
        return (
            np.minimum(np.rint(dip * scale), scale).astype(np.uint32),
            np.minimum(np.rint(hap * scale), scale).astype(np.uint32),
            miss.astype(np.uint32),
        )

    def text(self, sites: Sites, lo: int, hi: int, rng_gt: np.random.Generator, rng_fmt: np.random.Generator) -> bytes:
        """VCF lines of sites ``lo:hi``."""
        s = hi - lo
        n = len(self.male)
        sl = slice(lo, hi)
        dip_c, hap_c, miss_c = self.thresholds(sites, sl)
        u = rng_gt.integers(0, 1 << 32, (s, n), dtype=np.uint32)
        ug = u >> MISS_BITS
        code = (ug >= dip_c[:, 0, None]).astype(np.uint8)
        code += ug >= dip_c[:, 1, None]
        multi = np.flatnonzero(sites.p2[sl] > 0)
        if len(multi):
            um = ug[multi]
            extra = np.zeros(um.shape, dtype=np.uint8)
            for k in (2, 3, 4):
                extra += um >= dip_c[multi, k, None]
            code[multi] += extra
        hap_rows = np.flatnonzero(sites.haploid_males[sl])
        males = np.flatnonzero(self.male)
        haploid = np.zeros((s, n), dtype=bool)
        if len(hap_rows) and len(males):
            ix = np.ix_(hap_rows, males)
            uh = ug[ix]
            hc = 6 + (uh >= hap_c[hap_rows, 0, None]).astype(np.uint8)
            hc += uh >= hap_c[hap_rows, 1, None]
            code[ix] = hc
            haploid[ix] = True
        missing = (u & ((1 << MISS_BITS) - 1)) < miss_c[:, None]
        code[missing] = np.where(haploid[missing], MISSING_HAPLOID, MISSING_DIPLOID)

        fmt = "GT:DP:GQ:AD" if self.kind == "full" else "GT"
        prefixes = [
            f"{sites.contig[i]}\t{sites.pos[i]}\t.\t{sites.ref[i]}\t{sites.alt[i]}\t{sites.qual[i]:g}\tPASS\t"
            f"{sites.info[i]}\t{fmt}\t".encode()
            for i in range(lo, hi)
        ]
        pw = -(-max(len(p) for p in prefixes) // 4) * 4
        w = self.width
        rows = np.zeros((s, pw + n * w * 4), dtype=np.uint8)
        rows[:, :pw] = np.array(prefixes, dtype=f"S{pw}").view(np.uint8).reshape(s, pw)
        words = rows.view(np.uint32)[:, pw // 4 :].reshape(s, n, w)
        assert np.shares_memory(words, rows)
        words[..., 0] = self.gt_w[code]
        if self.kind == "full":
            self._format_fields(words, code, multi, missing, sites.depth_factor[sl], rng_fmt)
        rows[:, -1] = ord("\n")
        flat = rows.reshape(-1)
        return np.compress(flat != NUL, flat).tobytes()

    def _format_fields(
        self,
        words: np.ndarray,
        code: np.ndarray,
        multi: np.ndarray,
        missing: np.ndarray,
        depth: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        s, n = code.shape
        bits = rng.bit_generator.random_raw(s * n).reshape(s, n)
        u1 = (bits & (Q - 1)).astype(np.int32)
        u2 = ((bits >> 12) & (Q - 1)).astype(np.int32)
        noise = ((bits >> 24) & 7).astype(np.int16) - 3  # GQ noise -3..4
        skew = (((bits >> 27) & 63) < 2).view(np.uint8)  # ~3% of hets are skewed
        flip = ((bits >> 33) & 1).astype(bool)
        lam = (depth[:, None] * (30.0 / LAMBDA_STEP)) * self.sample_depth[None, :]
        li = np.minimum(np.rint(lam), self.pois.shape[0] - 1).astype(np.int32)
        dp = self.pois[li, u1]
        het = HET[code]
        table = het + (het & skew)  # 0 read errors, 1 het, 2 skewed het
        minor = self.binom[table, dp, u2]
        np.subtract(dp, minor, out=minor, where=(table == 2) & flip)
        major = dp - minor
        a_major = MAJOR[code]
        a_minor = MINOR[code]
        zero = np.int16(0)
        ad0 = np.where(a_major == 0, major, np.where(a_minor == 0, minor, zero))
        ad1 = np.where(a_major == 1, major, np.where(a_minor == 1, minor, zero))
        gq = np.where(het.astype(bool), 4 * np.minimum(major, minor), 3 * dp - 12 * minor)
        gq += noise
        np.clip(gq, 0, 99, out=gq)
        words[..., 1] = self.dp_w[dp]
        words[..., 2] = self.gq_w[gq]
        words[..., 3] = self.ad0_w[ad0]
        words[..., 4] = self.ad1_w[ad1]
        if len(multi):
            am, bm = a_major[multi], a_minor[multi]
            ad2 = np.where(am == 2, major[multi], np.where(bm == 2, minor[multi], zero))
            words[multi, :, 5] = self.ad2_w[ad2]
        words[..., 6] = self.sep_w
        words[missing, 1:6] = 0


# ---------------------------------------------------------------- driver


def simulate(
    out_dir: Path,
    n_samples: int,
    n_sites: int,
    kind: str = "full",
    seed: int = 1,
    countries: tuple[str, ...] = ("FI", "DE", "ES"),
    threads: int = 2,
    level: int = 1,
    force: bool = False,
) -> Cohort:
    """Write ``sim{VERSION}_{N}x{M}_{kind}.vcf.gz`` (+ .csi) and ``sim{VERSION}_{N}x{M}.samples.tsv`` in ``out_dir``.

    Existing files are reused unless ``force``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"sim{VERSION}_{n_samples}x{n_sites}"
    vcf = out_dir / f"{stem}_{kind}.vcf.gz"
    sheet = out_dir / f"{stem}.samples.tsv"
    index = vcf.with_name(vcf.name + ".csi")
    if (
        not force
        and vcf.exists()
        and index.exists()
        and sheet.exists()
        and index.stat().st_mtime >= vcf.stat().st_mtime
    ):
        return Cohort(vcf, sheet, n_samples, n_sites, kind)
    t0 = time.perf_counter()
    rng_site, rng_sample, rng_gt, rng_fmt = (np.random.default_rng([seed, k]) for k in range(4))
    ids, male, country = make_sheet(n_samples, countries, rng_sample)
    sample_depth = rng_sample.gamma(20.0, 1 / 20.0, n_samples).astype(np.float32)
    sites = make_sites(n_sites, n_samples, rng_site)
    sheet.write_text(
        "sample_id\tsex\tcountry\n"
        + "".join(
            f"{i}\t{'male' if m else 'female'}\t{c}\n" for i, m, c in zip(ids, male.tolist(), country, strict=True)
        )
    )
    writer = ChunkWriter(kind, sample_depth, male)
    chunk = max(1, 2_000_000 // n_samples)
    tmp = vcf.with_name(vcf.name + ".tmp")
    cmd = ["bgzip", "-@", str(threads), "-c"] + (["-l", str(level)] if level >= 0 else [])
    with tmp.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=fh)
        assert proc.stdin is not None
        try:
            proc.stdin.write(header(ids, kind))
            for lo in range(0, n_sites, chunk):
                proc.stdin.write(writer.text(sites, lo, min(n_sites, lo + chunk), rng_gt, rng_fmt))
        finally:
            proc.stdin.close()
            if proc.wait():
                raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode})")
    tmp.replace(vcf)
    subprocess.run(["bcftools", "index", "-f", "--threads", str(threads), str(vcf)], check=True)
    return Cohort(vcf, sheet, n_samples, n_sites, kind, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--kind", choices=(*KINDS, "both"), default="both")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/data"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--countries", default="FI,DE,ES", help="comma-separated ISO codes")
    ap.add_argument("--threads", type=int, default=2, help="bgzip/bcftools index threads")
    ap.add_argument("--level", type=int, default=1, help="bgzip compression level (1 = fast; -1 = bgzip's default)")
    ap.add_argument("--force", action="store_true", help="rewrite even if the files exist")
    args = ap.parse_args(argv)
    kinds = KINDS if args.kind == "both" else (args.kind,)
    for kind in kinds:
        c = simulate(
            args.out,
            args.samples,
            args.sites,
            kind,
            args.seed,
            tuple(args.countries.split(",")),
            args.threads,
            args.level,
            args.force,
        )
        size = c.vcf.stat().st_size / 1e6
        print(f"{c.vcf} ({size:,.0f} MB) + {c.sheet.name}: {c.seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
