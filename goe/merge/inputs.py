"""Inputs of `goe merge`: national goe packages, or plain sites VCFs in the GDI grammar.

Each input contributes one or more countries. For each country it names the
INFO suffix of its populations (``_FI``, ``_FI_M``, ``_FI_F``), its samples
per sex, and where it was callable. Harmonisation checks run before any work.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyvcf2 import VCF

from goe.cohort.countries import COMMON_MISTAKES, ISO_3166_ALPHA2
from goe.errors import InputError, UsageError, VcfError
from goe.genome.assemblies import ASSEMBLIES, PRIMARY, canonical_contig, get_assembly
from goe.genome.intervals import Intervals, read_bed
from goe.package.finalise import MANIFEST, SITES
from goe.package.grammar import parse_info_id
from goe.package.staging import sha256_file
from goe.vcf.htslib_log import capture_htslib
from goe.vcf.index import find_index
from goe.vcf.records import UnreadableRecord, readable_records

log = logging.getLogger("goe")


class HarmonisationError(InputError):
    """Inputs that cannot be merged as they are."""


@dataclass
class CountryInput:
    """One country inside an input."""

    country: str
    # output label (FI, FI_M, FI_F) -> {(stat, zygosity): INFO ID in the input}, e.g. ("AC", "Het") -> "AC_FI_Het"
    fields: dict[str, dict[tuple[str, str | None], str]]
    samples: dict[str, int] | None  # {"male": m, "female": f}; None until known
    samples_estimated: bool = False  # taken from the largest AN (inputs that do not say)


@dataclass
class MergeInput:
    """One input of the merge."""

    given: str
    sites: Path
    kind: str  # "package" or "vcf"
    assembly: str
    countries: list[CountryInput]
    contigs: dict[str, str]  # canonical contig -> name in the file
    callable: Intervals | None
    assumed: list[str]  # canonical contigs assumed callable over their whole length (no BED)
    sha256: str
    manifest: dict[str, Any] | None = None
    filters: dict[str, str] = field(default_factory=dict)
    source: Path = Path()  # the package folder or VCF given (without "=CC")

    @property
    def profile(self) -> dict[str, Any] | None:
        return self.manifest.get("guidelines") if self.manifest else None

    def provenance(self) -> dict[str, Any]:
        """What the merged manifest records about this input."""
        m = self.manifest or {}
        return {
            "countries": [c.country for c in self.countries],
            "dataset_id": m.get("dataset_id") or (self.source.name if self.kind == "package" else self.sites.name),
            "kind": self.kind,
            "samples": {c.country: c.samples for c in self.countries},
            "guidelines": self.profile,
            "goe_version": m.get("goe_version"),
            "sites_sha256": self.sha256,
            "callable": "regions" if self.callable is not None else "whole contigs assumed",
        }


def _split_spec(spec: str) -> tuple[Path, str | None]:
    """``PATH`` or ``PATH=CC``; CC is checked against the codes the sample sheet accepts, in any case."""
    head, sep, code = spec.rpartition("=")
    # a path that exists as given wins, so that a file named "run=GB" can still be merged
    if not sep or not head or Path(spec).exists() or not re.fullmatch(r"[A-Za-z]*", code):
        return Path(spec), None
    upper = code.upper()
    if upper not in ISO_3166_ALPHA2:
        guess = COMMON_MISTAKES.get(upper)
        raise UsageError(f"{spec}: '{code}' is not an ISO 3166-1 alpha-2 country code",
                         hint=f"did you mean {head}={guess}?" if guess else
                         f"name the country with its two-letter code, e.g. {head}=FI")
    return Path(head), upper


def _assembly_of(vcf: VCF, path: Path) -> str:
    ref = re.search(r"^##reference=(?:file:)?(?:.*/)?([^\s]+)$", vcf.raw_header, re.MULTILINE)
    if ref:
        text = ref.group(1)
        for name in ASSEMBLIES:
            if name.lower() in text.lower():
                return name
        if re.search(r"hg38|b38", text, re.I):
            return "GRCh38"
        if re.search(r"hg19|b37|hs37", text, re.I):
            return "GRCh37"
    lengths = dict(re.findall(r"^##contig=<ID=([^,>]+).*?length=(\d+)", vcf.raw_header, re.MULTILINE))
    for name, asm in ASSEMBLIES.items():
        hits = [c for c, n in lengths.items() if (k := canonical_contig(c)) and asm.lengths[k] == int(n)]
        if hits:
            return name
    raise HarmonisationError(
        f"{path}: cannot tell the assembly (no ##reference line and no contig lengths)",
        hint="add ##reference=GRCh38 (or GRCh37) to the header",
    )


def _verify_package(folder: Path, manifest: dict[str, Any]) -> None:
    for name, meta in manifest.get("files", {}).items():
        f = folder / name
        if not f.exists():
            raise HarmonisationError(f"{folder}: {name} is listed in the manifest but missing",
                                     hint="re-create or re-download the package")
        digest = sha256_file(f)
        if digest != meta.get("sha256"):
            raise HarmonisationError(
                f"{folder}: {name} does not match the sha256 in manifest.json (changed or corrupted after packaging)",
                hint="re-create or re-download the package",
            )


def load_input(spec: str) -> MergeInput:
    """Open one input: a goe package folder or a sites VCF, optionally ``PATH=CC`` to name its country."""
    path, forced = _split_spec(spec)
    manifest: dict[str, Any] | None = None
    if path.is_dir():
        mf = path / MANIFEST
        if not mf.exists():
            raise InputError(
                f"{path}: not a goe package (no manifest.json)", hint="give a package folder or a sites VCF"
            )
        try:
            manifest = json.loads(mf.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{mf}: not valid JSON ({exc})", hint="re-create or re-download the package") from None
        _verify_package(path, manifest)
        sites = path / SITES
    elif path.exists():
        sites = path
    else:
        raise InputError(f"{path}: no such package folder or sites VCF")
    sites = sites.resolve()  # jobs may run on other machines (Dask), in other working directories
    if find_index(sites) is None:
        raise InputError(f"{sites}: no index (.tbi or .csi)", hint=f"create one: bcftools index {sites.name}")
    with capture_htslib():
        try:
            vcf = VCF(str(sites), lazy=True)
        except Exception:  # cyvcf2 raises a bare Exception for a truncated or garbled header
            vcf = None
    if vcf is None:
        raise InputError(f"{sites}: cannot open as a sites VCF/BCF", hint=f"check it with 'goe check {path}'")
    try:
        if vcf.samples:  # the privacy rule: merge never reads, let alone passes on, a sample ID or a genotype
            n = len(vcf.samples)
            raise InputError(f"{sites}: has {n:,} sample column{'s' * (n != 1)} (genotypes); goe merge takes "
                             "sites-only VCFs", hint="share the sites only: bcftools view -G")
        assembly = manifest["assembly"] if manifest else _assembly_of(vcf, sites)
        info_ids = [h.info()["ID"] for h in vcf.header_iter() if h.type == "INFO"]
        filters = {h.info()["ID"]: h.info().get("Description", "").strip('"')
                   for h in vcf.header_iter() if h.type == "FILTER"}
        names = list(vcf.seqnames)
    finally:
        vcf.close()
    contigs = {k: n for n in names if (k := canonical_contig(n)) is not None}
    if not contigs:
        shown = ", ".join(names[:3]) or "none"
        raise HarmonisationError(
            f"{sites}: no contig maps to a primary chromosome of {assembly} (contigs: {shown})",
            hint="goe merges chromosomes 1-22, X, Y and MT, named with or without 'chr'",
        )
    fields = {i: f for i in info_ids if (f := parse_info_id(i)) is not None}
    countries = _countries(sites, fields, manifest, forced, spec, path)
    callable_iv: Intervals | None = None
    assumed: list[str] = []
    entry = (manifest or {}).get("callable") or {}
    if entry.get("file"):
        callable_iv = read_bed(path / entry["file"], get_assembly(assembly))
    else:
        assumed = [c for c in PRIMARY if c in contigs]
    if any(c.samples is None for c in countries):
        _estimate_samples(sites, countries, path)
    return MergeInput(spec, sites, "package" if manifest else "vcf", assembly, countries, contigs, callable_iv,
                      assumed, sha256_file(sites), manifest, filters, path)


def _estimate_samples(sites: Path, countries: list[CountryInput], given: Path) -> None:
    """Samples per sex from the largest autosomal AN, for inputs that do not say (one pass over the file)."""
    best: dict[str, int] = {}
    wanted = {fields[("AN", None)]: label for c in countries if c.samples is None for label, fields in c.fields.items()}
    with capture_htslib():
        vcf = VCF(str(sites), lazy=True)
        try:
            for rec in readable_records(vcf):
                canon = canonical_contig(rec.CHROM)
                if canon is None or canon in ("X", "Y", "MT"):
                    continue
                for info_id, label in wanted.items():
                    an = rec.INFO.get(info_id)
                    if isinstance(an, tuple):
                        an = max(an)
                    if isinstance(an, int) and an > best.get(label, -1):
                        best[label] = an
        except UnreadableRecord as exc:
            before = f"the last readable record is {exc.last.CHROM}:{exc.last.POS}" if exc.last else \
                "no record could be read"
            raise VcfError(f"{sites}: record {exc.n} cannot be read ({before}): the file is truncated or corrupt",
                           hint=f"copy or download it again; see: goe check {given}") from None
        finally:
            vcf.close()
    for c in countries:
        if c.samples is not None:
            continue
        male, female = best.get(f"{c.country}_M", 0) // 2, best.get(f"{c.country}_F", 0) // 2
        if male + female == 0:
            female = best.get(c.country, 0) // 2  # no sex fields: counted as diploid everywhere but Y
        c.samples = {"male": male, "female": female}
        c.samples_estimated = True
        log.warning(
            f"{sites.name}: no sample counts for {c.country}; estimated from the largest AN "
            f"({male} male, {female} female), used for alleles it does not report"
        )


def _countries(sites: Path, fields: dict[str, Any], manifest: dict[str, Any] | None, forced: str | None,
               spec: str, path: Path) -> list[CountryInput]:
    by_label: dict[str, dict[tuple[str, str | None], str]] = {}
    for info_id, f in fields.items():
        by_label.setdefault(f.label, {})[(f.stat, f.zygosity)] = info_id
    labels = {lab for lab, ids in by_label.items() if ("AC", None) in ids and ("AN", None) in ids}
    coded = sorted({lab.split("_")[0] for lab in labels if lab not in ("Total", "M", "F")})
    if forced is not None:
        _check_forced(spec, path, forced, coded, manifest)
        if coded:
            forced = None  # it names what the input says already: read it as if not named
    pops = {p["label"]: p for p in (manifest or {}).get("populations", [])}
    out: list[CountryInput] = []
    if coded and forced is None:
        for c in coded:
            fmap = {lab: by_label[lab] for lab in (c, f"{c}_M", f"{c}_F") if lab in labels}
            samples = {"male": pops[c]["male"], "female": pops[c]["female"]} if c in pops else None
            out.append(CountryInput(c, fmap, samples))
        return out
    if forced is None:
        raise HarmonisationError(
            f"{sites}: its INFO fields carry no country (only AC/AN/AF for all samples)",
            hint=f"name the country on the command line: {sites}=CC",
        )
    if "Total" not in labels:
        raise HarmonisationError(f"{sites}: no AC/AN INFO fields for all samples to take as {forced}")
    fmap = {forced: by_label["Total"]}
    fmap.update({f"{forced}_{s}": by_label[s] for s in ("M", "F") if s in labels})
    samples = {"male": pops["Total"]["male"], "female": pops["Total"]["female"]} if "Total" in pops else None
    return [CountryInput(forced, fmap, samples)]


def _check_forced(spec: str, path: Path, forced: str, coded: list[str], manifest: dict[str, Any] | None) -> None:
    """``=CC`` may only name an input that does not say its country, or repeat what it says."""
    m = manifest or {}
    listed = m.get("countries") or ([m["country"]] if m.get("country") else [])
    said = {str(c) for c in listed if c} | set(coded)
    if not said or said == {forced}:
        return
    sources = " and ".join(w for w, on in (("manifest.json", bool(listed)), ("its INFO fields", bool(coded))) if on)
    what = f"countries are {' and '.join(sorted(said))}" if len(said) > 1 else f"country is {next(iter(said))}"
    raise HarmonisationError(
        f"{spec}: the input says its {what} ({sources}), not {forced}",
        hint=f"=CC only names the country of an input that does not say it; give {path} alone",
    )


def harmonise(inputs: list[MergeInput], allow_mixed_guidelines: bool) -> str:
    """Check the inputs can be merged; return the common assembly. Sorts ``inputs`` by country (in place)."""
    if not inputs:
        raise UsageError("goe merge needs at least one input package")
    assemblies = sorted({i.assembly for i in inputs})
    if len(assemblies) > 1:
        by = ", ".join(f"{i.given} is {i.assembly}" for i in inputs)
        raise HarmonisationError(f"the inputs use different assemblies ({by})",
                                 hint="lift them over to one assembly before merging")
    seen: dict[str, str] = {}
    for i in inputs:
        for c in i.countries:
            if c.country in seen:
                raise HarmonisationError(
                    f"country {c.country} appears twice: in {seen[c.country]} and in {i.given}",
                    hint="give each country's package once",
                )
            seen[c.country] = i.given
    profiles = {json.dumps(i.profile, sort_keys=True) for i in inputs if i.profile}
    if len(profiles) > 1:
        names = ", ".join(sorted({f"{p['name']} {p['version']}" for i in inputs if (p := i.profile)}))
        if not allow_mixed_guidelines:
            raise HarmonisationError(
                f"the inputs were made with different guideline profiles ({names})",
                hint="re-run goe freq with one profile, or accept it with --allow-mixed-guidelines",
            )
        log.warning(f"the inputs were made with different guideline profiles ({names})")
    inputs.sort(key=lambda i: [c.country for c in i.countries])
    return assemblies[0]
