"""National packages cut from one simulated cohort, and what `goe merge` of them must give.

A seeded multi-country cohort (tests/helpers/simulate.py) is split into one VCF per
country with ``bcftools view -s <the country's columns> -a -c1`` (each keeps only the
ALTs its samples carry), and each gets ``goe freq``. The pooled cohort goes through the
bcftools recipe (tests/helpers/recipe.py). :func:`expected_merge` then writes down, from
the recipe's per-country numbers alone, what the merge must say for every allele: a
country that reported the allele adds its counts; one that did not adds AC 0 and
ploidy x samples per sex where it was callable, nothing (and "not assessed") elsewhere.

Alleles are matched after the trimming goe applies (``Normaliser(None)``), independently
of goe's reading of the packages. Ploidy comes from the simulator's own PAR table.
"""

from __future__ import annotations

import gzip
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pysam
from cyvcf2 import VCF
from typer.testing import CliRunner, Result

from goe.cli.main import app
from goe.merge.normalise import Normaliser
from goe.vcf.partition import GRID
from helpers.recipe import PendingRecipe, RecipeResult, ploidy_lines, read_sheet, start_recipe
from helpers.simulate import LENGTHS, PAR_X, SimCohort, SimSpec, simulate

Key = tuple[str, int, str, str]  # chrom (as in the VCF), pos, REF, ALT after trimming
Row = tuple[int, int, int, int, int]  # ac, an, ac_hom, ac_het, ac_hemi
ZYG = ("Hom", "Het", "Hemi")
_NORM = Normaliser(None)


def cli(args: Sequence[str | Path]) -> Result:
    """``goe ARGS`` in-process; never on a Dask scheduler, one-line errors."""
    return CliRunner(env={"GOE_DEBUG": None, "GOE_DASK_SCHEDULER": None}).invoke(app, [str(a) for a in args])


def sh(*cmd: str | Path) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed: {proc.stderr}")
    return proc.stdout


def canonical(chrom: str, pos: int, ref: str, alt: str) -> Key:
    """The allele as goe matches it: upper case, shared suffix and prefix trimmed."""
    p, r, a = _NORM.normalise(chrom, pos, ref.upper(), alt.upper())
    return chrom, p, r, a


def is_base_allele(alt: str) -> bool:
    return bool(alt) and set(alt.upper()) <= set("ACGTN")


def reported_alleles(vcf: Path) -> set[Key]:
    """Every base ALT of a national VCF (what its goe package reports), trimmed."""
    out: set[Key] = set()
    v = VCF(str(vcf))
    try:
        for rec in v:
            out.update(canonical(rec.CHROM, rec.POS, rec.REF, a) for a in rec.ALT if is_base_allele(a))
    finally:
        v.close()
    return out


def canonical_recipe(result: RecipeResult) -> dict[Key, dict[str, dict[str, float]]]:
    """The recipe's counts keyed by trimmed allele; two records trimming to one key is an error."""
    out: dict[Key, dict[str, dict[str, float]]] = {}
    for (chrom, pos, ref, alt), per in result.counts.items():
        key = canonical(chrom, pos, ref, alt)
        assert key not in out, f"two recipe alleles trim to {key}: pick another seed"
        out[key] = per
    return out


def ploidy(chrom: str, pos: int, assembly: str = "GRCh38") -> tuple[int, int]:
    """(male, female) ploidy at a position, from the simulator's PARs."""
    base = chrom[3:] if chrom.lower().startswith("chr") else chrom
    if base == "X":
        return (2, 2) if any(lo <= pos <= hi for lo, hi in PAR_X[assembly]) else (1, 2)
    if base == "Y":
        return 1, 0
    if base in ("M", "MT"):
        return 1, 1
    return 2, 2


@dataclass
class Bed:
    """0-based half-open intervals per VCF contig name."""

    intervals: dict[str, list[tuple[int, int]]]

    def contains(self, chrom: str, pos: int) -> bool:
        return any(lo <= pos - 1 < hi for lo, hi in self.intervals.get(chrom, []))

    def write(self, path: Path) -> Path:
        path.write_text("".join(f"{c}\t{lo}\t{hi}\n" for c, ivs in self.intervals.items() for lo, hi in ivs))
        return path


def whole_contigs(cohort: SimCohort, assembly: str, gap: tuple[str, int, int] | None = None) -> Bed:
    """Every simulated contig over its whole length, less ``gap`` (contig, start, end; 0-based)."""
    ivs: dict[str, list[tuple[int, int]]] = {}
    for canon, name in cohort.contigs.items():
        length = LENGTHS[assembly][canon]
        if gap is not None and gap[0] == name:
            ivs[name] = [(0, gap[1]), (gap[2], length)]
        else:
            ivs[name] = [(0, length)]
    return Bed(ivs)


@dataclass
class Country:
    code: str
    vcf: Path
    keep: Path
    columns: list[str]
    males: int
    females: int
    reported: set[Key] = field(default_factory=set)


def split_country(bcftools: str, cohort: SimCohort, code: str, out: Path) -> Country:
    """``bcftools view -s <columns> -a -c1``: the country's samples, only the ALTs they carry."""
    mine = [s for s in cohort.samples if s[3] == code]
    columns = [s[1] for s in mine]
    keep = out / f"{code}.keep.txt"
    keep.write_text("".join(f"{s[0]}\n" for s in mine))
    vcf = out / f"{code}.vcf.gz"
    sh(bcftools, "view", "--no-version", "-s", ",".join(columns), "-a", "-c1", "-Oz", "-o", vcf, cohort.vcf)
    sh(bcftools, "index", "-t", "-f", vcf)
    males = sum(s[2] == "M" for s in mine)
    return Country(code, vcf, keep, columns, males, len(mine) - males, reported_alleles(vcf))


def freq(cohort: SimCohort, country: Country, vcf: Path, out: Path, *, mask: bool, bed: Path | None,
         extra: Sequence[str] = ()) -> Path:
    """``goe freq`` of one national VCF into the package folder ``out``."""
    args: list[str | Path] = ["freq", vcf, "--samples", cohort.sheet, "--keep", country.keep, "--out", out,
                              "-j", "1", "-q", "--force", *(["--no-mask"] if not mask else [])]
    if bed is not None:
        args += ["--callable", bed]
    r = cli([*args, *extra])
    assert r.exit_code == 0, r.stderr or r.output
    return out


@dataclass
class Expected:
    rows: dict[str, Row]  # label -> ac, an, hom, het, hemi
    not_assessed: list[str]
    reported_by_all: bool
    imputed: bool  # some country's AN came from its callable regions


def expected_merge(recipe: dict[Key, dict[str, dict[str, float]]], countries: Sequence[Country],
                   beds: dict[str, Bed] | None) -> dict[Key, Expected]:
    """What the merge must give for every allele some country reported (countries sorted by code)."""
    union = set().union(*(c.reported for c in countries))
    out: dict[Key, Expected] = {}
    for key in sorted(union):
        per = recipe[key]
        pm, pf = ploidy(key[0], key[1])
        rows: dict[str, Row] = {}
        missing: list[str] = []
        imputed = False
        for c in sorted(countries, key=lambda c: c.code):
            callable_here = beds is None or beds[c.code].contains(key[0], key[1])
            for lab, n_m, n_f in ((c.code, c.males, c.females), (f"{c.code}_M", c.males, 0),
                                  (f"{c.code}_F", 0, c.females)):
                v = per[lab]
                if key in c.reported:
                    rows[lab] = (int(v["ac"]), int(v["an"]), int(v["ac_hom"]), int(v["ac_het"]), int(v["ac_hemi"]))
                    continue
                assert v["ac"] == 0, f"{key}: {lab} has AC {v['ac']} in the pooled cohort but did not report it"
                rows[lab] = (0, (pm * n_m + pf * n_f) if callable_here else 0, 0, 0, 0)
            if key not in c.reported:
                imputed |= callable_here
                if not callable_here:
                    missing.append(c.code)
        for total, suffix in (("Total", ""), ("M", "_M"), ("F", "_F")):
            parts = [rows[c.code + suffix] for c in countries]
            rows[total] = tuple(sum(p[i] for p in parts) for i in range(5))  # type: ignore[assignment]
        out[key] = Expected(rows, missing, all(key in c.reported for c in countries), imputed)
    return out


@dataclass
class Site:
    filter: str
    info: dict[str, Any]

    def row(self, label: str) -> Row | None:
        s = "" if label == "Total" else f"_{label}"
        if f"AC{s}" not in self.info:
            return None
        zyg = [self.info.get(f"AC{s}_{z}", -1) for z in ZYG]
        return (self.info[f"AC{s}"], self.info[f"AN{s}"], *zyg)  # type: ignore[return-value]


def _value(text: str) -> Any:
    if text == ".":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_sites(path: Path) -> dict[Key, Site]:
    """A split sites VCF as {trimmed allele: FILTER and INFO}, values exactly as printed (not float32)."""
    out: dict[Key, Site] = {}
    with gzip.open(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            chrom, pos, _, ref, alt, _, filt, info = line.rstrip("\n").split("\t")[:8]
            assert "," not in alt, f"not split: {line[:80]}"
            items = (kv.split("=", 1) if "=" in kv else (kv, "") for kv in info.split(";"))
            out[canonical(chrom, int(pos), ref, alt)] = Site(filt, {k: _value(v) if v else True for k, v in items})
    return out


def groups_and_sexes(cohort: SimCohort, country: Country, work: Path) -> tuple[Path, Path, Path]:
    """groups.txt (CC,CC_M / CC,CC_F), sex.txt and ploidy.txt for bcftools plugins."""
    sex = {s[1]: s[2] for s in cohort.samples}
    groups = work / "groups.txt"
    groups.write_text("".join(f"{c}\t{country.code},{country.code}_{sex[c]}\n" for c in country.columns))
    sexes = work / "sex.txt"
    sexes.write_text("".join(f"{c}\t{sex[c]}\n" for c in country.columns))
    ploidy_txt = work / "ploidy.txt"
    ploidy_txt.write_text("".join(f"{ln}\n" for ln in ploidy_lines(list(cohort.contigs.values()), "GRCh38")))
    return groups, sexes, ploidy_txt


def fill_tags_vcf(bcftools: str, cohort: SimCohort, country: Country, out: Path, *, by_group: bool) -> Path:
    """A sites VCF made the GoE-pilot way: norm -m -any | +fixploidy | +fill-tags [-S groups] | view -G.

    With ``by_group`` the INFO names are fill-tags' (AC_ES_M, AC_Hom_ES_M: zygosity not last);
    without, only AC/AN/AF for all samples (no country anywhere). ``##reference=GRCh38`` is added."""
    work = out.parent / (out.name + ".work")
    work.mkdir(parents=True, exist_ok=True)
    groups, sexes, ploidy_txt = groups_and_sexes(cohort, country, work)
    tags = ["-S", str(groups), "-t", "AC,AN,AF,AC_Hom,AC_Het,AC_Hemi"] if by_group else ["-t", "AC,AN,AF"]
    (work / "ref.txt").write_text("##reference=GRCh38\n")
    b, q = shlex.quote(bcftools), shlex.quote
    script = " | ".join([
        f"{b} norm --no-version -Ou -m -any {q(str(country.vcf))}",
        f"{b} +fixploidy --no-version -Ou -- -p {q(str(ploidy_txt))} -s {q(str(sexes))}",
        f"{b} +fill-tags --no-version -Ou -- {' '.join(map(q, tags))}",
        f"{b} view --no-version -G -Ou",
        f"{b} annotate --no-version -h {q(str(work / 'ref.txt'))} -Oz -o {q(str(out))}",
    ])
    subprocess.run(["bash", "-o", "pipefail", "-c", script], check=True, capture_output=True)
    sh(bcftools, "index", "-t", "-f", out)
    return out


def plant_artefact(bcftools: str, country: Country, out: Path, contig: str, n: int) -> list[Key]:
    """The country's VCF with every call at its first ``n`` SNVs on ``contig`` made hom-ALT (a batch artefact)."""
    text = sh(bcftools, "view", "--no-version", country.vcf)
    lines, planted = [], []
    for line in text.splitlines():
        f = line.split("\t")
        if not line.startswith("#") and f[0] == contig and len(planted) < n and len(f[3]) == len(f[4]) == 1:
            planted.append(canonical(f[0], int(f[1]), f[3], f[4]))
            f[9:] = ["1/1" + s[s.index(":"):] if ":" in s else "1/1" for s in f[9:]]
        lines.append("\t".join(f))
    raw = out.with_suffix("")
    raw.write_text("\n".join(lines) + "\n")
    sh(bcftools, "view", "--no-version", "-Oz", "-o", out, raw)
    sh(bcftools, "index", "-t", "-f", out)
    return planted


@dataclass
class World:
    """The cohort, its national VCFs and packages, the recipe's numbers, and merges made on demand."""

    root: Path
    bcftools: str
    cohort: SimCohort
    countries: list[Country]
    beds: dict[str, Bed]
    bed_files: dict[str, Path]
    packages: dict[tuple[bool, bool], dict[str, Path]]  # (mask, callable BED) -> code -> package
    recipes: dict[bool, dict[Key, dict[str, dict[str, float]]]]
    biallelic: set[Key]
    merges: dict[tuple[Any, ...], Path] = field(default_factory=dict)

    def merged(self, mask: bool, bed: bool, *extra: str) -> Path:
        """``goe merge`` of the three packages (cached)."""
        key = (mask, bed, *extra)
        if key not in self.merges:
            out = self.root / "merged" / "_".join(["m" if mask else "u", "bed" if bed else "nobed", *extra])
            pk = self.packages[(mask, bed)]
            r = cli(["merge", *(pk[c.code] for c in self.countries), "--out", out, "-q", "-j", "1", *extra])
            assert r.exit_code == 0, r.stderr or r.output
            self.merges[key] = out
        return self.merges[key]


def build_world(root: Path, bcftools: str, spec: SimSpec, gap: tuple[str, int, int], gap_country: str) -> World:
    cohort = simulate(root / "cohort", spec, bcftools)
    pending: dict[bool, PendingRecipe] = {
        m: start_recipe(bcftools, cohort.vcf, read_sheet(cohort.sheet), spec.assembly, m, root / f"recipe_{m}")
        for m in (False, True)
    }
    try:
        nat = root / "national"
        nat.mkdir()
        countries = [split_country(bcftools, cohort, c, nat) for c in sorted(spec.countries)]
        beds = {c.code: whole_contigs(cohort, spec.assembly, gap if c.code == gap_country else None)
                for c in countries}
        bed_files = {code: b.write(nat / f"{code}.callable.bed") for code, b in beds.items()}
        packages: dict[tuple[bool, bool], dict[str, Path]] = {}
        for mask in (False, True):
            for bed in (True, False):
                folder = root / "packages" / f"{'m' if mask else 'u'}_{'bed' if bed else 'nobed'}"
                packages[(mask, bed)] = {
                    c.code: freq(cohort, c, c.vcf, folder / c.code, mask=mask, bed=bed_files[c.code] if bed else None)
                    for c in countries
                }
    except BaseException:
        for p in pending.values():
            p.proc.kill()
            p.proc.wait()
        raise
    recipes = {m: canonical_recipe(p.wait()) for m, p in pending.items()}
    bi = sh(bcftools, "query", "-f", r"%CHROM\t%POS\t%REF\t%ALT\n", cohort.vcf)
    biallelic = {canonical(c, int(p), r, a) for c, p, r, a in (ln.split("\t") for ln in bi.splitlines())
                 if "," not in a and is_base_allele(a)}
    return World(root, bcftools, cohort, countries, beds, bed_files, packages, recipes, biallelic)


def parquet_problems(out: Path, sites: dict[Key, Site], labels: Sequence[str]) -> list[str]:
    """The Parquet long table carries the sites VCF's numbers, faf95 included (None for sex groups)."""
    problems = []
    seen = set()
    for r in pl.read_parquet(out / "frequencies.parquet").iter_rows(named=True):
        key = canonical(r["chrom"], r["pos"], r["ref"], r["alt"])
        site, lab = sites[key], r["population"]
        seen.add((key, lab))
        got = (r["ac"], r["an"], r["ac_hom"], r["ac_het"], r["ac_hemi"])
        if got != site.row(lab) or r["filters"] != site.filter:
            problems.append(f"{key} {lab}: parquet {got} {r['filters']}, VCF {site.row(lab)} {site.filter}")
        if (r["af"] is None) != (r["an"] == 0) or (r["an"] and r["af"] != r["ac"] / r["an"]):
            problems.append(f"{key} {lab}: parquet af {r['af']} for {r['ac']}/{r['an']}")
        faf = site.info.get("faf95" + ("" if lab == "Total" else f"_{lab}"))
        if (faf is None) != (r["faf95"] is None) or (faf is not None and abs(faf - r["faf95"]) > 1e-5 * faf):
            problems.append(f"{key} {lab}: parquet faf95 {r['faf95']}, VCF {faf}")
    want = {(k, lab) for k, s in sites.items() for lab in labels if s.row(lab) is not None}
    if seen != want:
        problems.append(f"{len(seen ^ want)} (allele, population) rows in only one of the Parquet and the VCF")
    return problems[:20]


def tiny_vcf(path: Path, cc: str, records: Sequence[str]) -> Path:
    """A bgzipped, indexed sites VCF with AC_CC/AN_CC/AF_CC INFO fields and ``records`` (tab-separated)."""
    header = ["##fileformat=VCFv4.2", "##reference=GRCh38", "##contig=<ID=chr1,length=248956422>",
              *(f'##INFO=<ID={s}_{cc},Number={n},Type={t},Description="{s}">'
                for s, n, t in (("AC", "A", "Integer"), ("AN", "1", "Integer"), ("AF", "A", "Float"))),
              "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    text = path.with_suffix("")
    text.write_text("\n".join([*header, *records]) + "\n")
    pysam.tabix_compress(str(text), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def build_odd_inputs(world: World, root: Path) -> dict[str, Path]:
    """A GRCh37 package (PT), FI made with another guideline profile, FI with its Parquet edited after
    packaging, ES as a Total-only fill-tags VCF, and a PT sites VCF whose AF has too few digits
    (round(0.3 x 100) = 30, not 26, on its second record)."""
    small = SimSpec(assembly="GRCh37", countries=("PT",), n_samples=8, n_autosome_sites=8, n_x_sites=8,
                    n_y_sites=3, n_mt_sites=3, seed=5)
    c37 = simulate(root / "c37", small, world.bcftools)
    pt37 = root / "PT37"
    r = cli(["freq", c37.vcf, "--samples", c37.sheet, "--assembly", "GRCh37", "--out", pt37, "-q", "-j", "1"])
    assert r.exit_code == 0, r.stderr
    profile = root / "other-profile.toml"
    text = (Path(__file__).parents[2] / "guidelines" / "1mg-proof-draft.toml").read_text()
    profile.write_text(text.replace('name = "1mg-proof-draft"', 'name = "other-profile"', 1))
    fi = next(c for c in world.countries if c.code == "FI")
    other = freq(world.cohort, fi, fi.vcf, root / "FI_other", mask=False, bed=None, extra=["--guidelines", profile])
    tampered = root / "FI_tampered"
    shutil.copytree(world.packages[(False, False)]["FI"], tampered)
    frame = pl.read_parquet(tampered / "frequencies.parquet")
    frame.with_columns(pl.col("ac") + (pl.int_range(pl.len()) == 0)).write_parquet(tampered / "frequencies.parquet")
    es = next(c for c in world.countries if c.code == "ES")
    total = fill_tags_vcf(world.bcftools, world.cohort, es, root / "ES.total.vcf.gz", by_group=False)
    bad = tiny_vcf(root / "PT.vcf.gz", "PT", ["chr1\t1000\t.\tA\tG\t.\tPASS\tAC_PT=26;AN_PT=100;AF_PT=0.26",
                                             "chr1\t2000\t.\tC\tT\t.\tPASS\tAC_PT=26;AN_PT=100;AF_PT=0.3"])
    return {"pt37": pt37, "other": other, "tampered": tampered, "total": total, "bad": bad}


Plan = Callable[[Any, Any], list[tuple[str, int, "int | None"]]]


def fine_plan(plan: Plan) -> Plan:
    """goe merge's region plan with every region also cut at 1, 2, 3 and 4 Mbp (where the sites are)."""
    def cut(inputs: Any, assembly: Any) -> list[tuple[str, int, int | None]]:
        out: list[tuple[str, int, int | None]] = []
        for canon, start, end in plan(inputs, assembly):
            for e in (1, 2, 3, 4):
                if start <= e * GRID < (end or assembly.lengths[canon]):
                    out.append((canon, start, e * GRID))
                    start = e * GRID + 1
            out.append((canon, start, end))
        assert len(out) > 15
        return out
    return cut
