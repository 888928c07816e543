"""A seeded simulator of a joint-called WGS cohort whose calls come from simulated reads.

Every sample has true genotypes (Hardy-Weinberg draws from per-country allele
frequencies: a log-uniform spectrum split by Balding-Nichols drift, plus recent
variants private to one country, as in a growing population). At each site and
sample the depth is DP ~ Poisson(the sample's depth, halved on a male's single X
or Y), the reads are drawn from the DNA with a 0.5% error rate (an error shows
one of the three other bases), and the genotype is called from the reads like a
caller does: the genotype of highest likelihood x heterozygosity prior, GQ the
phred margin to the runner-up (capped at 99), no call without reads. Only
records where some call is non-reference are written.

Planted problems: high missingness (coverage drop-outs), 10% of the reads from
another person, a genetic male reported female, one person sequenced twice
(independent reads), and a low-depth (8x) sample. Each sample also gets a
mosdepth ``<sample>.mosdepth.summary.txt`` made from its simulated depths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from pathlib import Path

import numpy as np
import pysam
import pytest

LENGTHS = {"chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chrX": 156040895, "chrY": 57227415}
AUTOSOMES = ("chr1", "chr2", "chr3")
X_NONPAR = (2_800_000, 155_700_000)  # GRCh38 PAR1 ends at 2,781,479, PAR2 starts at 155,701,383
Y_MSY = (2_800_000, 56_800_000)
BASES = "ACGT"
TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}
PRIOR = {"ref": 0.0, "het": -3.0, "hom": float(np.log10(5e-4)), "het_alt": -5.0}  # log10, GATK-like
GENOTYPES = list(combinations_with_replacement(range(3), 2))  # diploid genotypes of up to 3 alleles


@dataclass(frozen=True)
class SimSpec:
    """What to simulate; the same spec always gives the same files."""

    seed: int = 7
    countries: tuple[tuple[str, int], ...] = (("FI", 34), ("DE", 28), ("ES", 22))  # samples per country
    sites: tuple[int, ...] = (3400, 3000, 2600)  # candidate records on chr1, chr2, chr3
    recent: float = 0.3  # share of autosomal candidates that are recent variants private to one country
    n_x: int = 400  # about chrX's share of real variant sites
    n_y: int = 40
    depth: tuple[float, float] = (31.5, 38.0)  # clean samples' mean depth, uniform in this range
    error: float = 0.005
    fst: float = 0.01
    male_x: str = "haploid"  # "haploid": males' X and Y written 0 / 1; "diploid": 0/0, 1/1
    missing_rate: float = 0.15
    contamination: float = 0.10
    low_depth: float = 8.0
    plant: bool = True


@dataclass
class SimCohort:
    """The simulated files and what was planted."""

    vcf: Path
    sheet: Path
    metrics: Path  # folder of <sample>.mosdepth.summary.txt
    samples: list[str]  # VCF column order
    country: dict[str, str]
    reported_sex: dict[str, str]  # "male" / "female", as in the sheet
    true_sex: dict[str, str]
    planted: dict[str, tuple[str, ...]] = field(default_factory=dict)  # problem -> sample IDs
    n_records: int = 0

    @property
    def planted_ids(self) -> set[str]:
        return {s for ids in self.planted.values() for s in ids}


@dataclass
class _People:
    names: list[str]
    country: np.ndarray  # index into spec.countries
    sex: list[str]
    reported: list[str]
    depth: np.ndarray
    dup_of: np.ndarray  # whose genome each sample carries (the second duplicate: the first's)
    picks: list[int]  # missing, contaminated, swapped, duplicate 1, duplicate 2, low depth


def _people(rng: np.random.Generator, spec: SimSpec) -> _People:
    country = rng.permutation(np.repeat(np.arange(len(spec.countries)), [n for _, n in spec.countries]))
    n = len(country)
    sex = ["male" if rng.random() < 0.5 else "female" for _ in range(n)]
    depth = rng.uniform(*spec.depth, n)
    dup_of = np.arange(n)
    picks = rng.choice(n, 6, replace=False).tolist() if spec.plant else []
    reported = list(sex)
    if picks:
        miss, cont, swap, dup_a, dup_b, low = picks
        sex[cont] = reported[cont] = "female"
        sex[swap], reported[swap] = "male", "female"
        sex[dup_b] = reported[dup_b] = sex[dup_a]
        country[dup_b], dup_of[dup_b] = country[dup_a], dup_a
        depth[miss] = 38.0  # drop-outs take it down to about 32x
        depth[low] = spec.low_depth
    seen: dict[int, int] = {}
    names = []
    for c in country.tolist():
        seen[c] = seen.get(c, 0) + 1
        names.append(f"{spec.countries[c][0]}{seen[c]:03d}")
    return _People(names, country, sex, reported, depth, dup_of, picks)


def _alleles(rng: np.random.Generator, kind: str) -> tuple[str, list[str]]:
    ref = BASES[int(rng.integers(4))]
    other = [b for b in BASES if b not in (ref, TRANSITION[ref])]
    snv = TRANSITION[ref] if rng.random() < 0.68 else other[int(rng.integers(2))]
    ins = "".join(BASES[i] for i in rng.integers(0, 4, int(rng.integers(1, 5))))
    if kind == "snv":
        return ref, [snv]
    if kind == "ins":
        return ref, [ref + ins]
    if kind == "del":
        return ref + ins, [ref]
    if rng.random() < 0.5:  # multi-allelic: two SNVs, or a SNV and a deletion
        return ref, [snv, next(b for b in BASES if b not in (ref, snv))]
    return ref + ins, [snv + ins, ref]


def _freqs(rng: np.random.Generator, n: int, spec: SimSpec, recent: float) -> np.ndarray:
    """(n sites, countries) ALT frequencies: log-uniform ancestral frequency with drift, or private and recent."""
    k = len(spec.countries)
    p = np.exp(rng.uniform(np.log(1e-4), np.log(0.99), n))
    a, b = p * (1 - spec.fst) / spec.fst, (1 - p) * (1 - spec.fst) / spec.fst
    f = np.clip(rng.beta(a[:, None], b[:, None], (n, k)), 0.0, 1.0)
    private = rng.random(n) < recent
    home = rng.integers(0, k, n)
    sizes = np.array([m for _, m in spec.countries], dtype=np.float64)
    f[private] = 0.0
    f[private, home[private]] = rng.uniform(0.2, 1.5, int(private.sum())) / (2 * sizes[home[private]])
    return f


def _sites(rng: np.random.Generator, spec: SimSpec) -> tuple[list[tuple[str, int, str, list[str]]], np.ndarray,
                                                              np.ndarray]:
    """Records (chrom, pos, REF, ALTs), their region (auto, x, y) and per-country (REF, ALT1, ALT2) frequencies."""
    sites: list[tuple[str, int, str, list[str]]] = []
    region: list[str] = []
    probs: list[np.ndarray] = []
    k = len(spec.countries)
    for chrom, n in zip(AUTOSOMES, spec.sites, strict=True):
        pos = np.unique(rng.integers(1_000_000, LENGTHS[chrom] - 1_000_000, n))
        kinds = rng.choice(["snv", "ins", "del", "multi"], len(pos), p=[0.92, 0.025, 0.025, 0.03])
        for p, kind, fr in zip(pos.tolist(), kinds.tolist(), _freqs(rng, len(pos), spec, spec.recent), strict=True):
            ref, alts = _alleles(rng, kind)
            sites.append((chrom, p, ref, alts))
            region.append("auto")
            split = rng.dirichlet([1.0, 1.0]) if len(alts) == 2 else np.array([1.0, 0.0])
            probs.append(np.stack([1 - fr, fr * split[0], fr * split[1]], axis=1))
    x_pos = np.unique(rng.integers(*X_NONPAR, spec.n_x))
    y_pos = np.unique(rng.integers(*Y_MSY, spec.n_y))
    x_f = _freqs(rng, len(x_pos), spec, 0.0)
    y_f = np.repeat(rng.uniform(0.05, 0.6, len(y_pos))[:, None], k, axis=1)  # Y haplogroup markers
    for chrom, positions, freqs, where in (("chrX", x_pos, x_f, "x"), ("chrY", y_pos, y_f, "y")):
        for p, fr in zip(positions.tolist(), freqs, strict=True):
            sites.append((chrom, p, *_alleles(rng, "snv")))
            region.append(where)
            probs.append(np.stack([1 - fr, fr, np.zeros(k)], axis=1))
    return sites, np.array(region), np.stack(probs)


def _call(ad: np.ndarray, n_alleles: np.ndarray, haploid: np.ndarray, e: float) -> tuple[np.ndarray, np.ndarray]:
    """Calls from allele read counts ``ad`` (records, samples, 3): allele indexes (records, samples, 2) and GQ.

    -1 is a missing allele, -2 the absent second allele of a haploid call. The call
    maximises log10 likelihood + prior; GQ = 10 x its margin to the runner-up, at most 99.
    """
    q = np.full((3, 3), np.log10(e / 3))  # q[true allele, read allele]
    np.fill_diagonal(q, np.log10(1 - e))
    prior = np.array([PRIOR["ref"] if j == k == 0 else PRIOR["het"] if j == 0 else PRIOR["hom"] if j == k
                      else PRIOR["het_alt"] for j, k in GENOTYPES])
    dip = np.stack([np.log10(0.5 * 10 ** q[j] + 0.5 * 10 ** q[k]) for j, k in GENOTYPES])  # (genotype, read)
    ll_dip = np.einsum("rsa,ga->rsg", ad, dip) + prior
    ll_hap = np.einsum("rsa,ga->rsg", ad, q) + np.array([PRIOR["ref"], PRIOR["het"], PRIOR["het"]])
    ok_dip = np.array([[max(j, k) < n for j, k in GENOTYPES] for n in range(4)])[n_alleles]
    ok_hap = np.arange(3)[None, :] < n_alleles[:, None]
    out = np.full(ad.shape[:2] + (2,), -1, dtype=np.int64)
    gq = np.zeros(ad.shape[:2], dtype=np.int64)
    for ll, ok, is_hap in ((ll_dip, ok_dip, False), (ll_hap, ok_hap, True)):
        ll = np.where(ok[:, None, :], ll, -np.inf)
        best = np.argmax(ll, axis=2)
        top = np.take_along_axis(ll, best[..., None], axis=2)[..., 0]
        rest = np.where(np.arange(ll.shape[2]) == best[..., None], -np.inf, ll).max(axis=2)
        sel = haploid == is_hap
        gq = np.where(sel, np.minimum(99, np.round(10 * (top - rest))).astype(np.int64), gq)
        alleles = np.stack([best, np.full_like(best, -2)], axis=2) if is_hap else np.array(GENOTYPES)[best]
        out = np.where(sel[..., None], alleles, out)
    no_reads = ad.sum(axis=2) == 0
    out[no_reads] = -1
    gq[no_reads] = 0
    return out, gq


def _gt_text(a: np.ndarray, haploid_style: np.ndarray) -> np.ndarray:
    """GT strings; a missing call is "." where the caller writes haploid calls, else "./."."""
    first = np.where(a[..., 0] < 0, ".", a[..., 0].astype(str))
    second = np.where(a[..., 1] < 0, ".", a[..., 1].astype(str))
    diploid = np.char.add(np.char.add(first, "/"), second)
    missing = np.where(haploid_style, ".", "./.")
    return np.where(a[..., 1] == -2, first, np.where(a[..., 0] == -1, missing, diploid))


def _write_vcf(path: Path, names: list[str], sites: list[tuple[str, int, str, list[str]]], keep: np.ndarray,
               gt: np.ndarray, ad: np.ndarray, dp: np.ndarray, gq: np.ndarray) -> Path:
    lines = [
        "##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        *(f"##contig=<ID={c},length={n}>" for c, n in LENGTHS.items()),
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *names]),
    ]
    for r in keep.tolist():
        chrom, at, ref, alts = sites[r]
        width = 1 + len(alts)
        ad_txt = [",".join(map(str, row[:width])) for row in ad[r].tolist()]
        cells = [f"{g}:{a}:{d}:{q}" for g, a, d, q in zip(gt[r].tolist(), ad_txt, dp[r].tolist(), gq[r].tolist(),
                                                          strict=True)]
        lines.append("\t".join([chrom, str(at), ".", ref, ",".join(alts), "50", "PASS", ".", "GT:AD:DP:GQ", *cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(pysam.tabix_index(str(path), preset="vcf", force=True))


def _write_mosdepth(folder: Path, names: list[str], chroms: np.ndarray, dp: np.ndarray) -> None:
    """mosdepth summaries (chrom, length, bases, mean, min, max; a total row): each contig's mean simulated DP."""
    folder.mkdir(exist_ok=True)
    for i, sample in enumerate(names):
        rows, total_len, total_bases = [], 0, 0
        for chrom, length in LENGTHS.items():
            d = dp[chroms == chrom, i]
            bases = round((float(d.mean()) if len(d) else 0.0) * length)
            rows.append(f"{chrom}\t{length}\t{bases}\t{bases / length:.2f}\t0\t{int(d.max(initial=0))}")
            total_len, total_bases = total_len + length, total_bases + bases
        rows.append(f"total\t{total_len}\t{total_bases}\t{total_bases / total_len:.2f}\t0\t{int(dp[:, i].max())}")
        (folder / f"{sample}.mosdepth.summary.txt").write_text(
            "chrom\tlength\tbases\tmean\tmin\tmax\n" + "\n".join(rows) + "\n", encoding="utf-8")


def simulate_cohort(out_dir: Path, spec: SimSpec = SimSpec()) -> SimCohort:
    """Write ``cohort.vcf.gz`` (+ .tbi), ``samples.tsv`` and ``metrics/`` under ``out_dir``."""
    rng = np.random.default_rng(spec.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    pp = _people(rng, spec)
    n_s = len(pp.names)
    male = np.array([s == "male" for s in pp.sex])
    sites, reg, probs = _sites(rng, spec)
    n_r = len(sites)
    cum = np.cumsum(probs[:, pp.country, :], axis=2)  # (records, samples, 3)

    # True genomes (haplotype alleles) and the DNA each sample's reads come from.
    hap = np.stack([(rng.random((n_r, n_s, 1)) > cum).sum(axis=2) for _ in range(2)], axis=2).clip(0, 2)
    hap = hap[:, pp.dup_of, :]
    sex_chrom = (reg == "x") | (reg == "y")
    one_copy = sex_chrom[:, None] & male[None, :]
    weight = np.where(one_copy, 1.0, 0.5)[..., None]
    frac = np.eye(3)[hap[..., 0]] * weight + np.eye(3)[hap[..., 1]] * np.where(one_copy, 0.0, 0.5)[..., None]
    lam = np.where(one_copy, 0.5, 1.0) * pp.depth[None, :]
    lam[reg == "y"] *= male  # no Y, no reads
    dp = rng.poisson(lam)
    if pp.picks:
        miss, cont = pp.picks[:2]
        dp[rng.random(n_r) < spec.missing_rate, miss] = 0
        stranger = (rng.random((n_r, 2, 1)) > cum[:, cont, None, :]).sum(axis=2).clip(0, 2)
        foreign = 0.5 * (np.eye(3)[stranger[:, 0]] + np.eye(3)[stranger[:, 1]])
        frac[:, cont, :] = (1 - spec.contamination) * frac[:, cont, :] + spec.contamination * foreign

    # Reads: allele a with prob frac_a (1 - e) + (1 - frac_a) e / 3; the rest show other bases (in DP, not AD).
    n_alleles = np.array([1 + len(s[3]) for s in sites])
    p_read = frac * (1 - spec.error) + (1 - frac) * spec.error / 3
    p_read[n_alleles == 2, :, 2] = 0.0
    ad = np.zeros((n_r, n_s, 3), dtype=np.int64)
    left, mass = dp.copy(), np.ones((n_r, n_s))
    for a in range(3):
        ad[..., a] = rng.binomial(left, np.clip(p_read[..., a] / np.maximum(mass, 1e-12), 0.0, 1.0))
        left -= ad[..., a]
        mass -= p_read[..., a]
    haploid = one_copy if spec.male_x == "haploid" else np.zeros_like(one_copy)
    calls, gq = _call(ad.astype(np.float64), n_alleles, haploid, spec.error)
    haploid_style = (reg == "y")[:, None] if spec.male_x == "haploid" else haploid
    gt = _gt_text(calls, haploid | haploid_style)

    keep = np.nonzero((calls > 0).any(axis=(1, 2)))[0]
    vcf = _write_vcf(out_dir / "cohort.vcf", pp.names, sites, keep, gt, ad, dp, gq)
    _write_mosdepth(out_dir / "metrics", pp.names, np.array([s[0] for s in sites])[keep], dp[keep])
    codes = [spec.countries[c][0] for c in pp.country.tolist()]
    sheet = out_dir / "samples.tsv"
    sheet.write_text("sample_id\tsex\tcountry\n" + "".join(
        f"{s}\t{r}\t{c}\n" for s, r, c in zip(pp.names, pp.reported, codes, strict=True)), encoding="utf-8")
    planted: dict[str, tuple[str, ...]] = {}
    if pp.picks:
        ids = [pp.names[i] for i in pp.picks]
        planted = {"missingness": (ids[0],), "contamination": (ids[1],), "sex_swap": (ids[2],),
                   "duplicate": (ids[3], ids[4]), "low_depth": (ids[5],)}
    return SimCohort(
        vcf=vcf, sheet=sheet, metrics=out_dir / "metrics", samples=pp.names,
        country=dict(zip(pp.names, codes, strict=True)), reported_sex=dict(zip(pp.names, pp.reported, strict=True)),
        true_sex=dict(zip(pp.names, pp.sex, strict=True)), planted=planted, n_records=len(keep),
    )


_CACHE: dict[SimSpec, SimCohort] = {}


def cached_cohort(factory: pytest.TempPathFactory, spec: SimSpec = SimSpec()) -> SimCohort:
    """One simulation per spec and test session (shared by the test modules)."""
    if spec not in _CACHE:
        _CACHE[spec] = simulate_cohort(factory.mktemp("qc_sim"), spec)
    return _CACHE[spec]
