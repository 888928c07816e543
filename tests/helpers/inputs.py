"""Inputs built for the exactness tests: goe sample sheets for the 1000 Genomes data, and a
guideline profile without the allele-balance check. Everything is written where the caller
says (a tmp_path), never under tests/data."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

KG = Path(__file__).parents[1] / "data" / "1kg"
GUIDELINES = Path(__file__).parents[2] / "guidelines"
# 1000 Genomes population -> a country (an ISO code; outside Europe, by super population).
POP_COUNTRY = {"FIN": "FI", "GBR": "GB", "IBS": "ES", "TSI": "IT", "CEU": "US"}
SUPER_COUNTRY = {"EAS": "CN", "AFR": "NG", "AMR": "MX", "SAS": "IN", "EUR": "DE"}


def sheet_from_1kg(samples_tsv: Path, out: Path, *, id_is_column: bool = False) -> Path:
    """A goe sheet from a 1kg ``*.samples.tsv``; population -> a country code."""
    with samples_tsv.open() as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    with out.open("w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["sample_id", "vcf_sample_id", "sex", "country", "population"])
        for r in rows:
            vid = r.get("vcf_sample_id") or r["sample_id"]
            country = POP_COUNTRY.get(r["population"], SUPER_COUNTRY[r["super_population"]])
            w.writerow([vid if id_is_column else r["sample_id"], vid, r["sex"], country, r["population"]])
    return out


def chrm_sheet(bcftools: str, out: Path) -> Path:
    """Sheet for the 3 samples of 1kg_2020_chrM, from the IGSR sheet."""
    cols = subprocess.run(
        [bcftools, "query", "-l", str(KG / "1kg_2020_chrM.vcf.gz")], check=True, capture_output=True, text=True
    ).stdout.split()
    with (KG / "igsr_3500_samples.tsv").open() as fh:
        rows = {r["sample_id"]: r for r in csv.DictReader(fh, delimiter="\t") if r["sample_id"] in cols}
    tmp = out.with_suffix(".src.tsv")
    with tmp.open("w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["vcf_sample_id", "sample_id", "sex", "population", "super_population"])
        for c in cols:
            r = rows[c]
            w.writerow([c, c, r["sex"], r["population"], r["super_population"]])
    return sheet_from_1kg(tmp, out)


def profile_without_allele_balance(out: Path) -> Path:
    """The bundled guideline profile less its allele-balance check (GQ and DP mask only)."""
    text = (GUIDELINES / "1mg-proof-draft.toml").read_text()
    blocks = text.split("[[checks]]")
    kept = [b for b in blocks[1:] if 'id = "genotype.allele_balance"' not in b]
    assert len(kept) == len(blocks) - 2
    out.write_text("[[checks]]".join([blocks[0], *kept]))
    return out
