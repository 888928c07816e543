"""Sequencing QC metrics files: detection, parsing of real tool outputs, sample matching.

Every expected value below was read by hand from the real file named in the
test (copies under ``tests/data/qc``, provenance in ``tests/data/qc/PROVENANCE.md``).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from goe.errors import InputError
from goe.genome.assemblies import ASSEMBLIES
from goe.qc.seqmetrics import (
    KINDS,
    MetricsFile,
    SeqMetricsError,
    collect_metrics,
    detect_kind,
    parse_metrics_file,
)
from goe.qc.seqmetrics.discover import kind_from_name, match_sample
from goe.qc.seqmetrics.mosdepth import _at_least, autosome
from goe.qc.seqmetrics.samtools import median_from_histogram, only_non_reads_filtered

QC = Path(__file__).parent / "data" / "qc"
PICARD = QC / "picard"
GRCH38 = ASSEMBLIES["GRCh38"].lengths


def parse(rel: str) -> MetricsFile:
    return parse_metrics_file(QC / rel)


def error_of(rel: str) -> str:
    with pytest.raises(SeqMetricsError) as info:
        parse_metrics_file(QC / rel)
    return str(info.value)


# --------------------------------------------------------------------------- detection

EXPECTED_KINDS: dict[str, str | None] = {
    # samtools
    "samtools/stats/SRR1067503_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt": "samtools_stats",
    "samtools/stats/SRR1067505_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt": "samtools_stats",
    "samtools/stats/SRR1067519_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt": "samtools_stats",
    "samtools/stats/Test1.txt": "samtools_stats",
    "samtools/stats/filtered_reads.bam_samtools_stats.txt": "samtools_stats",
    "samtools/flagstat/samtools.flagstat.log.txt": None,
    "samtools/idxstats/samtools.idxstats.log.txt": None,
    # Picard CollectWgsMetrics
    "picard/WgsMetrics/PMC01-01_AB082422_S5_L005_R1_001.txt": "picard_wgs",
    "picard/WgsMetrics/parabricks_issue_1768/coverage_metrics.txt": "picard_wgs",
    "picard/WgsMetrics/parabricks_issue_2122/200K_HA2WPADXX_2.bammetrics.metrics.txt": "picard_wgs",
    "picard/WgsMetrics/test1.wgs.metrics.txt": "picard_wgs",
    "picard/WgsMetrics/test2.wgs.metrics.txt": "picard_wgs",
    # Picard CollectAlignmentSummaryMetrics
    "picard/AlignmentSummaryMetrics/216_D_18666.CollectMultipleMetrics.txt": "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/A1.sorted.dup.recal.all.metrics.alignment_summary_metrics":
        "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/GATK_output/BSF_0418_HNKGJBBXX_2_TS025_2_ChIP_Input_Bas_S34656"
    ".alignment_summary_metrics": "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/PairedEnd_AlignmentSummaryMetrics.txt": "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/SingleEnd_AlignedSummaryMetrics.txt": "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/parabricks_issue_1768/alignment.txt": "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/sentieon_issue_1180/P150_PE.st.mdup.metrics.AlignStat.txt":
        "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/sentieon_pr_1239/NA12878.AlignmentStat_metrics.txt": "picard_alignment_summary",
    "picard/AlignmentSummaryMetrics/two_samples.txt": "picard_alignment_summary",
    # Picard CollectInsertSizeMetrics
    "picard/InsertSizeMetrics/14-CL_1_ismetrics.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/A1.sorted.dup.recal.all.metrics.insert_size_metrics": "picard_insert_size",
    "picard/InsertSizeMetrics/P1339_1001.collectInsertSize.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/P2151_501_1-sort-dup-gatkrecal-realign.insert_metrics": "picard_insert_size",
    "picard/InsertSizeMetrics/P3201_1001_S11_L007_R1_001_val_1.fq.gz_bismark_bt2_pe.deduplicated.bam_insert_sizes.txt":
        "picard_insert_size",
    "picard/InsertSizeMetrics/P3201_1002_S12_L008_R1_001_val_1.fq.gz_bismark_bt2_pe.deduplicated.bam_insert_sizes.txt":
        "picard_insert_size",
    "picard/InsertSizeMetrics/Test-Sample.insert_size_metrics.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/insert_size_metrics_S52.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/parabricks_issue_1768/insert_size.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/sentieon_issue_1180/P150_PE.st.mdup.metrics.InsertSize.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/sentieon_issue_1420/zero_reads.InsertSize_metrics.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/sentieon_pr_1239/NA12878.InsertSize_metrics.txt": "picard_insert_size",
    "picard/InsertSizeMetrics/sorted.dup.recal.all.metrics.insert_size_metrics": "picard_insert_size",
    # Picard MarkDuplicates (and GATK, Sentieon, Parabricks)
    "picard/MarkDuplicates/Example_101.metrics": "picard_duplicates",
    "picard/MarkDuplicates/Example_101_102.metrics": "picard_duplicates",
    "picard/MarkDuplicates/Example_102.metrics": "picard_duplicates",
    "picard/MarkDuplicates/GATK_output/S00111_duplicate_metrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/GATK_output/test1.dup_metrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/GATK_output/test2.dup_metrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/GATK_output/test3.dup_metrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/MarkDuplicatesSpark/SRR6000626.aligned-bwa.sorted-samtools.rh.dedupped.bam.metrics.txt":
        "picard_duplicates",
    "picard/MarkDuplicates/NRS_ASCL1_KO_R1.mLb.mkD.MarkDuplicates.metrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/SRR1067500_1.fastq.gz_bowtie_srtd.bam_picardDupMetrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/SRR1067503_1.fastq.gz_bowtie_srtd.bam_picardDupMetrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/empty_sample.txt": "picard_duplicates",
    "picard/MarkDuplicates/issue_2063/SJMB027_D.WholeGenome.MarkDuplicates.metrics.txt": "picard_duplicates",
    "picard/MarkDuplicates/parabricks_issue_1768/GIAB_NA12878.mdup.txt": "picard_duplicates",
    "picard/MarkDuplicates/sentieon_issue_1180/P150_PE.st.metrics.DeDup.txt": "picard_duplicates",
    "picard/MarkDuplicates/sorted.dup.bam.txt": "picard_duplicates",
    # Picard CollectQualityYieldMetrics
    "picard/QualityYieldMetrics/sample.quality_yield_metrics.txt": "picard_quality_yield",
    "picard/QualityYieldMetrics/parabricks_issue_1768/quality_yield.txt": "picard_quality_yield",
    # mosdepth (a region dist has the global dist's format: told apart by name in collect_metrics)
    "mosdepth/full_wgs.mosdepth.global.dist.txt": "mosdepth_global_dist",
    "mosdepth/test.mosdepth.global.dist.txt": "mosdepth_global_dist",
    "mosdepth/tiny.mosdepth.global.dist.txt": "mosdepth_global_dist",
    "mosdepth/noalignments.mosdepth.global.dist.txt": "mosdepth_global_dist",
    "mosdepth/noalignments.mosdepth.summary.txt": "mosdepth_summary",
    "mosdepth/shallow/shallow.mosdepth.global.dist.txt": "mosdepth_global_dist",
    "mosdepth/shallow/shallow.mosdepth.region.dist.txt": "mosdepth_global_dist",
    "mosdepth/shallow/shallow.mosdepth.summary.txt": "mosdepth_summary",
    "mosdepth/shallow/shallow.regions.bed.gz": None,
    "mosdepth/viralrecon/sample1.trim.mkD.amplicon.mosdepth.summary.txt": "mosdepth_summary",
    "mosdepth/issue_1568/Veillonella_sp._S12025_13.mosdepth.global.dist.txt": "mosdepth_global_dist",
    # VerifyBamID
    "verifybamid/example_data.selfSM": "verifybamid",
    "verifybamid/issue_1112/sample.verifybamid.result.selfSM": "verifybamid",
    # other tools' QC files goe does not read
    "bcftools/Test1_stats.txt": None,
    "qualimap/bam_qc/A1/genome_results.txt": None,
    "somalier/ex.samples.tsv": None,
}


def test_every_copied_file_is_listed() -> None:
    on_disk = {str(p.relative_to(QC)) for p in QC.rglob("*") if p.is_file() and p.name != "PROVENANCE.md"}
    assert on_disk == set(EXPECTED_KINDS)


@pytest.mark.parametrize(("rel", "kind"), sorted(EXPECTED_KINDS.items()))
def test_detect_kind(rel: str, kind: str | None) -> None:
    assert detect_kind(QC / rel) == kind


def test_every_kind_has_a_real_file() -> None:
    assert set(KINDS) == {k for k in EXPECTED_KINDS.values() if k is not None}


def test_detect_kind_reads_gzip_and_ignores_folders_and_missing_files(tmp_path: Path) -> None:
    src = PICARD / "WgsMetrics/test1.wgs.metrics.txt"
    gz = tmp_path / "test1.wgs.metrics.txt.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert detect_kind(gz) == "picard_wgs"
    assert parse_metrics_file(gz).metrics == parse_metrics_file(src).metrics
    assert detect_kind(tmp_path) is None
    assert detect_kind(tmp_path / "absent.txt") is None
    (tmp_path / "empty.selfSM").write_text("")
    assert detect_kind(tmp_path / "empty.selfSM") is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("NA12878.selfSM", "verifybamid"),
        ("x.mosdepth.summary.txt", "mosdepth_summary"),
        ("x.mosdepth.global.dist.txt", "mosdepth_global_dist"),
        ("x.mosdepth.region.dist.txt", None),
        ("test1.wgs.metrics.txt", "picard_wgs"),
        ("x.wgs_metrics", "picard_wgs"),
        ("A1.sorted.dup.recal.all.metrics.insert_size_metrics", "picard_insert_size"),
        ("A1.sorted.dup.recal.all.metrics.alignment_summary_metrics", "picard_alignment_summary"),
        ("A1.sorted.dup.recal.all.metrics.quality_by_cycle_metrics", None),
        ("x.quality_yield_metrics", "picard_quality_yield"),
        ("test1.dup_metrics.txt", "picard_duplicates"),
        ("S00111_duplicate_metrics.txt", "picard_duplicates"),
        ("x.MarkDuplicates.metrics.txt", "picard_duplicates"),
        ("x.markdup.metrics", "picard_duplicates"),
        ("SRR1067500_1.fastq.gz_bowtie_srtd.bam_picardDupMetrics.txt", "picard_duplicates"),
        ("SRR1067503_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt", "samtools_stats"),
        ("x.markdup.samtools.stats", "samtools_stats"),
        ("samtools.idxstats.log.txt", None),
        ("samtools.flagstat.log.txt", None),
        ("Test1.txt", None),
    ],
)
def test_kind_from_name(name: str, kind: str | None) -> None:
    assert kind_from_name(name) == kind


# --------------------------------------------------------------------------- samtools stats


def test_samtools_stats_single_end_dedup_run() -> None:
    # SN raw total sequences 29071646, reads mapped 16201191, error rate 2.837322e-03;
    # reads paired 0 (single-end: no pair metrics), reads duplicated 0 (duplicates removed: no dup rate).
    mf = parse("samtools/stats/SRR1067503_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt")
    assert mf.kind == "samtools_stats"
    assert mf.sample_hint == "SRR1067503_1"  # "stats SRR1067503_1.fastq.gz_bowtie_srtd.bam_dedup.bam"
    assert mf.metrics == {
        "total_reads": 29071646,
        "pct_mapped": pytest.approx(16201191 / 29071646),
        "error_rate": pytest.approx(2.837322e-03),
    }


def test_samtools_stats_others() -> None:
    assert parse("samtools/stats/SRR1067505_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt").metrics == {
        "total_reads": 16635040,
        "pct_mapped": pytest.approx(12299033 / 16635040),
        "error_rate": pytest.approx(4.028790e-03),
    }
    assert parse("samtools/stats/SRR1067519_1.fastq.gz_bowtie_srtd.bam_dedup.bam_samtools_stats.txt").metrics == {
        "total_reads": 23805829,
        "pct_mapped": pytest.approx(18393154 / 23805829),
        "error_rate": pytest.approx(5.228899e-03),
    }
    mf = parse("samtools/stats/Test1.txt")
    assert mf.sample_hint == "Test1"  # ".../align/Test1/Test1.sorted.bam"
    assert mf.metrics == {
        "total_reads": 101,
        "pct_mapped": pytest.approx(81 / 101),
        "error_rate": pytest.approx(0.01449275),
    }


def test_samtools_stats_with_a_read_filter_is_rejected() -> None:
    rel = "samtools/stats/filtered_reads.bam_samtools_stats.txt"
    assert error_of(rel) == (
        f"{QC / rel} line 9: samtools stats filtered out 999 of 1998 reads (stats -F 16 S1.bam), "
        "so its numbers do not describe the whole sample; rerun samtools stats without read filters (-f, -F, -q)"
    )


def test_samtools_stats_paired_metrics_and_is_median(tmp_path: Path) -> None:
    # The only paired-end samtools stats file was run with -F 16; the same file with only
    # secondary/supplementary filtered is accepted, and its counts are taken over "sequences".
    src = QC / "samtools/stats/filtered_reads.bam_samtools_stats.txt"
    text = src.read_text().replace("stats -F 16 S1.bam", "stats -F 0x900 S1.bam")
    copy = tmp_path / "S1.samtools_stats.txt"
    copy.write_text(text)
    mf = parse_metrics_file(copy)
    assert mf.sample_hint == "S1"
    # sequences 999 (1998 raw - 999 filtered); mapped 999; properly paired 999; error rate 2.067801e-02;
    # insert size average 502.2; IS "pairs total" sums to 429, the 215th pair is at 503 (213 up to 502, 218 to 503).
    assert mf.metrics == {
        "total_reads": 999,
        "pct_mapped": 1.0,
        "pct_properly_paired": 1.0,
        "error_rate": pytest.approx(2.067801e-02),
        "mean_insert_size": pytest.approx(502.2),
        "median_insert_size": 503.0,
    }


def test_samtools_filter_options() -> None:
    assert only_non_reads_filtered("stats -F 0x900 x.bam")
    assert only_non_reads_filtered("stats -F SECONDARY,SUPPLEMENTARY x.bam")
    assert only_non_reads_filtered("stats --filtering-flag=2304 x.bam")
    assert not only_non_reads_filtered("stats -F 16 x.bam")
    assert not only_non_reads_filtered("stats -F 0x900 -q 20 x.bam")
    assert not only_non_reads_filtered("stats -f 2 x.bam")
    assert not only_non_reads_filtered("stats x.bam")
    assert not only_non_reads_filtered(None)


def test_median_from_histogram() -> None:
    assert median_from_histogram([]) is None
    assert median_from_histogram([(100, 0)]) is None
    assert median_from_histogram([(100, 1), (200, 1)]) == 150.0
    assert median_from_histogram([(100, 1), (150, 0), (200, 2)]) == 200.0
    assert median_from_histogram([(100, 2), (300, 2)]) == 200.0


# --------------------------------------------------------------------------- Picard CollectWgsMetrics


def test_picard_wgs_human_26x() -> None:
    # MEAN_COVERAGE 25.944209, MEDIAN 26, MAD 4, PCT_15X 0.947422, PCT_20X 0.844969, PCT_30X 0.293651
    mf = parse("picard/WgsMetrics/test1.wgs.metrics.txt")
    assert mf.kind == "picard_wgs"
    assert mf.sample_hint == "test1"  # "--INPUT ./test1.bam" (GATK4 style)
    assert mf.metrics == {
        "mean_autosome_coverage": 25.944209,
        "median_autosome_coverage": 26.0,
        "mad_autosome_coverage": 4.0,
        "pct_autosomes_15x": 0.947422,
        "pct_autosomes_20x": 0.844969,
        "pct_autosomes_30x": 0.293651,
    }
    mf = parse("picard/WgsMetrics/PMC01-01_AB082422_S5_L005_R1_001.txt")
    assert mf.sample_hint == "PMC01-01_AB082422_S5_L005_R1_001"  # INPUT=/gpfs/.../PMC01-01_AB082422_S5_L005_R1_001.bam
    assert mf.metrics == {
        "mean_autosome_coverage": 26.418221,
        "median_autosome_coverage": 27.0,
        "mad_autosome_coverage": 4.0,
        "pct_autosomes_15x": 0.930974,
        "pct_autosomes_20x": 0.849993,
        "pct_autosomes_30x": 0.332685,
    }


def test_picard_wgs_low_coverage_and_parabricks() -> None:
    mf = parse("picard/WgsMetrics/test2.wgs.metrics.txt")  # INPUT=./test2.bam (Picard style)
    assert mf.sample_hint == "test2"
    assert mf.metrics["mean_autosome_coverage"] == 2.718558
    assert mf.metrics["pct_autosomes_15x"] == 0.000552
    # Parabricks bammetrics: no command line, '?' in FOLD_*_BASE_PENALTY (not used), 0.01731x
    mf = parse("picard/WgsMetrics/parabricks_issue_2122/200K_HA2WPADXX_2.bammetrics.metrics.txt")
    assert mf.sample_hint is None
    assert mf.metrics == {
        "mean_autosome_coverage": 0.01731,
        "median_autosome_coverage": 0.0,
        "mad_autosome_coverage": 0.0,
        "pct_autosomes_15x": 0.000003,
        "pct_autosomes_20x": 0.000002,
        "pct_autosomes_30x": 0.000001,
    }
    mf = parse("picard/WgsMetrics/parabricks_issue_1768/coverage_metrics.txt")
    assert mf.metrics["pct_autosomes_30x"] == 0.002662


# --------------------------------------------------------------------------- Picard CollectAlignmentSummaryMetrics


def test_picard_alignment_summary_pair_row() -> None:
    mf = parse("picard/AlignmentSummaryMetrics/A1.sorted.dup.recal.all.metrics.alignment_summary_metrics")
    assert mf.kind == "picard_alignment_summary"
    assert mf.sample_hint == "A1"  # INPUT=alignment/A1/A1.sorted.dup.recal.bam
    assert mf.metrics == {"pct_mapped": 0.999384, "total_reads": 96600610}  # PAIR row
    mf = parse("picard/AlignmentSummaryMetrics/216_D_18666.CollectMultipleMetrics.txt")  # net.sf.picard (old)
    assert mf.sample_hint == "Szabo_160930_SN583_0215_AC9H20ACXX"
    assert mf.metrics == {"pct_mapped": 0.998166, "total_reads": 27196062}
    mf = parse("picard/AlignmentSummaryMetrics/parabricks_issue_1768/alignment.txt")
    assert (mf.sample_hint, mf.metrics) == (None, {"pct_mapped": 0.998975, "total_reads": 21388432})
    assert parse("picard/AlignmentSummaryMetrics/PairedEnd_AlignmentSummaryMetrics.txt").metrics == {
        "pct_mapped": 0.9638,
        "total_reads": 48018704,
    }


def test_picard_alignment_summary_unpaired_and_sentieon() -> None:
    mf = parse("picard/AlignmentSummaryMetrics/SingleEnd_AlignedSummaryMetrics.txt")  # the only row: UNPAIRED
    assert (mf.sample_hint, mf.metrics) == ("SRR1067505_1", {"pct_mapped": 0.9878, "total_reads": 10000})
    mf = parse(
        "picard/AlignmentSummaryMetrics/GATK_output/BSF_0418_HNKGJBBXX_2_TS025_2_ChIP_Input_Bas_S34656"
        ".alignment_summary_metrics"
    )
    assert mf.metrics == {"pct_mapped": 0.812253, "total_reads": 27510369}
    # Sentieon AlignmentStat: no METRICS CLASS line; two inputs (-i sorted_0.bam -i sorted_1.bam): no hint
    mf = parse("picard/AlignmentSummaryMetrics/sentieon_pr_1239/NA12878.AlignmentStat_metrics.txt")
    assert (mf.sample_hint, mf.metrics) == (None, {"pct_mapped": 0.996135, "total_reads": 111281448})
    mf = parse("picard/AlignmentSummaryMetrics/sentieon_issue_1180/P150_PE.st.mdup.metrics.AlignStat.txt")
    assert (mf.sample_hint, mf.metrics) == ("Pinsky_150_repl1_PE", {"pct_mapped": 0.999919, "total_reads": 36848})


def test_picard_two_outputs_in_one_file_are_rejected() -> None:
    rel = "picard/AlignmentSummaryMetrics/two_samples.txt"
    assert error_of(rel) == (
        f"{QC / rel}: holds 2 Picard metrics tables (METRICS CLASS at lines 6 and 18), e.g. outputs of several "
        "runs joined into one file; give one metrics file per sample and tool"
    )
    rel = "picard/MarkDuplicates/Example_101_102.metrics"
    assert error_of(rel) == (
        f"{QC / rel} line 9: the table header repeats (first at line 7), e.g. outputs of several runs joined "
        "into one file; give one metrics file per sample and tool"
    )


# --------------------------------------------------------------------------- Picard MarkDuplicates


@pytest.mark.parametrize(
    ("rel", "hint", "pct"),
    [
        ("picard/MarkDuplicates/Example_101.metrics", "Example_101", 0.037049),
        ("picard/MarkDuplicates/Example_102.metrics", "Example_102", 0.076152),
        ("picard/MarkDuplicates/GATK_output/S00111_duplicate_metrics.txt", "S00111_G00076-L2_G00076-L2_1", 0.225679),
        ("picard/MarkDuplicates/GATK_output/test1.dup_metrics.txt", "Test", 0.109876),
        ("picard/MarkDuplicates/GATK_output/test2.dup_metrics.txt", "test_bwa", 0.067166),
        ("picard/MarkDuplicates/GATK_output/test3.dup_metrics.txt", "Test_bwa", 0.20219),
        (
            "picard/MarkDuplicates/MarkDuplicatesSpark/SRR6000626.aligned-bwa.sorted-samtools.rh.dedupped.bam"
            ".metrics.txt",
            "SRR6000626",
            0.11998,
        ),
        ("picard/MarkDuplicates/SRR1067500_1.fastq.gz_bowtie_srtd.bam_picardDupMetrics.txt", "SRR1067500_1", 0.160307),
        ("picard/MarkDuplicates/SRR1067503_1.fastq.gz_bowtie_srtd.bam_picardDupMetrics.txt", "SRR1067503_1", 0.090359),
        ("picard/MarkDuplicates/parabricks_issue_1768/GIAB_NA12878.mdup.txt", None, 0.217882),
        ("picard/MarkDuplicates/sentieon_issue_1180/P150_PE.st.metrics.DeDup.txt", "Pinsky_150_repl1_PE", 0.279468),
        ("picard/MarkDuplicates/sorted.dup.bam.txt", "matefixed", 0.021394),
        # a blank library row with zero reads and PERCENT_DUPLICATION '?' is ignored
        ("picard/MarkDuplicates/empty_sample.txt", "sample", 0.186257),
    ],
)
def test_picard_duplicates_one_library(rel: str, hint: str | None, pct: float) -> None:
    mf = parse(rel)
    assert mf.kind == "picard_duplicates"
    assert mf.sample_hint == hint
    assert mf.metrics == {"pct_duplicates": pct}


def test_picard_duplicates_several_libraries_combined_by_reads() -> None:
    # (UNPAIRED_READ_DUPLICATES + 2 READ_PAIR_DUPLICATES) / (UNPAIRED_READS_EXAMINED + 2 READ_PAIRS_EXAMINED)
    mf = parse("picard/MarkDuplicates/NRS_ASCL1_KO_R1.mLb.mkD.MarkDuplicates.metrics.txt")
    dups = (118725 + 2 * 4900480) + (119810 + 2 * 4913061) + (114244 + 2 * 4975326)
    reads = (225650 + 2 * 16502510) + (226531 + 2 * 16352125) + (217421 + 2 * 16308578)
    assert mf.metrics == {"pct_duplicates": pytest.approx(dups / reads, rel=1e-12)}
    assert 0.29851 < mf.metrics["pct_duplicates"] < 0.306533  # between the libraries' own rates
    # lib4 has zero reads and is left out
    mf = parse("picard/MarkDuplicates/issue_2063/SJMB027_D.WholeGenome.MarkDuplicates.metrics.txt")
    dups = (366675 + 2 * 79885735) + (1150149 + 2 * 55403512)
    reads = (928724 + 2 * 345290987) + (2125555 + 2 * 276658853)
    assert mf.sample_hint == "SJMB027_D"
    assert mf.metrics == {"pct_duplicates": pytest.approx(dups / reads, rel=1e-12)}


# --------------------------------------------------------------------------- Picard CollectInsertSizeMetrics


@pytest.mark.parametrize(
    ("rel", "hint", "median", "mean"),
    [
        ("picard/InsertSizeMetrics/14-CL_1_ismetrics.txt", "14-CL_1_marked_duplicates", 163, 171.013338),
        ("picard/InsertSizeMetrics/A1.sorted.dup.recal.all.metrics.insert_size_metrics", "A1", 185, 200.4543),
        # the FR row of FR, RF and TANDEM rows
        ("picard/InsertSizeMetrics/P1339_1001.collectInsertSize.txt", "P1339_1001", 456, 455.057504),
        (
            "picard/InsertSizeMetrics/P2151_501_1-sort-dup-gatkrecal-realign.insert_metrics",
            "_1-sort-dup-gatkrecal-realign",
            210,
            228.248669,
        ),
        (
            "picard/InsertSizeMetrics/P3201_1001_S11_L007_R1_001_val_1.fq.gz_bismark_bt2_pe.deduplicated"
            ".bam_insert_sizes.txt",
            "P3201_1001_S11_L007_R1_001_val_1",
            259,
            266.887401,
        ),
        (
            "picard/InsertSizeMetrics/P3201_1002_S12_L008_R1_001_val_1.fq.gz_bismark_bt2_pe.deduplicated"
            ".bam_insert_sizes.txt",
            "P3201_1002_S12_L008_R1_001_val_1",
            243,
            252.81768,
        ),
        # decimal commas: MEAN_INSERT_SIZE "306,378678"
        ("picard/InsertSizeMetrics/Test-Sample.insert_size_metrics.txt", "Test-Sample", 287, 306.378678),
        ("picard/InsertSizeMetrics/insert_size_metrics_S52.txt", "S52", 128, 127.169492),
        ("picard/InsertSizeMetrics/parabricks_issue_1768/insert_size.txt", None, 226, 237.224689),  # "226.0"
        (
            "picard/InsertSizeMetrics/sentieon_issue_1180/P150_PE.st.mdup.metrics.InsertSize.txt",
            "Pinsky_150_repl1_PE",
            278,
            312.487645,
        ),
        ("picard/InsertSizeMetrics/sentieon_pr_1239/NA12878.InsertSize_metrics.txt", None, 242, 272.10658),
        # "## METRICS CLASS    picard..." written with spaces instead of a tab
        ("picard/InsertSizeMetrics/sorted.dup.recal.all.metrics.insert_size_metrics", "sorted", 185, 200.4543),
    ],
)
def test_picard_insert_size(rel: str, hint: str | None, median: float, mean: float) -> None:
    mf = parse(rel)
    assert mf.kind == "picard_insert_size"
    assert mf.sample_hint == hint
    assert mf.metrics == {"median_insert_size": median, "mean_insert_size": mean}


def test_picard_insert_size_without_rows_is_rejected() -> None:
    rel = "picard/InsertSizeMetrics/sentieon_issue_1420/zero_reads.InsertSize_metrics.txt"
    assert error_of(rel) == (
        f"{QC / rel} line 2: the insert size table has no rows (no read pairs were measured); "
        "run CollectInsertSizeMetrics on the sample's paired-end BAM/CRAM, or remove the file"
    )


# --------------------------------------------------------------------------- Picard CollectQualityYieldMetrics


def test_picard_quality_yield() -> None:
    mf = parse("picard/QualityYieldMetrics/parabricks_issue_1768/quality_yield.txt")
    assert mf.kind == "picard_quality_yield"
    assert mf.sample_hint is None
    assert mf.metrics == {"yield_bp_q30": 1529534782, "total_bases": 1599748780}  # PF_Q30_BASES, TOTAL_BASES
    mf = parse("picard/QualityYieldMetrics/sample.quality_yield_metrics.txt")
    assert mf.sample_hint == "sample"  # INPUT=path/to/sample.bam
    assert mf.metrics == {"yield_bp_q30": 650000, "total_bases": 1000000}  # PF_Q30_BASES 650000, not Q30_BASES


def test_picard_quality_yield_without_pf_column(tmp_path: Path) -> None:
    src = (PICARD / "QualityYieldMetrics/sample.quality_yield_metrics.txt").read_text()
    lines = src.splitlines()
    header_at = next(i for i, ln in enumerate(lines) if ln.startswith("TOTAL_READS"))
    for i in (header_at, header_at + 1):
        cells = lines[i].split("\t")
        del cells[8]  # PF_Q30_BASES
        lines[i] = "\t".join(cells)
    copy = tmp_path / "old.quality_yield_metrics"
    copy.write_text("\n".join(lines) + "\n")
    assert parse_metrics_file(copy).metrics == {"yield_bp_q30": 700000, "total_bases": 1000000}


def test_picard_zero_reads_are_rejected(tmp_path: Path) -> None:
    src = (PICARD / "QualityYieldMetrics/parabricks_issue_1768/quality_yield.txt").read_text()
    copy = tmp_path / "empty.quality_yield_metrics"
    copy.write_text(src.replace("21388432\t21388432\t74", "0\t0\t74"))
    with pytest.raises(SeqMetricsError) as info:
        parse_metrics_file(copy)
    assert str(info.value) == (
        f"{copy} line 6: the run has no reads (TOTAL_READS is 0); "
        "run CollectQualityYieldMetrics on the sample's final BAM/CRAM, or remove the file"
    )


# --------------------------------------------------------------------------- mosdepth


def test_mosdepth_summary_fallback_to_total_for_non_human() -> None:
    # M. tuberculosis (NC_000962.3): total 4411532 bp, 34717 bases -> mean_coverage, not autosomal
    mf = parse("mosdepth/noalignments.mosdepth.summary.txt")
    assert (mf.kind, mf.sample_hint) == ("mosdepth_summary", None)
    assert mf.metrics == {"mean_coverage": pytest.approx(34717 / 4411532)}
    # SARS-CoV-2 amplicons: total row 29903 bp, 41028173 bases; *_region rows ignored
    mf = parse("mosdepth/viralrecon/sample1.trim.mkD.amplicon.mosdepth.summary.txt")
    assert mf.metrics == {"mean_coverage": pytest.approx(41028173 / 29903)}


def test_mosdepth_summary_autosome_by_genbank_accession() -> None:
    # CM000663.2 is GRCh38 chr1 (GenBank): 400 bp, 160 bases
    assert parse("mosdepth/shallow/shallow.mosdepth.summary.txt").metrics == {"mean_autosome_coverage": 0.4}


def test_mosdepth_summary_weights_autosomes_by_length(tmp_path: Path) -> None:
    summary = tmp_path / "s.mosdepth.summary.txt"
    summary.write_text(
        "chrom\tlength\tbases\tmean\tmin\tmax\n"
        "chr1\t100\t3000\t30.00\t0\t50\nchr1_region\t10\t10\t1.00\t0\t1\n"
        "chr2\t300\t3000\t10.00\t0\t20\nchrX\t100\t100\t1.00\t0\t3\ntotal\t500\t6100\t12.20\t0\t50\n"
    )
    assert parse_metrics_file(summary).metrics == {"mean_autosome_coverage": 6000 / 400}


def _weighted(values: dict[int, float]) -> float:
    return sum(GRCH38[str(c)] * v for c, v in values.items()) / sum(GRCH38[str(c)] for c in values)


# Fractions at >= 15x/20x/30x per autosome, read from the files (older mosdepth: 5 decimals)
TEST_15X = {1: 0.90151, 2: 0.97795, 3: 0.98221, 4: 0.98007, 5: 0.98071, 6: 0.97673, 7: 0.97356, 8: 0.97341,
            9: 0.83866, 10: 0.96535, 11: 0.96971, 12: 0.97342, 13: 0.82907, 14: 0.82108, 15: 0.79474,
            16: 0.87141, 17: 0.95521, 18: 0.95499, 19: 0.94143, 20: 0.94308, 21: 0.72754, 22: 0.67425}
TEST_20X = {1: 0.89981, 2: 0.97704, 3: 0.98142, 4: 0.97892, 5: 0.97957, 6: 0.97571, 7: 0.97220, 8: 0.97214,
            9: 0.83281, 10: 0.96283, 11: 0.96849, 12: 0.97233, 13: 0.82827, 14: 0.82010, 15: 0.79346,
            16: 0.87038, 17: 0.95401, 18: 0.95416, 19: 0.93994, 20: 0.94201, 21: 0.72591, 22: 0.67197}
TEST_30X = {1: 0.88563, 2: 0.96290, 3: 0.96686, 4: 0.95820, 5: 0.96288, 6: 0.95991, 7: 0.95657, 8: 0.95705,
            9: 0.81061, 10: 0.94685, 11: 0.95573, 12: 0.95818, 13: 0.81110, 14: 0.80792, 15: 0.78422,
            16: 0.86332, 17: 0.94599, 18: 0.93986, 19: 0.93224, 20: 0.93405, 21: 0.71207, 22: 0.66405}
FULL_15X = {1: 0.90, 2: 0.98, 3: 0.98, 4: 0.98, 5: 0.98, 6: 0.98, 7: 0.98, 8: 0.98, 9: 0.85, 10: 0.97, 11: 0.97,
            12: 0.97, 13: 0.83, 14: 0.82, 15: 0.80, 16: 0.87, 17: 0.96, 18: 0.96, 19: 0.94, 20: 0.94, 21: 0.73,
            22: 0.68}
FULL_20X = {**FULL_15X, 8: 0.97}
FULL_30X = {**FULL_20X, 7: 0.97, 9: 0.84, 15: 0.79}


def test_mosdepth_global_dist_human_wgs_weighted_by_grch38_lengths() -> None:
    mf = parse("mosdepth/test.mosdepth.global.dist.txt")
    assert (mf.kind, mf.sample_hint) == ("mosdepth_global_dist", None)
    assert mf.metrics == {
        "pct_autosomes_15x": pytest.approx(_weighted(TEST_15X), rel=1e-12),
        "pct_autosomes_20x": pytest.approx(_weighted(TEST_20X), rel=1e-12),
        "pct_autosomes_30x": pytest.approx(_weighted(TEST_30X), rel=1e-12),
    }
    assert round(mf.metrics["pct_autosomes_15x"], 4) == 0.9296
    mf = parse("mosdepth/full_wgs.mosdepth.global.dist.txt")
    assert mf.metrics == {
        "pct_autosomes_15x": pytest.approx(_weighted(FULL_15X), rel=1e-12),
        "pct_autosomes_20x": pytest.approx(_weighted(FULL_20X), rel=1e-12),
        "pct_autosomes_30x": pytest.approx(_weighted(FULL_30X), rel=1e-12),
    }


def test_mosdepth_global_dist_takes_lengths_from_the_summary_next_to_it(tmp_path: Path) -> None:
    shutil.copy(QC / "mosdepth/test.mosdepth.global.dist.txt", tmp_path / "s.mosdepth.global.dist.txt")
    rows = "".join(f"{c}\t1000\t30000\t30.00\t0\t60\n" for c in range(1, 23))
    (tmp_path / "s.mosdepth.summary.txt").write_text("chrom\tlength\tbases\tmean\tmin\tmax\n" + rows)
    mf = parse_metrics_file(tmp_path / "s.mosdepth.global.dist.txt")
    assert mf.metrics["pct_autosomes_15x"] == pytest.approx(sum(TEST_15X.values()) / 22, rel=1e-12)


def test_mosdepth_global_dist_odd_files() -> None:
    # tiny: human test BAM with almost no coverage: most autosomes have only "N 0 1.00"
    assert parse("mosdepth/tiny.mosdepth.global.dist.txt").metrics == {
        "pct_autosomes_15x": 0.0,
        "pct_autosomes_20x": 0.0,
        "pct_autosomes_30x": 0.0,
    }
    # shallow: 400 bp GenBank-named chr1 (CM000663.2), max coverage 1
    assert parse("mosdepth/shallow/shallow.mosdepth.global.dist.txt").metrics == {
        "pct_autosomes_15x": 0.0,
        "pct_autosomes_20x": 0.0,
        "pct_autosomes_30x": 0.0,
    }
    # non-human: no autosomes, the total rows give pct_*x (total 30 0.0 in Veillonella, 20 0.00 in M. tb)
    for rel in (
        "mosdepth/issue_1568/Veillonella_sp._S12025_13.mosdepth.global.dist.txt",
        "mosdepth/noalignments.mosdepth.global.dist.txt",
    ):
        assert parse(rel).metrics == {"pct_15x": 0.0, "pct_20x": 0.0, "pct_30x": 0.0}


def test_mosdepth_missing_levels() -> None:
    # mosdepth leaves out levels with fraction < 8e-5 and, above 300x, levels with no base
    levels = {400: 0.1, 301: 0.2, 300: 0.3, 0: 1.0}
    assert _at_least(levels, 350) == 0.1
    assert _at_least(levels, 300) == 0.3
    assert _at_least(levels, 500) == 0.0


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("1", "1"), ("chr22", "22"), ("NC_000001.11", "1"), ("NC_000022.10", "22"), ("CM000663.2", "1"),
     ("CM000684.1", "22"), ("chrX", None), ("NC_000023.11", None), ("CM000685.2", None), ("NC_000962.3", None),
     ("01", None), ("23", None), ("total", None)],
)
def test_autosome_names(name: str, canonical: str | None) -> None:
    assert autosome(name) == canonical


# --------------------------------------------------------------------------- VerifyBamID


def test_verifybamid() -> None:
    mf = parse("verifybamid/example_data.selfSM")  # VerifyBamID 1: FREEMIX 0.00037
    assert (mf.kind, mf.sample_hint) == ("verifybamid", "sample_name")
    assert mf.metrics == {"cross_contamination_rate": 0.00037}
    mf = parse("verifybamid/issue_1112/sample.verifybamid.result.selfSM")  # VerifyBamID2: FREEMIX(alpha)
    assert (mf.sample_hint, mf.metrics) == ("BloodSeq_21", {"cross_contamination_rate": 0.00642505})


def test_verifybamid_na_freemix_is_rejected(tmp_path: Path) -> None:
    text = (QC / "verifybamid/example_data.selfSM").read_text().replace("0.00037", "NA")
    copy = tmp_path / "x.selfSM"
    copy.write_text(text)
    with pytest.raises(SeqMetricsError) as info:
        parse_metrics_file(copy)
    assert str(info.value) == (
        f"{copy} line 2: FREEMIX is 'NA', not a fraction between 0 and 1; "
        "rerun VerifyBamID on the sample's BAM/CRAM, or remove the file"
    )


# --------------------------------------------------------------------------- not QC files


def test_parse_rejects_files_of_other_tools() -> None:
    hint = (
        "give samtools stats, Picard (CollectWgsMetrics, CollectAlignmentSummaryMetrics, MarkDuplicates, "
        "CollectInsertSizeMetrics, CollectQualityYieldMetrics), mosdepth summary/global.dist "
        "or VerifyBamID .selfSM files"
    )
    flagstat = QC / "samtools/flagstat/samtools.flagstat.log.txt"
    assert error_of("samtools/flagstat/samtools.flagstat.log.txt") == (
        f"{flagstat}: samtools flagstat output, which goe does not read; {hint}"
    )
    assert error_of("bcftools/Test1_stats.txt") == (
        f"{QC / 'bcftools/Test1_stats.txt'}: bcftools stats output, which goe does not read here; {hint}"
    )
    assert error_of("mosdepth/shallow/shallow.regions.bed.gz") == (
        f"{QC / 'mosdepth/shallow/shallow.regions.bed.gz'}: not a QC file goe reads; {hint}"
    )
    with pytest.raises(SeqMetricsError, match="file not found; check the path"):
        parse_metrics_file(QC / "absent.txt")


def test_seqmetrics_error_is_an_input_error() -> None:
    assert issubclass(SeqMetricsError, InputError)


# --------------------------------------------------------------------------- matching and collecting


def test_match_sample_tokens() -> None:
    ids = {"SRR1067503", "SRR1067503_1", "NA12878", "A1", "PMC01-01"}
    longest = max(map(len, ids))
    assert match_sample("SRR1067503_1.fastq.gz_bowtie_srtd.bam_picardDupMetrics.txt", ids, longest) == "SRR1067503_1"
    assert match_sample("NA12878.AlignmentStat_metrics.txt", ids, longest) == "NA12878"
    assert match_sample("NA128781.selfSM", ids, longest) is None  # not a whole token
    assert match_sample("A1.sorted.dup.recal.all.metrics.insert_size_metrics", ids, longest) == "A1"
    assert match_sample("PMC01-01_AB082422_S5_L005_R1_001.txt", ids, longest) == "PMC01-01"
    assert match_sample("qc/A1/genome_results.txt", ids, longest) == "A1"


def _place(root: Path, rel_src: str, rel_dst: str) -> Path:
    dst = root / rel_dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(QC / rel_src, dst)
    return dst


def test_collect_by_name_by_content_and_folder_recursion(tmp_path: Path) -> None:
    root = tmp_path / "qc"
    # by file name (longest sample ID token wins over "NA1287")
    _place(root, "picard/AlignmentSummaryMetrics/sentieon_pr_1239/NA12878.AlignmentStat_metrics.txt",
           "sentieon/NA12878.AlignmentStat_metrics.txt")
    _place(root, "picard/WgsMetrics/test1.wgs.metrics.txt", "picard/NA12878.wgs_metrics.txt")
    # by folder name
    _place(root, "verifybamid/example_data.selfSM", "NA12891/contamination.selfSM")
    # by content only: SEQ_ID BloodSeq_21; INPUT=.../A1.sorted.dup.recal.bam
    _place(root, "verifybamid/issue_1112/sample.verifybamid.result.selfSM", "vb2/result.selfSM")
    _place(root, "picard/InsertSizeMetrics/A1.sorted.dup.recal.all.metrics.insert_size_metrics", "deep/a/b/is.txt")
    # not QC files, or companions goe does not read: skipped silently inside folders
    _place(root, "samtools/flagstat/samtools.flagstat.log.txt", "other/x.flagstat")
    _place(root, "bcftools/Test1_stats.txt", "other/Test1_stats.txt")
    _place(root, "mosdepth/shallow/shallow.regions.bed.gz", "other/NA12878.regions.bed.gz")
    _place(root, "mosdepth/shallow/shallow.mosdepth.region.dist.txt", "other/NA12878.mosdepth.region.dist.txt")

    metrics, sources = collect_metrics([root], ["NA1287", "NA12878", "NA12891", "BloodSeq_21", "A1", "unused"])
    assert metrics == {
        "NA12878": {
            "pct_mapped": 0.996135,
            "total_reads": 111281448,
            "mean_autosome_coverage": 25.944209,
            "median_autosome_coverage": 26.0,
            "mad_autosome_coverage": 4.0,
            "pct_autosomes_15x": 0.947422,
            "pct_autosomes_20x": 0.844969,
            "pct_autosomes_30x": 0.293651,
        },
        "NA12891": {"cross_contamination_rate": 0.00037},
        "BloodSeq_21": {"cross_contamination_rate": 0.00642505},
        "A1": {"median_insert_size": 185.0, "mean_insert_size": 200.4543},
    }
    assert sources["NA12878"]["pct_mapped"] == str(root / "sentieon/NA12878.AlignmentStat_metrics.txt")
    assert sources["NA12878"]["mean_autosome_coverage"] == str(root / "picard/NA12878.wgs_metrics.txt")
    assert sources["A1"] == {
        "median_insert_size": str(root / "deep/a/b/is.txt"),
        "mean_insert_size": str(root / "deep/a/b/is.txt"),
    }


def test_collect_explicit_files_and_same_values_twice(tmp_path: Path) -> None:
    a = _place(tmp_path, "picard/MarkDuplicates/Example_101.metrics", "run1/Example_101.metrics")
    b = _place(tmp_path, "picard/MarkDuplicates/Example_101.metrics", "run2/Example_101.dup_metrics.txt")
    metrics, sources = collect_metrics([a, b, a], ["Example_101"])
    assert metrics == {"Example_101": {"pct_duplicates": 0.037049}}
    assert sources == {"Example_101": {"pct_duplicates": str(a)}}


def test_collect_conflicting_values(tmp_path: Path) -> None:
    a = _place(tmp_path, "picard/AlignmentSummaryMetrics/SingleEnd_AlignedSummaryMetrics.txt",
               "S1.alignment_summary_metrics")
    b = _place(tmp_path, "samtools/stats/Test1.txt", "S1.samtools_stats.txt")
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([tmp_path], ["S1"])
    assert str(info.value) == (
        f"sample 'S1': total_reads is 10000 in {a} but 101 in {b}; keep only one of the two files for this sample"
    )


def test_collect_name_and_content_mismatch(tmp_path: Path) -> None:
    wrong = _place(tmp_path, "picard/WgsMetrics/test1.wgs.metrics.txt", "X.selfSM")
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([tmp_path], ["X"])
    assert str(info.value) == (
        f"{wrong}: expected VerifyBamID output, but the content is a Picard CollectWgsMetrics file; "
        "give the right file or rename this one"
    )
    wrong.unlink()
    wrong = _place(tmp_path, "samtools/flagstat/samtools.flagstat.log.txt", "sub/X.samtools_stats.txt")
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([tmp_path], ["X"])
    assert str(info.value) == (
        f"{wrong}: expected samtools stats output, but the content is samtools flagstat output, which goe does "
        "not read; give the right file or rename this one"
    )
    wrong.unlink()
    wrong = _place(tmp_path, "picard/MarkDuplicates/Example_101.metrics", "X.mosdepth.summary.txt")
    with pytest.raises(SeqMetricsError, match="expected mosdepth summary output, but the content is a Picard MarkDup"):
        collect_metrics([tmp_path], ["X"])


def test_collect_sample_not_in_sheet(tmp_path: Path) -> None:
    f = _place(tmp_path, "verifybamid/issue_1112/sample.verifybamid.result.selfSM", "result.selfSM")
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([f], ["NA12878"])
    assert str(info.value) == (
        f"sample 'BloodSeq_21' in metrics file {f} is not in the sample sheet; add it or remove the file"
    )
    # no sample ID in the name and none in the content (Parabricks writes no command line)
    g = QC / "picard/WgsMetrics/parabricks_issue_1768/coverage_metrics.txt"
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([g], ["NA12878"])
    assert str(info.value) == (
        f"metrics file {g}: no sample ID of the sample sheet in its name or folder, and none in its content; "
        "put the sample ID in the file name, add the sample to the sheet, or remove the file"
    )


def test_collect_explicit_non_qc_file_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SeqMetricsError, match="samtools flagstat output, which goe does not read"):
        collect_metrics([QC / "samtools/flagstat/samtools.flagstat.log.txt"], ["S1"])
    region = QC / "mosdepth/shallow/shallow.mosdepth.region.dist.txt"
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([region], ["shallow"])
    assert str(info.value) == (
        f"{region}: a mosdepth region distribution or a VerifyBamID per-read-group table, which goe does not "
        "read; give the sample's .mosdepth.global.dist.txt or .selfSM instead"
    )
    with pytest.raises(SeqMetricsError) as info:
        collect_metrics([tmp_path / "nope"], ["S1"])
    assert str(info.value) == f"{tmp_path / 'nope'}: no such file or folder; check the path of the QC metrics"


def test_collect_rejects_an_unusable_file_in_a_folder(tmp_path: Path) -> None:
    _place(tmp_path, "picard/InsertSizeMetrics/sentieon_issue_1420/zero_reads.InsertSize_metrics.txt",
           "NA12878.insert_size_metrics.txt")
    with pytest.raises(SeqMetricsError, match="the insert size table has no rows"):
        collect_metrics([tmp_path], ["NA12878"])


def test_collect_folder_of_real_files(tmp_path: Path) -> None:
    # the real MarkDuplicates folder minus the files that cannot be assigned or used
    root = tmp_path / "md"
    shutil.copytree(PICARD / "MarkDuplicates", root)
    (root / "Example_101_102.metrics").unlink()
    shutil.rmtree(root / "parabricks_issue_1768")
    ids = ["Example_101", "Example_102", "S00111", "Test", "test_bwa", "Test_bwa", "SRR6000626", "NRS_ASCL1_KO_R1",
           "SRR1067500", "SRR1067503", "sample", "SJMB027_D", "Pinsky_150_repl1_PE", "matefixed"]
    metrics, _ = collect_metrics([root], ids)
    assert {s: m["pct_duplicates"] for s, m in metrics.items()} == {
        "Example_101": 0.037049,
        "Example_102": 0.076152,
        "S00111": 0.225679,  # by name: S00111_duplicate_metrics.txt
        "Test": 0.109876,  # test1.dup_metrics.txt -> content: --INPUT Test.sam.sorted.bam
        "test_bwa": 0.067166,
        "Test_bwa": 0.20219,
        "SRR6000626": 0.11998,
        "NRS_ASCL1_KO_R1": pytest.approx(0.30234054441052927),
        "SRR1067500": 0.160307,
        "SRR1067503": 0.090359,
        "sample": 0.186257,  # empty_sample.txt: INPUT=[sample.bam]
        "SJMB027_D": pytest.approx(0.21820799078917716),
        "Pinsky_150_repl1_PE": 0.279468,
        "matefixed": 0.021394,
    }
