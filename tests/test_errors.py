"""The error catalogue of `goe freq`: every bad input gives one exact line, exit 1, no output.

Each case builds its bad input in ``tmp_path`` (from copies of the real files
in ``tests/data``, or with bcftools) and runs ``goe freq`` in-process. It must
exit 1 with stderr exactly ``error: <message>`` on one line, no traceback,
nothing on stdout, no package in --out and no staging folder beside it.
``{tmp}`` in a message is the test's tmp_path, ``{kg}`` is ``tests/data/1kg``.

Nothing may reach the process's own stderr either (htslib writes to file
descriptor 2 directly, past the CLI runner): ``capfd`` checks that.
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import KG, SMALL_VCF, leftovers, run_goe, sh, write_sheet
from typer.testing import Result

from goe.guidelines.profile import COMPARATORS

Args = list[str | Path]
_NYGC = SMALL_VCF.name


@dataclass
class Env:
    """Where a case builds its files; :meth:`args` is a valid `goe freq` command line."""

    tmp: Path
    bcftools: str = "bcftools"

    @property
    def out(self) -> Path:
        return self.tmp / "pkg"

    def args(self, vcf: Path = SMALL_VCF, *extra: str | Path, sheet: Path | None = None,
             out: Path | None = None) -> Args:
        if sheet is None:
            sheet = self.tmp / "sheet.tsv"
            if not sheet.exists():
                write_sheet(sheet)
        return ["freq", vcf, "--samples", sheet, "--out", out or self.out, "-q", *extra]

    def copy_vcf(self, src: Path = SMALL_VCF, index: bool = True) -> Path:
        dest = self.tmp / src.name
        shutil.copy2(src, dest)
        if index:
            shutil.copy2(src.with_name(src.name + ".csi"), dest.with_name(dest.name + ".csi"))
        return dest

    def bcf(self, *cmd: str | Path) -> None:
        sh(self.bcftools, *cmd)

    def sheet_lines(self, strata: bool = False) -> list[str]:
        return write_sheet(self.tmp / "base.tsv", strata=strata).read_text().splitlines()

    def with_sheet(self, lines: list[str], *extra: str | Path) -> Args:
        sheet = self.tmp / "bad_sheet.tsv"
        sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.args(SMALL_VCF, *extra, sheet=sheet)


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Env], Args]
    message: str  # the exact message after "error: "
    tools: bool = False


# ------------------------------------------------------------------ VCF/BCF input


def _vcf_bytes(name: str, make: Callable[[bytes], bytes]) -> Callable[[Env], Args]:
    """A VCF named ``name`` whose bytes are ``make(bytes of the small VCF)``, with its index if any."""

    def build(e: Env) -> Args:
        vcf = e.copy_vcf() if name == SMALL_VCF.name else e.tmp / name
        vcf.write_bytes(make(SMALL_VCF.read_bytes()))
        return e.args(vcf)

    return build


def _garbage_index(e: Env) -> Args:
    vcf = e.copy_vcf(index=False)
    vcf.with_name(vcf.name + ".csi").write_bytes(b"this is not an index\n")
    return e.args(vcf)


def _foreign_index(e: Env) -> Args:
    """A valid index, but of another file (contig 22, not chr22)."""
    vcf = e.copy_vcf(index=False)
    tbi = vcf.with_name(vcf.name + ".tbi")
    shutil.copyfile(KG / "hail_sample2.vcf.gz.tbi", tbi)
    return e.args(vcf)


def _corrupt_block(e: Env) -> Args:
    """Bytes flipped inside the last data block; the BGZF EOF marker is intact."""
    vcf = e.copy_vcf()
    data = bytearray(vcf.read_bytes())
    for i in range(len(data) - 1500, len(data) - 1300):
        data[i] ^= 0x55
    vcf.write_bytes(bytes(data))
    os.utime(vcf.with_name(vcf.name + ".csi"))
    return e.args(vcf)


def _no_gt(e: Env) -> Args:
    vcf = e.tmp / "no_gt.vcf.gz"
    e.bcf("annotate", "-x", "FORMAT/GT", SMALL_VCF, "-Oz", "-o", vcf)
    e.bcf("index", vcf)
    return e.args(vcf)


def _no_samples(e: Env) -> Args:
    sites = e.tmp / "sites0.vcf.gz"
    e.bcf("view", "-G", SMALL_VCF, "-Oz", "-o", sites)
    hdr = e.tmp / "gt.hdr"
    hdr.write_text('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    vcf = e.tmp / "no_samples.vcf.gz"
    e.bcf("annotate", "-h", hdr, sites, "-Oz", "-o", vcf)
    e.bcf("index", vcf)
    return e.args(vcf)


def _header_only(src: Path, samples_tsv: Path | None = None) -> Callable[[Env], Args]:
    def build(e: Env) -> Args:
        vcf = e.tmp / "empty.vcf.gz"
        e.bcf("view", "-h", src, "-Oz", "-o", vcf)
        e.bcf("index", vcf)
        sheet = write_sheet(e.tmp / "s.tsv", samples_tsv) if samples_tsv else None
        return e.args(vcf, sheet=sheet)

    return build


def _renamed(new: str) -> Callable[[Env], Args]:
    def build(e: Env) -> Args:
        names = e.tmp / "rename.txt"
        names.write_text(f"chr22 {new}\n")
        vcf = e.tmp / "renamed.vcf.gz"
        e.bcf("annotate", "--rename-chrs", names, SMALL_VCF, "-Oz", "-o", vcf)
        e.bcf("index", vcf)
        return e.args(vcf)

    return build


def _grch37(e: Env) -> Args:
    sheet = write_sheet(e.tmp / "p3.tsv", KG / "phase3_1126_allchr.samples.tsv")
    return e.args(KG / "phase3_1126_allchr.vcf.gz", sheet=sheet)


_EMPTY = "{tmp}/empty.vcf.gz: the file holds no variant records; check it: bcftools view -H empty.vcf.gz | head"
_NO_PRIMARY = ("{{tmp}}/renamed.vcf.gz: no record lies on a primary chromosome of GRCh38 (contigs: {}); "
               "goe keeps chromosomes 1-22, X, Y and MT, named with or without 'chr'")
VCF_CASES = [
    Case("vcf-not-found", lambda e: e.args(e.tmp / "nowhere.vcf.gz"), "{tmp}/nowhere.vcf.gz: file not found"),
    Case("vcf-is-folder", lambda e: e.args(e.tmp), "{tmp}: is a folder, not a VCF/BCF file"),
    Case("missing-index", lambda e: e.args(e.copy_vcf(index=False)),
         f"{{tmp}}/{_NYGC}: no index (.tbi or .csi) next to the file; create one: bcftools index {_NYGC}"),
    Case("truncated-bgzip", _vcf_bytes(_NYGC, lambda b: b[:-5000]),
         f"{{tmp}}/{_NYGC}: the file is truncated (no BGZF end-of-file marker); "
         "copy or download it again, then check it with 'bcftools view -h'"),
    Case("plain-gzip", _vcf_bytes("plain.vcf.gz", lambda b: gzip.compress(gzip.decompress(b))),
         "{tmp}/plain.vcf.gz: compressed with plain gzip, not bgzip; "
         "recompress: zcat plain.vcf.gz | bgzip > fixed.vcf.gz && tabix -p vcf fixed.vcf.gz"),
    Case("uncompressed-vcf", _vcf_bytes("cohort.vcf", gzip.decompress),
         "{tmp}/cohort.vcf: not compressed; compress and index it: bgzip cohort.vcf && tabix -p vcf cohort.vcf.gz"),
    Case("text-file-as-vcf", lambda e: e.args(write_sheet(e.tmp / "cohort.tsv")),
         "{tmp}/cohort.tsv: not a VCF or BCF file; give the joint-called cohort as VCF.gz or BCF"),
    Case("index-garbage", _garbage_index,
         f"{{tmp}}/{_NYGC}.csi: not a valid tabix/CSI index; re-create it: bcftools index -f {_NYGC}"),
    Case("index-of-another-file", _foreign_index,
         f"{{tmp}}/{_NYGC}: its index does not match the file ([E::get_intv] Failed to parse TBX_VCF, was wrong "
         f"-p [type] used?); re-create it: bcftools index -f {_NYGC}"),
    Case("corrupt-bgzf-block", _corrupt_block,
         f"{{tmp}}/{_NYGC}: cannot read the records in chr22:1- ([E::bgzf_uncompress] Inflate operation "
         f"failed: 1); the file may be corrupt (check it with 'bcftools view {_NYGC} > /dev/null', copy it "
         f"again) or its index stale (re-create it: bcftools index -f {_NYGC})"),
    Case("no-format-gt", _no_gt, "{tmp}/no_gt.vcf.gz: no FORMAT/GT in the header, so there are no genotypes "
         "to count; give the joint-called VCF with genotypes, not a sites-only file", tools=True),
    Case("no-samples", _no_samples,
         "{tmp}/no_samples.vcf.gz: the VCF has no sample columns; goe freq needs the joint-called genotypes",
         tools=True),
    Case("header-only", _header_only(SMALL_VCF), _EMPTY, tools=True),
    # GT only: the mask and filters of the profile do not apply, but no warning comes before the error.
    Case("header-only-gt-only-vcf", _header_only(KG / "eur300_chr20.vcf.gz", KG / "eur300_chr20.samples.tsv"),
         _EMPTY, tools=True),
    Case("contig-refseq-name", _renamed("NC_000022.11"),
         _NO_PRIMARY.format("NC_000022.11"), tools=True),
    Case("contig-chrUn", _renamed("chrUn_xyz"),
         _NO_PRIMARY.format("chrUn_xyz"), tools=True),
    Case("grch37-lengths-default-grch38", _grch37, "{kg}/phase3_1126_allchr.vcf.gz: contig 1 has length 249,250,621 "
         "in the VCF header, but 248,956,422 in GRCh38; it looks like GRCh37: rerun with --assembly GRCh37"),
]

# ------------------------------------------------------------------ sample sheet, --keep


def _edit(lineno: int, old: str, new: str) -> Callable[[Env], Args]:
    def build(e: Env) -> Args:
        lines = e.sheet_lines()
        lines[lineno - 1] = lines[lineno - 1].replace(old, new)
        return e.with_sheet(lines)

    return build


def _dup_id(e: Env) -> Args:
    lines = e.sheet_lines()
    lines.insert(4, lines[2])
    return e.with_sheet(lines)


def _dup_vcf_id(e: Env) -> Args:
    lines = ["sample_id\tsex\tcountry\tvcf_sample_id", "P1\tmale\tGB\tHG00096",
             "P2\tfemale\tGB\tHG00097", "P3\tfemale\tGB\tHG00096"]
    return e.with_sheet(lines)


def _not_utf8(e: Env) -> Args:
    sheet = e.tmp / "latin1.tsv"
    sheet.write_bytes("sample_id\tsex\tcountry\nHG00096\tmännlich\tDE\n".encode("latin-1"))
    return e.args(SMALL_VCF, sheet=sheet)


def _keep(text: str | None) -> Callable[[Env], Args]:
    def build(e: Env) -> Args:
        keep = e.tmp / "keep.txt"
        if text is None:
            keep.mkdir()
        else:
            keep.write_text(text)
        return e.args(SMALL_VCF, "--keep", keep)

    return build


_SHEET = "{tmp}/bad_sheet.tsv"
SHEET_CASES = [
    Case("sheet-not-found", lambda e: e.args(sheet=e.tmp / "nope.tsv"),
         "{tmp}/nope.tsv: sample sheet not found; check the --samples path"),
    Case("sheet-empty", lambda e: e.with_sheet(["", "## comment only"]),
         f"{_SHEET}: the sample sheet is empty; give a header line and one row per sample"),
    Case("sheet-header-only", lambda e: e.with_sheet(["sample_id\tsex\tcountry"]),
         f"{_SHEET}: the sample sheet has a header but no samples"),
    Case("sheet-not-utf8", _not_utf8, "{tmp}/latin1.tsv line 2: not UTF-8 (byte 0xe4); save the sheet as UTF-8"),
    Case("sheet-missing-column", lambda e: e.with_sheet([ln.rsplit("\t", 1)[0] for ln in e.sheet_lines()]),
         f"{_SHEET} line 1: missing column(s) country; "
         "the header needs sample_id, sex and country (vcf_sample_id is optional)"),
    Case("sheet-duplicate-sample-id", _dup_id,
         f"{_SHEET} line 5: duplicate sample_id 'HG00097' (first on line 3); each sample must appear once"),
    Case("sheet-duplicate-vcf-sample-id", _dup_vcf_id, f"{_SHEET} line 4: duplicate vcf_sample_id 'HG00096' "
         "(first on line 2); each VCF column can belong to one sample only"),
    Case("sheet-unknown-sex", _edit(3, "female", "unknown"),
         f"{_SHEET} line 3: unknown sex 'unknown' for sample 'HG00097'; use male/female, M/F, XY/XX or 1/2"),
    Case("sheet-country-UK", _edit(2, "\tGB", "\tUK"),
         f"{_SHEET} line 2: invalid country code 'UK' for sample 'HG00096'; did you mean GB?"),
    Case("sheet-country-lowercase", _edit(2, "\tGB", "\tgb"),
         f"{_SHEET} line 2: invalid country code 'gb' for sample 'HG00096'; did you mean GB?"),
    Case("sheet-field-count", _edit(5, "\tGB", "\tGB\textra"),
         f"{_SHEET} line 5: 4 fields, but the header has 3; check for a missing or extra separator"),
    Case("sheet-sample-not-in-vcf", lambda e: e.with_sheet([*e.sheet_lines(), "HG99999\tfemale\tGB"]),
         f"{_SHEET} line 102: sample 'HG99999' is not in {_NYGC}; "
         "fix sample_id/vcf_sample_id, or leave the sample out with --keep"),
    # rich markup in a message is shown literally
    Case("sheet-value-in-brackets", _edit(2, "male", "[male]"),
         f"{_SHEET} line 2: unknown sex '[male]' for sample 'HG00096'; use male/female, M/F, XY/XX or 1/2"),
    Case("sheet-value-closing-tag", _edit(2, "male", "[/male]"),
         f"{_SHEET} line 2: unknown sex '[/male]' for sample 'HG00096'; use male/female, M/F, XY/XX or 1/2"),
    Case("keep-unknown-id", _keep("HG00096\nHG00097\nNA00000\n"),
         "{tmp}/keep.txt line 3: sample 'NA00000' is not in the sample sheet {tmp}/sheet.tsv; "
         "the keep list must use sample_id values from the sheet"),
    Case("keep-not-found", lambda e: e.args(SMALL_VCF, "--keep", e.tmp / "k.txt"),
         "{tmp}/k.txt: --keep file not found"),
    Case("keep-names-no-sample", _keep("# nobody\n\n"), "{tmp}/keep.txt: the --keep list names no sample"),
    Case("keep-is-folder", _keep(None),
         "{tmp}/keep.txt: --keep needs a file (one sample ID per line), not a folder"),
]

# ------------------------------------------------------------------ output and options


def _out_with(names: list[str], *extra: str) -> Callable[[Env], Args]:
    def build(e: Env) -> Args:
        e.out.mkdir()
        for name in names:
            (e.out / name).write_text("mine\n")
        return e.args(SMALL_VCF, *extra)

    return build


def _file(name: str) -> Callable[[Env], Path]:
    def make(e: Env) -> Path:
        (e.tmp / name).write_text("not a folder\n")
        return e.tmp / name

    return make


def _profile(text: str) -> Callable[[Env], Args]:
    def build(e: Env) -> Args:
        toml = e.tmp / "bad.toml"
        toml.write_text(text)
        return e.args(SMALL_VCF, "--guidelines", toml)

    return build


def _one_country(e: Env) -> Args:
    """Sheet and VCF both hold only the GB samples."""
    lines = [ln for ln in e.sheet_lines() if not ln.endswith("\tFI")]
    ids = e.tmp / "gb.txt"
    ids.write_text("".join(ln.split("\t")[0] + "\n" for ln in lines[1:]))
    vcf = e.tmp / "gb.vcf.gz"
    e.bcf("view", "-S", ids, SMALL_VCF, "-Oz", "-o", vcf)
    e.bcf("index", vcf)
    args = e.with_sheet(lines, "--country", "DE")
    args[1] = vcf
    return args


_META = '[profile]\nname = "x"\nversion = "1"\n'
_CHECK = ('[[checks]]\nid = "genotype.gq"\nlevel = "genotype"\nmetric = "FORMAT/GQ"\n'
          'threshold = 20\nseverity = "fail"\n')
_TOML = "{tmp}/bad.toml"
OPTION_CASES = [
    Case("out-under-a-file", lambda e: e.args(out=_file("file.txt")(e) / "out"),
         "{tmp}/file.txt/out: cannot create the output folder, {tmp}/file.txt is a file; choose another --out"),
    Case("out-is-a-file", lambda e: e.args(out=_file("out.txt")(e)),
         "{tmp}/out.txt: exists and is not a folder; choose another --out"),
    Case("out-not-empty", _out_with(["notes.txt"]),
         "{tmp}/pkg: folder exists and is not empty; use --force to replace it, or choose another --out"),
    Case("force-on-foreign-folder", _out_with(["notes.txt"], "--force"), "{tmp}/pkg: folder is not empty and holds "
         "no goe output; refusing to replace it even with --force; choose another --out"),
    Case("guidelines-unknown-name", lambda e: e.args(SMALL_VCF, "--guidelines", "no-such"),
         "guideline profile 'no-such' not found; give a TOML file or one of: 1mg-proof-draft"),
    Case("guidelines-check-without-source", _profile(_META + _CHECK + 'comparator = ">="\n'),
         f"{_TOML}: check 1 (genotype.gq): 'source' is required (a non-empty string)"),
    Case("guidelines-bad-comparator", _profile(_META + _CHECK + 'comparator = "=>"\nsource = "s"\n'),
         f"{_TOML}: check 1 (genotype.gq): comparator '=>' is not one of " + " ".join(COMPARATORS)),
    Case("guidelines-not-toml", _profile("[profile\nname = 1\n"),
         f"{_TOML}: not valid TOML (Expected ']' at the end of a table declaration (at line 1, column 9))"),
    Case("guidelines-no-profile-table", _profile(_CHECK + 'comparator = ">="\nsource = "s"\n'),
         f"{_TOML}: missing [profile] table; see guidelines/README.md"),
    Case("group-by-unknown-column", lambda e: e.args(SMALL_VCF, "--group-by", "region"),
         "--group-by region: no such column in the sample sheet; extra columns available: population"),
    Case("group-by-reserved-column", lambda e: e.args(SMALL_VCF, "--group-by", "country"),
         "--group-by country: goe already groups by country and sex; "
         "--group-by takes extra sample-sheet columns: population"),
    Case("assembly-unknown", lambda e: e.args(SMALL_VCF, "--assembly", "hg18"),
         "unknown assembly 'hg18'; use --assembly GRCh38 or --assembly GRCh37"),
    Case("partition-size-not-a-size", lambda e: e.args(SMALL_VCF, "--partition-size", "lots"),
         "--partition-size lots: not a size; write it like 512K, 16M or 1G"),
    Case("country-differs-from-sheet", _one_country,
         "--country DE, but every sample in the sheet is from GB; set --country GB or leave it out", tools=True),
    Case("country-absent-from-multi-country-sheet", lambda e: e.args(SMALL_VCF, "--country", "DE"),
         "--country DE, but no sample in the sheet is from DE; give one of FI, GB, or leave --country out"),
]

CASES = VCF_CASES + SHEET_CASES + OPTION_CASES


def test_catalogue_size() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 15


def _snapshot(out: Path) -> object:
    """What is at ``out``: nothing, a file's bytes, or a folder's listing."""
    if out.is_file():
        return out.read_bytes()
    if out.is_dir():
        return sorted(p.name for p in out.iterdir())
    return None


def _run(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Result, Path, object]:
    """Build the case and run goe: the result, --out, and what was at --out before."""
    env = Env(tmp_path)
    if case.tools:
        env.bcftools = request.getfixturevalue("bcftools")
    args = case.build(env)
    out = Path(args[args.index("--out") + 1])
    before = _snapshot(out)
    return run_goe(args), out, before


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, request: pytest.FixtureRequest,
                   capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    result, out, before = _run(case, tmp_path, request)

    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr == f"error: {case.message.format(tmp=tmp_path, kg=KG)}\n"
    assert result.exit_code == 1
    assert result.stdout == ""
    assert capfd.readouterr() == ("", "")  # nothing (htslib) written past the CLI to the real fds
    # no output package, no staging folder; a folder that was there is untouched
    assert _snapshot(out) == before
    assert not (out / "sites.vcf.gz").exists()
    assert leftovers(out) == []
    if out.parent.is_dir():
        assert list(out.parent.glob(".*goe-tmp*")) == []
