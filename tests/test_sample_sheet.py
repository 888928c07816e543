"""Unit tests of the sample sheet (goe.cohort.sheet) and the population groups (goe.cohort.groups)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from goe.cohort.groups import build_groups
from goe.cohort.sheet import Sample, SampleSheet, parse_sex, read_keep_list, read_sample_sheet
from goe.errors import SampleSheetError, UsageError

ROWS = [
    ("HG00096", "male", "GB"),
    ("HG00097", "female", "GB"),
    ("HG00171", "female", "FI"),
]


def _write(tmp_path: Path, text: str, name: str = "sheet.tsv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def _tsv(rows: Sequence[tuple[str, ...]], header: str = "sample_id\tsex\tcountry") -> str:
    return "\n".join([header, *("\t".join(r) for r in rows)]) + "\n"


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize(("name", "sep"), [("sheet.tsv", "\t"), ("sheet.csv", ","), ("sheet.txt", ",")])
def test_tsv_and_csv_read_the_same(tmp_path: Path, name: str, sep: str) -> None:
    text = "\n".join(sep.join(r) for r in [("sample_id", "sex", "country"), *ROWS]) + "\n"
    sheet = read_sample_sheet(_write(tmp_path, text, name))
    assert [(s.sample_id, s.sex, s.country, s.line) for s in sheet.samples] == [
        ("HG00096", "M", "GB", 2), ("HG00097", "F", "GB", 3), ("HG00171", "F", "FI", 4)]
    assert sheet.extra_columns == ()
    assert sheet.path == tmp_path / name


def test_column_order_is_free_and_csv_quotes_work(tmp_path: Path) -> None:
    text = 'country,region,sample_id,sex\nGB,"Wales, south",HG00096,male\nFI,north,HG00171,female\n'
    sheet = read_sample_sheet(_write(tmp_path, text, "s.csv"))
    assert sheet.samples[0].extra == {"region": "Wales, south"}
    assert sheet.samples[1].sample_id == "HG00171"


@pytest.mark.parametrize(
    ("value", "sex"),
    [("male", "M"), ("female", "F"), ("M", "M"), ("F", "F"), ("m", "M"), ("f", "F"),
     ("XY", "M"), ("XX", "F"), ("xy", "M"), ("xX", "F"), ("1", "M"), ("2", "F"),
     ("MALE", "M"), ("Female", "F"), (" male ", "M")],
)
def test_sex_spellings(tmp_path: Path, value: str, sex: str) -> None:
    assert parse_sex(value) == sex
    sheet = read_sample_sheet(_write(tmp_path, _tsv([("S1", value, "DE")])))
    assert sheet.samples[0].sex == sex


@pytest.mark.parametrize("value", ["", "0", "u", "unknown", "intersex", "mal", "3", "fm"])
def test_unknown_sex_values(value: str) -> None:
    assert parse_sex(value) is None


def test_vcf_sample_id_defaults_to_sample_id(tmp_path: Path) -> None:
    sheet = read_sample_sheet(_write(tmp_path, _tsv(ROWS)))
    assert [s.vcf_sample_id for s in sheet.samples] == [s.sample_id for s in sheet.samples]


def test_vcf_sample_id_used_when_given(tmp_path: Path) -> None:
    text = _tsv([("P1", "male", "GB", "C1046::HG00096"), ("P2", "female", "GB", "")],
                header="sample_id\tsex\tcountry\tvcf_sample_id")
    sheet = read_sample_sheet(_write(tmp_path, text))
    assert [(s.sample_id, s.vcf_sample_id) for s in sheet.samples] == [
        ("P1", "C1046::HG00096"), ("P2", "P2")]  # a blank vcf_sample_id falls back to sample_id
    assert sheet.extra_columns == ()
    assert sheet.samples[0].extra == {}


def test_extra_columns_are_strata(tmp_path: Path) -> None:
    text = _tsv([("S1", "male", "FI", "north", "30-39"), ("S2", "female", "FI", "", "40-49")],
                header="sample_id\tsex\tcountry\tregion\tage_band")
    sheet = read_sample_sheet(_write(tmp_path, text))
    assert sheet.extra_columns == ("region", "age_band")
    assert sheet.samples[0].extra == {"region": "north", "age_band": "30-39"}
    assert sheet.samples[1].extra == {"region": "", "age_band": "40-49"}


def test_blank_lines_comments_bom_and_spaces(tmp_path: Path) -> None:
    text = ("## written by hand\nsample_id\tsex\tcountry\n\n HG00096 \t male\tGB\n   \n"
            "## a comment\nHG00097\tF\tGB\n\n")
    sheet = read_sample_sheet(_write(tmp_path, text, bom=True))
    assert [(s.sample_id, s.sex, s.line) for s in sheet.samples] == [("HG00096", "M", 4), ("HG00097", "F", 7)]


@pytest.mark.parametrize("header", ["#sample_id\tsex\tcountry", "# sample_id\tsex\tcountry"])
def test_header_with_hash(tmp_path: Path, header: str) -> None:
    sheet = read_sample_sheet(_write(tmp_path, _tsv(ROWS, header=header)))
    assert [(s.sample_id, s.sex, s.country) for s in sheet.samples] == [
        ("HG00096", "M", "GB"), ("HG00097", "F", "GB"), ("HG00171", "F", "FI")]


def test_bom_on_the_header(tmp_path: Path) -> None:
    sheet = read_sample_sheet(_write(tmp_path, _tsv(ROWS), bom=True))
    assert len(sheet.samples) == 3


def test_restrict_and_by_id(tmp_path: Path) -> None:
    sheet = read_sample_sheet(_write(tmp_path, _tsv(ROWS)))
    small = sheet.restrict({"HG00097", "nobody"})
    assert [s.sample_id for s in small.samples] == ["HG00097"]
    assert set(sheet.by_id()) == {"HG00096", "HG00097", "HG00171"}


# ------------------------------------------------------------------ errors, each with its line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "{p}: the sample sheet is empty; give a header line and one row per sample"),
        ("\n\n## only comments\n", "{p}: the sample sheet is empty; give a header line and one row per sample"),
        ("sample_id\tsex\tcountry\n", "{p}: the sample sheet has a header but no samples"),
        ("sample_id\tsex\nS1\tmale\n", "{p} line 1: missing column(s) country; the header needs sample_id, "
         "sex and country (vcf_sample_id is optional)"),
        ("id\tgender\tnation\nS1\tmale\tFI\n", "{p} line 1: missing column(s) sample_id, sex, country; the "
         "header needs sample_id, sex and country (vcf_sample_id is optional)"),
        ("sample_id\tsex\tcountry\tsex\nS1\tm\tFI\tm\n", "{p} line 1: column sex appears twice"),
        ("sample_id\tsex\tcountry\nS1\tmale\tFI\n\nS2\tmale\n",
         "{p} line 4: 2 fields, but the header has 3; check for a missing or extra separator"),
        ("sample_id\tsex\tcountry\n\tmale\tFI\n", "{p} line 2: empty sample_id"),
        ("sample_id\tsex\tcountry\nS1\tmale\tFI\nS2\tmale\tFI\nS1\tfemale\tFI\n",
         "{p} line 4: duplicate sample_id 'S1' (first on line 2); each sample must appear once"),
        ("sample_id\tsex\tcountry\tvcf_sample_id\nS1\tmale\tFI\tV1\nS2\tmale\tFI\tV1\n",
         "{p} line 3: duplicate vcf_sample_id 'V1' (first on line 2); each VCF column can belong to one "
         "sample only"),
        ("sample_id\tsex\tcountry\tvcf_sample_id\nS1\tmale\tFI\tS2\nS2\tmale\tFI\t\n",
         "{p} line 3: duplicate vcf_sample_id 'S2' (first on line 2); each VCF column can belong to one "
         "sample only"),
        ("sample_id\tsex\tcountry\nS1\tmale\tFI\nS2\tother\tFI\n",
         "{p} line 3: unknown sex 'other' for sample 'S2'; use male/female, M/F, XY/XX or 1/2"),
        ("sample_id\tsex\tcountry\nS1\tmale\tUK\n",
         "{p} line 2: invalid country code 'UK' for sample 'S1'; did you mean GB?"),
        ("sample_id\tsex\tcountry\nS1\tmale\tEL\n",
         "{p} line 2: invalid country code 'EL' for sample 'S1'; did you mean GR?"),
        ("sample_id\tsex\tcountry\nS1\tmale\tfi\n",
         "{p} line 2: invalid country code 'fi' for sample 'S1'; did you mean FI?"),
        ("sample_id\tsex\tcountry\nS1\tmale\tFIN\n", "{p} line 2: invalid country code 'FIN' for sample "
         "'S1'; use an ISO 3166-1 alpha-2 code such as FI, DE or ES"),
        ("sample_id\tsex\tcountry\nS1\tmale\t\n", "{p} line 2: invalid country code '' for sample "
         "'S1'; use an ISO 3166-1 alpha-2 code such as FI, DE or ES"),
    ],
    ids=["empty", "comments-only", "header-only", "missing-column", "missing-all", "duplicate-column",
         "field-count", "empty-id", "duplicate-id", "duplicate-vcf-id", "vcf-id-clashes-with-id",
         "unknown-sex", "country-UK", "country-EL", "country-lowercase", "country-alpha3", "country-empty"],
)
def test_sheet_errors(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SampleSheetError) as err:
        read_sample_sheet(path)
    assert str(err.value) == message.format(p=path)
    assert "\n" not in str(err.value)


def test_sheet_not_found_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(SampleSheetError) as err:
        read_sample_sheet(tmp_path / "nope.tsv")
    assert str(err.value) == f"{tmp_path}/nope.tsv: sample sheet not found; check the --samples path"
    bad = tmp_path / "latin1.tsv"
    bad.write_bytes("sample_id\tsex\tcountry\nS1\tmale\tDE\n\nJörg\tmale\tDE\n".encode("latin-1"))
    with pytest.raises(SampleSheetError) as err:
        read_sample_sheet(bad)
    assert str(err.value) == f"{bad} line 4: not UTF-8 (byte 0xf6); save the sheet as UTF-8"


# ------------------------------------------------------------------ --keep


def test_read_keep_list(tmp_path: Path) -> None:
    sheet = read_sample_sheet(_write(tmp_path, _tsv(ROWS)))
    keep = tmp_path / "keep.txt"
    keep.write_text("# from goe qc\nHG00096\tPASS\n\n  HG00171  \n")
    assert read_keep_list(keep, sheet) == {"HG00096", "HG00171"}
    assert [s.sample_id for s in sheet.restrict(read_keep_list(keep, sheet)).samples] == ["HG00096", "HG00171"]


def test_keep_list_errors(tmp_path: Path) -> None:
    sheet_path = _write(tmp_path, _tsv(ROWS))
    sheet = read_sample_sheet(sheet_path)
    keep = tmp_path / "keep.txt"
    keep.write_text("HG00096\n# note\nNA12878\n")
    with pytest.raises(SampleSheetError) as err:
        read_keep_list(keep, sheet)
    assert str(err.value) == (f"{keep} line 3: sample 'NA12878' is not in the sample sheet {sheet_path}; "
                              "the keep list must use sample_id values from the sheet")
    keep.write_text("# nobody\n\n")
    with pytest.raises(SampleSheetError, match=r"keep\.txt: the --keep list names no sample$"):
        read_keep_list(keep, sheet)
    with pytest.raises(SampleSheetError, match=r"absent\.txt: --keep file not found$"):
        read_keep_list(tmp_path / "absent.txt", sheet)
    folder = tmp_path / "keep.d"
    folder.mkdir()
    with pytest.raises(SampleSheetError) as err:
        read_keep_list(folder, sheet)
    assert str(err.value) == f"{folder}: --keep needs a file (one sample ID per line), not a folder"


# ------------------------------------------------------------------ groups


def _sample(sid: str, sex: str, country: str, **extra: str) -> Sample:
    return Sample(sid, sid, sex, country, 0, dict(extra))


def test_group_labels_and_order() -> None:
    samples = [_sample("a", "F", "NL"), _sample("b", "M", "DE"), _sample("c", "F", "DE"),
               _sample("d", "M", "NL"), _sample("e", "F", "NL")]
    gs = build_groups(samples)
    assert gs.labels == ["Total", "M", "F", "DE", "DE_M", "DE_F", "NL", "NL_M", "NL_F"]
    by = {g.label: g for g in gs.groups}
    assert by["Total"].members.tolist() == [True] * 5
    assert by["F"].members.tolist() == [True, False, True, False, True]
    assert by["NL_F"].members.tolist() == [True, False, False, False, True]
    assert [g.kind for g in gs.groups[:4]] == ["total", "sex", "sex", "country"]
    assert gs.sample_counts()["NL"] == {"samples": 3, "male": 1, "female": 2}
    assert gs.sex.tolist() == [1, 0, 1, 0, 1]
    assert gs.matrix.shape == (5, 9)
    assert gs.matrix.dtype == np.float32
    assert [g.info_suffix for g in gs.groups[:5]] == ["", "_M", "_F", "_DE", "_DE_M"]


def test_empty_groups_are_dropped() -> None:
    gs = build_groups([_sample("a", "F", "FI"), _sample("b", "F", "FI"), _sample("c", "M", "SE")])
    assert gs.labels == ["Total", "M", "F", "FI", "FI_F", "SE", "SE_M"]


def test_group_by_strata() -> None:
    samples = [_sample("a", "F", "FI", region="south", batch="2"), _sample("b", "M", "FI", region="north", batch="1"),
               _sample("c", "M", "FI", region="", batch="1"), _sample("d", "F", "FI", region="north", batch="1")]
    gs = build_groups(samples, ["region", "batch"], min_stratum=1)
    assert gs.labels == ["Total", "M", "F", "FI", "FI_M", "FI_F",
                         "region=north", "region=south", "batch=1", "batch=2"]  # blank region: no group
    by = {g.label: g for g in gs.groups}
    assert by["region=north"].members.tolist() == [False, True, False, True]
    assert by["region=north"].kind == "stratum"
    assert by["region=north"].info_prefix == "goe_"
    assert by["region=north"].info_suffix == "_region_north"
    assert by["FI"].info_prefix == ""


def test_group_by_unknown_column() -> None:
    with pytest.raises(UsageError) as err:
        build_groups([_sample("a", "F", "FI", region="x")], ["batch"])
    assert str(err.value) == ("--group-by batch: no such column in the sample sheet; "
                              "extra columns available: region")
    with pytest.raises(UsageError, match="extra columns available: none$"):
        build_groups([_sample("a", "F", "FI")], ["batch"])


@pytest.mark.parametrize("column", ["country", "sex", "sample_id", "vcf_sample_id"])
def test_group_by_a_column_goe_groups_by_anyway(column: str) -> None:
    with pytest.raises(UsageError) as err:
        build_groups([_sample("a", "F", "FI", region="x", batch="1")], [column])
    assert str(err.value) == (f"--group-by {column}: goe already groups by country and sex; "
                              "--group-by takes extra sample-sheet columns: region, batch")


def test_too_many_populations() -> None:
    samples = [_sample(f"s{i}", "F", "FI", site=str(i)) for i in range(600)]
    with pytest.raises(UsageError, match="populations, but GDI nodes accept at most 512"):
        build_groups(samples, ["site"], min_stratum=1)


def test_sheet_to_groups(tmp_path: Path) -> None:
    text = _tsv([("S1", "XY", "IT", "north"), ("S2", "XX", "IT", "south")], header="sample_id\tsex\tcountry\tarea")
    sheet: SampleSheet = read_sample_sheet(_write(tmp_path, text))
    gs = build_groups(sheet.samples, ["area"], min_stratum=1)
    assert gs.labels == ["Total", "M", "F", "IT", "IT_M", "IT_F", "area=north", "area=south"]


def _strata_samples(values: Sequence[str]) -> list[Sample]:
    return [_sample(f"s{i}", "MF"[i % 2], "FI", region=v) for i, v in enumerate(values)]


def test_small_strata_are_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    samples = _strata_samples(["north"] * 25 + ["south"] * 20 + ["islands"] * 3 + [""] * 2)
    with caplog.at_level("WARNING", logger="goe"):
        gs = build_groups(samples, ["region"])
    assert gs.labels[-2:] == ["region=north", "region=south"]
    assert "region=islands" not in gs.labels
    assert caplog.messages == [
        "--group-by region: 1 value(s) held by fewer than 20 samples left out (e.g. 'islands': 3); "
        "their samples still count in Total, sex and country"
    ]
    assert gs.groups[0].n_samples == 50  # the islanders are still in Total


def test_group_by_a_column_of_ids_is_refused() -> None:
    """A per-sample column (e.g. a family ID) would put IDs into the labels and publish genotypes."""
    with pytest.raises(UsageError) as err:
        build_groups(_strata_samples([f"FAM{i:03d}" for i in range(40)]), ["region"])
    assert str(err.value) == (
        "--group-by region: no value is held by 20 or more samples (e.g. 'FAM000': 1 sample); "
        "a stratum that small would publish its members' genotypes; group by a coarser column"
    )


def test_group_by_given_twice() -> None:
    with pytest.raises(UsageError) as err:
        build_groups(_strata_samples(["north"] * 30), ["region", "region"])
    assert str(err.value) == "--group-by region is given twice; give each column once"


def test_values_that_would_write_the_same_info_ids_are_refused() -> None:
    with pytest.raises(UsageError) as err:
        build_groups(_strata_samples(["north-east"] * 20 + ["north_east"] * 20), ["region"])
    assert str(err.value) == (
        "populations 'region=north-east' and 'region=north_east' would both be written as INFO "
        "'goe_AC_region_north_east'; rename one of the values in the sample sheet "
        "(INFO IDs keep letters, digits and _)"
    )
