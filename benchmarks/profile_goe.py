"""Where `goe freq` spends its time: one single-worker run under cProfile, summarised by stage.

    python benchmarks/profile_goe.py VCF --samples SHEET [--out DIR] [--report FILE]

With ``-j 1`` goe runs every partition in this process, so one profile sees all of
it. Stages are the cumulative time of goe's own functions (cProfile's overhead,
roughly +30% on Python-heavy code, is included, so read the shares, not the seconds).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# (stage, [(file suffix, function name, "ct" cumulative | "tt" own time)]); indented stages are parts of the one above.
STAGES: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("read + decode records (-> numpy batches)", (("goe/vcf/reader.py", "iter_batches", "ct"),)),
    ("  inflating BGZF blocks (libdeflate)", (("~", "<built-in method deflate._deflate.deflate_decompress>", "tt"),)),
    ("  decoding VCF text (goe's C decoder)", (("~", "<built-in method goe.vcf._textvcf.parse>", "tt"),)),
    ("  cyvcf2 reader (BCF, or fallback)", (("goe/vcf/reader.py", "_iter_htslib", "ct"),)),
    ("genotype mask", (("goe/freq/genotypes.py", "apply_mask", "ct"),)),
    ("ploidy", (("goe/freq/genotypes.py", "apply_ploidy", "ct"), ("goe/genome/ploidy.py", "site_classes", "ct"))),
    ("split alleles", (("goe/freq/alleles.py", "select_alleles", "ct"),)),
    ("counting (C, one pass per record) + HWE", (("goe/freq/counting.py", "count_alleles", "ct"),)),
    ("  HWE exact test (per allele and population)", (("goe/freq/hwe.py", "hwe_pvalues", "ct"),)),
    ("variant filters", (("goe/freq/filters.py", "evaluate_filters", "ct"),)),
    ("formatting sites VCF lines (C)", (("goe/freq/output.py", "vcf_text", "ct"),)),
    ("building the long (Parquet) table", (("goe/freq/output.py", "long_table", "ct"),)),
    (
        "writing parts (BGZF + Parquet)",
        (("goe/vcf/bgzf.py", "write", "ct"), ("goe/freq/output.py", "write_final_parquet", "ct")),
    ),
    ("finalise (join VCF and Parquet parts, index, sha256)", (("goe/package/finalise.py", "finalise_package", "ct"),)),
    ("all partitions (the stages above but finalise)", (("goe/freq/worker.py", "run_freq_part", "ct"),)),
    ("goe freq, from options to package", (("goe/freq/run.py", "compute_frequencies", "ct"),)),
)


def stage_times(stats: pstats.Stats) -> list[tuple[str, float]]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    out = []
    for stage, keys in STAGES:
        total = 0.0
        for (file, _line, func), (_cc, _nc, tt, ct, _callers) in raw.items():
            for suffix, name, mode in keys:
                if (file == suffix if suffix == "~" else file.endswith(suffix)) and func == name:
                    total += tt if mode == "tt" else ct
        out.append((stage, total))
    return out


def profile(vcf: Path, samples: Path, out: Path) -> tuple[float, pstats.Stats]:
    argv = ["goe", "freq", str(vcf), "--samples", str(samples), "--out", str(out), "-j", "1", "--force", "--quiet"]
    prof = cProfile.Profile()
    saved = sys.argv
    sys.argv = argv
    t0 = time.perf_counter()
    prof.enable()
    try:
        from goe.cli.main import run

        run()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        prof.disable()
        sys.argv = saved
    return time.perf_counter() - t0, pstats.Stats(prof)


def summary(vcf: Path, wall: float, stats: pstats.Stats) -> str:
    lines = [f"goe freq -j 1 on {vcf.name} under cProfile: {wall:.1f} s (imports and CLI included)", ""]
    lines.append(f"{'stage':58} {'s':>8} {'share':>7}")
    for stage, t in stage_times(stats):
        lines.append(f"{stage:58} {t:8.2f} {t / wall:7.1%}")
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(20)
    lines += ["", "Top functions by own time:", buf.getvalue().split("\n", 6)[-1].rstrip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("vcf", type=Path)
    ap.add_argument("--samples", type=Path, required=True)
    ap.add_argument("--out", type=Path, help="package folder [default: a temporary folder]")
    ap.add_argument("--report", type=Path, help="also write the summary to this file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="goe-profile-") as tmp:
        out = args.out or Path(tmp) / "pkg"
        wall, stats = profile(args.vcf, args.samples, out)
        text = summary(args.vcf, wall, stats)
    print(text)
    if args.report:
        args.report.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
