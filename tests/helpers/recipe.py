"""The GoE bcftools recipe, run with the real tools, as the reference goe must equal.

    bcftools view -S samples.txt                     (the sheet's VCF columns)
  | bcftools norm -m -any                            (one record per ALT)
  | bcftools +setGT -- -t q -n . -i MASK             (only when masking)
  | bcftools +fixploidy -- -p ploidy.txt -s sex.txt
  | bcftools +fill-tags -- -S groups.txt -t AN,AC,AF,AC_Hom,AC_Het,AC_Hemi,NS,HWE
  | bcftools view -G -Ob                             (sites only, float32 kept exact)

MASK (each part only when the VCF has the FORMAT field, as goe does):
``FMT/GQ<20 | FMT/DP<10 | (GT="het" & (AB<0.2 | AB>0.8))`` with
``AB = FMT/AD[:1]/(FMT/AD[:0]+FMT/AD[:1])``. Checked on a tiny VCF in the tests:
bcftools 1.16 evaluates it per sample; a missing value, or AD 0,0, masks nothing;
half-missing calls (``0/.``) are not "het".

Sample names must be at least 3 characters long: +fill-tags -S cannot parse shorter ones.
"""

from __future__ import annotations

import csv
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cyvcf2 import VCF

Key = tuple[str, int, str, str]  # chrom, pos, ref, alt
Counts = dict[str, float]  # ac, an, af, ac_hom, ac_het, ac_hemi, ns, hwe

PAR_X = {
    "GRCh38": ((10001, 2781479), (155701383, 156030895)),
    "GRCh37": ((60001, 2699520), (154931044, 155260560)),
}
LENGTHS = {
    "GRCh38": {"X": 156040895, "Y": 57227415, "MT": 16569},
    "GRCh37": {"X": 155270560, "Y": 59373566, "MT": 16569},
}
TAGS = "AN,AC,AF,AC_Hom,AC_Het,AC_Hemi,NS,HWE"
AB = "FMT/AD[:1]/(FMT/AD[:0]+FMT/AD[:1])"
SEX_WORDS = {"male": "M", "m": "M", "xy": "M", "1": "M", "female": "F", "f": "F", "xx": "F", "2": "F"}
# (statistic, +fill-tags INFO stem): AC_Het_FI_M is stem "AC_Het" + suffix "_FI_M".
STEMS = (
    ("ac", "AC"),
    ("an", "AN"),
    ("af", "AF"),
    ("ac_hom", "AC_Hom"),
    ("ac_het", "AC_Het"),
    ("ac_hemi", "AC_Hemi"),
    ("ns", "NS"),
    ("hwe", "HWE"),
)


@dataclass(frozen=True)
class RecipeSample:
    """One sample as the recipe sees it: VCF column, sex (M/F), country."""

    vcf_id: str
    sex: str
    country: str


@dataclass
class RecipeResult:
    """Per allele and group label (Total, M, F, FI, FI_M, ...): the recipe's numbers."""

    counts: dict[Key, dict[str, Counts]]
    groups: list[str]
    duplicates: list[Key] = field(default_factory=list)
    skipped_alts: int = 0
    non_primary_alleles: int = 0  # on contigs other than 1-22, X, Y, MT (goe drops them)
    mask_expr: str | None = None


def is_primary(contig: str) -> bool:
    """1-22, X, Y, MT (or M), with or without 'chr'."""
    base = contig[3:] if contig.lower().startswith("chr") else contig
    return base.upper() in {*(str(i) for i in range(1, 23)), "X", "Y", "M", "MT"}


def read_sheet(path: Path) -> list[RecipeSample]:
    """The samples of a goe sample sheet (TSV or CSV), read independently of goe."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    delim = "\t" if "\t" in text[0] else ","
    out = []
    for row in csv.DictReader(text, delimiter=delim):
        vid = (row.get("vcf_sample_id") or "").strip() or row["sample_id"].strip()
        out.append(RecipeSample(vid, SEX_WORDS[row["sex"].strip().lower()], row["country"].strip()))
    return out


def group_labels(samples: list[RecipeSample]) -> list[str]:
    """Total, M, F, each country, each country_sex: the non-empty ones."""
    labels = ["Total"] + sorted({s.sex for s in samples}, key="MF".index)
    for c in sorted({s.country for s in samples}):
        labels.append(c)
        labels += [f"{c}_{x}" for x in "MF" if any(s.country == c and s.sex == x for s in samples)]
    return labels


def ploidy_lines(contigs: list[str], assembly: str) -> list[str]:
    """+fixploidy rules (1-based, inclusive): males haploid on non-PAR X (before PAR1,
    between the PARs, after PAR2) and on Y, females absent on Y, MT haploid for both."""
    (p1s, p1e), (p2s, p2e) = PAR_X[assembly]
    lengths = LENGTHS[assembly]
    lines = []
    for name in contigs:
        base = name[3:] if name.lower().startswith("chr") else name
        base = base.upper()
        if base == "X":
            for lo, hi in ((1, p1s - 1), (p1e + 1, p2s - 1), (p2e + 1, lengths["X"])):
                lines.append(f"{name}\t{lo}\t{hi}\tM\t1")
        elif base == "Y":
            lines += [f"{name}\t1\t{lengths['Y']}\tM\t1", f"{name}\t1\t{lengths['Y']}\tF\t0"]
        elif base in ("M", "MT"):
            lines += [f"{name}\t1\t{lengths['MT']}\tM\t1", f"{name}\t1\t{lengths['MT']}\tF\t1"]
    return lines


def mask_expression(format_fields: set[str], checks: tuple[str, ...] = ("GQ", "DP", "AD")) -> str | None:
    """The setGT -i expression for the ``checks`` whose FORMAT field is present; None if none."""
    have = format_fields & set(checks)
    parts = []
    if "GQ" in have:
        parts.append("FMT/GQ<20")
    if "DP" in have:
        parts.append("FMT/DP<10")
    if "AD" in have:
        parts.append(f'(GT="het" & ({AB}<0.2 | {AB}>0.8))')
    return " | ".join(parts) or None


def _header(bcftools: str, vcf: Path) -> tuple[list[str], set[str]]:
    text = subprocess.run([bcftools, "view", "-h", str(vcf)], check=True, capture_output=True, text=True).stdout
    contigs = [
        ln.split("ID=", 1)[1].split(",", 1)[0].rstrip(">") for ln in text.splitlines() if ln.startswith("##contig=")
    ]
    fmt = {ln.split("ID=", 1)[1].split(",", 1)[0] for ln in text.splitlines() if ln.startswith("##FORMAT=")}
    return contigs, fmt


def _q(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


@dataclass
class PendingRecipe:
    """A recipe pipeline running in the background (so goe can run meanwhile)."""

    proc: subprocess.Popen[str]
    command: str
    out: Path
    groups: list[str]
    mask_expr: str | None

    def wait(self) -> RecipeResult:
        self.proc.wait()
        if self.proc.returncode:
            stderr = (self.out.parent / "recipe.log").read_text()
            raise RuntimeError(f"recipe failed ({self.proc.returncode}):\n{self.command}\n{stderr}")
        result = parse_recipe_output(self.out, self.groups)
        result.mask_expr = self.mask_expr
        return result


def start_recipe(
    bcftools: str,
    vcf: Path,
    samples: list[RecipeSample],
    assembly: str,
    mask: bool,
    workdir: Path,
    mask_checks: tuple[str, ...] = ("GQ", "DP", "AD"),
) -> PendingRecipe:
    """Start the recipe on ``vcf`` for ``samples`` in ``workdir``; ``.wait()`` parses its output.

    ``mask_checks``: the parts of the mask to apply (GQ, DP, AD = allele balance)."""
    workdir.mkdir(parents=True, exist_ok=True)
    contigs, fmt = _header(bcftools, vcf)
    (workdir / "samples.txt").write_text("".join(f"{s.vcf_id}\n" for s in samples))
    (workdir / "sex.txt").write_text("".join(f"{s.vcf_id}\t{s.sex}\n" for s in samples))
    (workdir / "groups.txt").write_text(
        "".join(f"{s.vcf_id}\t{s.country},{s.sex},{s.country}_{s.sex}\n" for s in samples)
    )
    (workdir / "ploidy.txt").write_text("".join(f"{ln}\n" for ln in ploidy_lines(contigs, assembly)))
    b = _q(bcftools)
    out = workdir / "recipe.bcf"
    steps = [f"{b} view --no-version -Ou -S samples.txt {_q(str(vcf.resolve()))}", f"{b} norm --no-version -Ou -m -any"]
    expr = mask_expression(fmt, mask_checks) if mask else None
    if expr:
        steps.append(f"{b} +setGT --no-version -Ou -- -t q -n . -i {_q(expr)}")
    steps += [
        f"{b} +fixploidy --no-version -Ou -- -p ploidy.txt -s sex.txt",
        f"{b} +fill-tags --no-version -Ou -- -S groups.txt -t {TAGS}",
        f"{b} view --no-version -G -Ob -o {out.name}",
    ]
    command = " | ".join(steps)
    with (workdir / "recipe.log").open("w") as log:  # a file, not a pipe: no stall while goe runs
        proc = subprocess.Popen(
            ["bash", "-o", "pipefail", "-c", command], cwd=workdir, stdout=subprocess.DEVNULL, stderr=log, text=True
        )
    return PendingRecipe(proc, command, out, group_labels(samples), expr)


def run_recipe(
    bcftools: str,
    vcf: Path,
    samples: list[RecipeSample],
    assembly: str,
    mask: bool,
    workdir: Path,
    mask_checks: tuple[str, ...] = ("GQ", "DP", "AD"),
) -> RecipeResult:
    """Run the recipe on ``vcf`` for ``samples``; parse its output (skipping ``*``/symbolic ALTs)."""
    return start_recipe(bcftools, vcf, samples, assembly, mask, workdir, mask_checks).wait()


def _value(v: object) -> float:
    if v is None:
        return math.nan
    if isinstance(v, tuple):
        return _value(v[0]) if len(v) == 1 else math.nan
    return float(v)  # type: ignore[arg-type]


def parse_recipe_output(path: Path, groups: list[str]) -> RecipeResult:
    """Read the recipe's split sites file into {(chrom, pos, ref, alt): {group: counts}}."""
    ids = [(stat, stem + ("" if g == "Total" else f"_{g}")) for g in groups for stat, stem in STEMS]
    counts: dict[Key, dict[str, Counts]] = {}
    dups: list[Key] = []
    skipped = other = 0
    vcf = VCF(str(path))
    try:
        for rec in vcf:
            alts = rec.ALT
            if len(alts) != 1:
                raise AssertionError(f"recipe output not split at {rec.CHROM}:{rec.POS}")
            alt = alts[0]
            if not is_primary(rec.CHROM):
                other += 1
                continue
            if not alt or alt == "*" or alt.startswith("<") or "[" in alt or "]" in alt or alt == ".":
                skipped += 1
                continue
            key = (rec.CHROM, rec.POS, rec.REF.upper(), alt.upper())
            if key in counts:
                dups.append(key)
                continue
            info = dict(rec.INFO)
            vals = [_value(info.get(iid)) for _, iid in ids]
            per: dict[str, Counts] = {}
            k = 0
            for g in groups:
                per[g] = {stat: vals[k + j] for j, (stat, _) in enumerate(STEMS)}
                k += len(STEMS)
            counts[key] = per
    finally:
        vcf.close()
    return RecipeResult(counts, groups, dups, skipped, other)


def biallelic_keys(bcftools: str, vcf: Path) -> set[Key]:
    """(chrom, pos, REF, ALT) of the input records with exactly one ALT."""
    text = subprocess.run(
        [bcftools, "query", "-f", r"%CHROM\t%POS\t%REF\t%ALT\n", str(vcf)], check=True, capture_output=True, text=True
    ).stdout
    out: set[Key] = set()
    for line in text.splitlines():
        chrom, pos, ref, alt = line.split("\t")
        if "," not in alt:
            out.add((chrom, int(pos), ref.upper(), alt.upper()))
    return out
