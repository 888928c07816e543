"""goe's benchmark suite: `goe freq` against the GoE bcftools recipe, bcftools +fill-tags and plink2.

    make bench                                   # the default sizes (several minutes)
    .venv/bin/python benchmarks/run.py --quick   # small sizes only, about a minute
    .venv/bin/python benchmarks/run.py --sizes 1000x100000 --repeats 3 --tools goe,recipe

For each cohort size (samples x sites) it simulates two inputs with the same sites and
genotypes (``full``: GT:DP:GQ:AD, ``gt``: GT only; see simulate.py), then runs, in the
same process and one after the other:

- ``goe freq`` with 1, 2 and 4 local workers (``-j``);
- ``goe freq --scheduler`` on a real ``distributed.LocalCluster`` (127.0.0.1) with 1 and 2
  worker processes, started before the measurement (its CPU time and memory are counted);
- the GoE bcftools recipe, as in tests/helpers/recipe.py:
  ``bcftools norm -m -any | +setGT (mask) | +fixploidy | +fill-tags -S groups | view -G``;
- ``bcftools +fill-tags -S groups`` alone (``| view -G``);
- ``plink2 --vcf ... --freq`` (VCF import included): one population, all samples;
- plink2 computing goe's 12 populations on the GT-only input: one import (``--psam`` with
  sex and the groups, ``--split-par hg38``, so males are haploid on non-PAR X as in goe) and ``--freq counts``
  for Total and with ``--loop-cats`` over sex, country and country x sex.

Each command runs under measure.py (wall time, CPU time and peak memory of its process
tree). goe's AC/AN per population are checked against the recipe's and against plink2's
per-population counts at biallelic sites, and every goe run's sites.vcf.gz against the
first one (byte-identical). Results go to ``benchmarks/results/`` (results.md, results.csv,
runs.jsonl, wall.svg) and, for a non-quick run, the table to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import importlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from simulate import Cohort, simulate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SIZES = "200x20000,1000x20000,1000x100000"
QUICK_SIZES = "200x5000,200x20000"
TOOLS = ("goe", "dask", "recipe", "filltags", "plink2", "plink2pop")
TARGET_SAMPLES, TARGET_SITES = 1000, 100_000
TARGET_RATIO = 0.2
TARGET_MEMORY_MB = 1024.0
FLAT_TOLERANCE = 0.10  # peak memory "flat": at most 10% higher at the larger site count

GOE, DASK, RECIPE, FILLTAGS, PLINK2, PLINK2POP = (
    "goe freq",
    "goe freq (Dask)",
    "bcftools recipe",
    "bcftools +fill-tags",
    "plink2 --freq",
    "plink2 --freq, 12 populations",
)
TOOL_ORDER = (RECIPE, FILLTAGS, PLINK2, PLINK2POP, GOE, DASK)
PLINK2_COLS = "cols=chrom,pos,ref,alt,altfreq,nobs"
PLINK2_CATS = ("SEXC", "COUNTRY", "CS")  # psam columns looped over: sex, country, country x sex


@dataclass
class Job:
    """One command to measure."""

    tool: str
    kind: str  # input: full | gt
    workers: str  # "1", "2", "4" or "-"
    cmd: list[str]
    workdir: Path
    out: Path | None = None  # goe package folder or recipe output, for the checks
    cluster: int = 0  # > 0: run on a fresh LocalCluster with this many worker processes


@dataclass
class Run:
    """One measurement."""

    cohort: str
    samples: int
    sites: int
    kind: str
    tool: str
    workers: str
    repeat: int
    wall_s: float
    cpu_s: float
    peak_mb: float
    max_single_mb: float
    load_before: float
    ok: bool
    log: str


@dataclass
class Check:
    """How a run's numbers compare with the recipe's."""

    text: str
    identical: bool | None = None  # None: not checked


@dataclass
class Row:
    """A line of the results table (medians over the repeats)."""

    cohort: str
    samples: int
    sites: int
    kind: str
    tool: str
    workers: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    max_single_mb: float
    repeats: int
    ok: bool
    ratio: float | None = None
    check: Check = field(default_factory=lambda: Check("—"))


# ---------------------------------------------------------------- helpers


def recipe_helpers() -> ModuleType:
    """tests/helpers/recipe.py, the recipe the test suite compares goe with."""
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("helpers.recipe")


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for word in text.split(","):
        n, _, m = word.strip().lower().partition("x")
        out.append((int(n), int(m.replace("_", ""))))
    return out


def tool_version(cmd: list[str]) -> str:
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "not found"
    return text.strip().splitlines()[0] if text.strip() else "?"


def describe_machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GB"
                break
    except OSError:
        pass
    goe = tool_version([str(Path(sys.executable).parent / "goe"), "--version"])
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cores": f"{len(os.sched_getaffinity(0))} usable ({os.cpu_count()} online)",
        "cpu": model,
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "goe": goe,
        "bcftools": tool_version(["bcftools", "--version"]),
        "plink2": tool_version(["plink2", "--version"]),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- the commands


def recipe_files(cohort: Cohort, workdir: Path) -> list[str]:
    """Write samples/sex/groups/ploidy files for the recipe; return the group labels."""
    rh = recipe_helpers()
    samples = rh.read_sheet(cohort.sheet)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "sex.txt").write_text("".join(f"{s.vcf_id}\t{s.sex}\n" for s in samples))
    (workdir / "groups.txt").write_text(
        "".join(f"{s.vcf_id}\t{s.country},{s.sex},{s.country}_{s.sex}\n" for s in samples)
    )
    contigs = [ln.split("ID=", 1)[1].split(",", 1)[0] for ln in _header_lines(cohort.vcf) if ln.startswith("##contig")]
    (workdir / "ploidy.txt").write_text("".join(f"{ln}\n" for ln in rh.ploidy_lines(contigs, "GRCh38")))
    labels: list[str] = rh.group_labels(samples)
    return labels


def _header_lines(vcf: Path) -> list[str]:
    return subprocess.run(
        ["bcftools", "view", "-h", str(vcf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()


def recipe_command(cohort: Cohort, workdir: Path) -> str:
    """The recipe pipeline (as tests/helpers/recipe.py; all VCF samples are in the sheet, so no view -S)."""
    rh = recipe_helpers()
    recipe_files(cohort, workdir)
    fmt = {ln.split("ID=", 1)[1].split(",", 1)[0] for ln in _header_lines(cohort.vcf) if ln.startswith("##FORMAT")}
    expr = rh.mask_expression(fmt)
    steps = [f"bcftools norm --no-version -Ou -m -any {shlex.quote(str(cohort.vcf))}"]
    if expr:
        steps.append(f"bcftools +setGT --no-version -Ou -- -t q -n . -i {shlex.quote(expr)}")
    steps += [
        "bcftools +fixploidy --no-version -Ou -- -p ploidy.txt -s sex.txt",
        f"bcftools +fill-tags --no-version -Ou -- -S groups.txt -t {rh.TAGS}",
        "bcftools view --no-version -G -Ob -o recipe.bcf",
    ]
    return " | ".join(steps)


def filltags_command(cohort: Cohort, workdir: Path) -> str:
    rh = recipe_helpers()
    recipe_files(cohort, workdir)
    return (
        f"bcftools +fill-tags --no-version -Ou {shlex.quote(str(cohort.vcf))} -- -S groups.txt -t {rh.TAGS}"
        " | bcftools view --no-version -G -Ob -o filltags.bcf"
    )


def plink2_pop_command(cohort: Cohort, workdir: Path) -> str:
    """plink2 computing goe's populations: import once, then --freq counts per population."""
    rh = recipe_helpers()
    workdir.mkdir(parents=True, exist_ok=True)
    rows = ["#IID\tSEX\tSEXC\tCOUNTRY\tCS"]
    for smp in rh.read_sheet(cohort.sheet):
        sex = "1" if smp.sex == "M" else "2"
        rows.append(f"{smp.vcf_id}\t{sex}\t{smp.sex}\t{smp.country}\t{smp.country}_{smp.sex}")
    (workdir / "pop.psam").write_text("\n".join(rows) + "\n")
    freq = f"--freq counts {PLINK2_COLS}"
    steps = [
        f"plink2 --vcf {shlex.quote(str(cohort.vcf))} --psam pop.psam --split-par hg38 --make-pgen --out pg",
        f"plink2 --pfile pg {freq} --out Total",
        *(f"plink2 --pfile pg --loop-cats {c} {freq} --out {c}" for c in PLINK2_CATS),
    ]
    return " && ".join(f"{c} >/dev/null" for c in steps)


def make_jobs(
    cohorts: dict[str, Cohort],
    runs_dir: Path,
    tools: Sequence[str],
    workers: Sequence[int],
    dask_workers: Sequence[int],
) -> list[Job]:
    goe = str(Path(sys.executable).parent / "goe")
    jobs: list[Job] = []
    for kind, c in cohorts.items():
        base = runs_dir / kind
        if "recipe" in tools:
            wd = base / "recipe"
            jobs.append(
                Job(RECIPE, kind, "-", ["bash", "-o", "pipefail", "-c", recipe_command(c, wd)], wd, wd / "recipe.bcf")
            )
        if "filltags" in tools:
            wd = base / "filltags"
            jobs.append(Job(FILLTAGS, kind, "-", ["bash", "-o", "pipefail", "-c", filltags_command(c, wd)], wd))
        if "plink2" in tools:
            wd = base / "plink2"
            wd.mkdir(parents=True, exist_ok=True)
            jobs.append(
                Job(PLINK2, kind, "-", ["plink2", "--vcf", str(c.vcf), "--freq", "--out", str(wd / "plink2")], wd)
            )
        if "plink2pop" in tools and kind == "gt":  # on GT:DP:GQ:AD goe masks genotypes, plink2 does not
            wd = base / "plink2pop"
            cmd = ["bash", "-o", "pipefail", "-c", plink2_pop_command(c, wd)]
            jobs.append(Job(PLINK2POP, kind, "-", cmd, wd, wd))
        freq = [goe, "freq", str(c.vcf), "--samples", str(c.sheet), "--force", "--quiet"]
        if "goe" in tools:
            for w in workers:
                wd = base / f"goe-j{w}"
                wd.mkdir(parents=True, exist_ok=True)
                jobs.append(Job(GOE, kind, str(w), [*freq, "--out", str(wd / "pkg"), "-j", str(w)], wd, wd / "pkg"))
        if "dask" in tools and kind == "full":
            for w in dask_workers:
                wd = base / f"goe-dask{w}"
                wd.mkdir(parents=True, exist_ok=True)
                cmd = [*freq, "--out", str(wd / "pkg"), "--scheduler", "{scheduler}"]
                jobs.append(Job(DASK, kind, str(w), cmd, wd, wd / "pkg", cluster=w))
    return jobs


# ---------------------------------------------------------------- running


class LocalDask:
    """benchmarks/cluster.py in a subprocess: a LocalCluster until we close its stdin."""

    def __init__(self, n: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "cluster.py"), str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.address = self.proc.stdout.readline().strip()
        if not self.address.startswith("tcp://"):
            self.close()
            raise RuntimeError(f"the LocalCluster did not start (got {self.address!r})")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure(job: Job, log: Path, timeout: float) -> dict[str, Any]:
    cluster = LocalDask(job.cluster) if job.cluster else None
    try:
        cmd = [w.replace("{scheduler}", cluster.address) if cluster else w for w in job.cmd]
        track = ["--track", str(cluster.proc.pid)] if cluster else []
        wrapper = [
            sys.executable,
            str(HERE / "measure.py"),
            "--log",
            str(log),
            "--timeout",
            str(timeout),
            *track,
            "--",
            *cmd,
        ]
        done = subprocess.run(wrapper, cwd=job.workdir, capture_output=True, text=True, check=True)
        result: dict[str, Any] = json.loads(done.stdout)
        return result
    finally:
        if cluster:
            cluster.close()


def run_jobs(
    cohort: str, samples: int, sites: int, jobs: list[Job], repeats: int, timeout: float, jsonl: Path
) -> list[Run]:
    runs: list[Run] = []
    for r in range(repeats):
        for job in jobs:
            job.workdir.mkdir(parents=True, exist_ok=True)
            log = job.workdir / f"run{r}.log"
            m = measure(job, log, timeout)
            ok = m["returncode"] == 0 and not m["timed_out"]
            run = Run(
                cohort,
                samples,
                sites,
                job.kind,
                job.tool,
                job.workers,
                r,
                m["wall_s"],
                m["cpu_s"],
                m["peak_mb"],
                m["max_single_mb"],
                m["load_before"],
                ok,
                str(log),
            )
            runs.append(run)
            with jsonl.open("a") as fh:
                fh.write(json.dumps({**run.__dict__, **{f"raw_{k}": v for k, v in m.items()}}) + "\n")
            flag = "" if ok else f"  FAILED (see {log})"
            print(
                f"  {cohort:>13} {job.kind:4} {job.tool:20} {job.workers:>2}  wall {run.wall_s:7.2f} s  "
                f"CPU {run.cpu_s:7.2f} s  peak {run.peak_mb:7.0f} MB  (load {run.load_before:.1f}){flag}",
                flush=True,
            )
    return runs


# ---------------------------------------------------------------- checks


def _query(path: Path, labels: list[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    cols = "".join(f"\\t%{stat}{'' if g == 'Total' else '_' + g}" for g in labels for stat in ("AC", "AN"))
    text = subprocess.run(
        ["bcftools", "query", "-f", rf"%CHROM\t%POS\t%REF\t%ALT{cols}\n", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for line in text.splitlines():
        f = line.split("\t")
        out[tuple(f[:4])] = tuple(f[4:])
    return out


def biallelic_sites(vcf: Path) -> set[tuple[str, ...]]:
    text = subprocess.run(
        ["bcftools", "query", "-i", "N_ALT=1", "-f", r"%CHROM\t%POS\t%REF\t%ALT\n", str(vcf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {tuple(line.split("\t")) for line in text.splitlines()}


def _plink2_counts(folder: Path, labels: list[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """plink2's ALT_CTS and OBS_CT per population, keyed like :func:`_query` (chrX's PAR split back)."""
    per: dict[tuple[str, ...], list[str]] = {}
    files = {"Total": folder / "Total.acount"}
    for label in labels[1:]:
        cat = "SEXC" if label in ("M", "F") else "CS" if "_" in label else "COUNTRY"
        files[label] = folder / f"{cat}.{label}.acount"
    for k, label in enumerate(labels):
        for line in files[label].read_text().splitlines()[1:]:
            chrom, pos, _id, ref, alt, ac, an = line.split("\t")
            chrom = "chrX" if chrom in ("X", "XY", "PAR1", "PAR2") else f"chr{chrom}"
            per.setdefault((chrom, pos, ref, alt), ["?"] * (2 * len(labels)))[2 * k : 2 * k + 2] = [ac, an]
    return {key: tuple(v) for key, v in per.items()}


def _same_counts(
    goe: dict[tuple[str, ...], tuple[str, ...]],
    other: dict[tuple[str, ...], tuple[str, ...]],
    biallelic: set[tuple[str, ...]],
    n_labels: int,
    name: str,
) -> Check:
    """Whether goe's AC/AN equal ``other``'s at every biallelic site ``other`` reports.

    ``name`` is what the row is compared with: "recipe" on goe's row, "goe" on the other tool's.
    """
    keys = [k for k in other if k in biallelic]
    missing = sum(k not in goe for k in keys)
    diff = sum(1 for k in keys if k in goe and goe[k] != other[k])
    ok = missing == 0 and diff == 0 and len(keys) > 0
    if ok:
        return Check(f"= {name} ({len(keys):,} biallelic alleles x {n_labels} populations)", True)
    return Check(f"≠ {name}: {diff:,} alleles differ, {missing:,} missing from goe, of {len(keys):,}", False)


def check_outputs(cohorts: dict[str, Cohort], jobs: list[Job]) -> dict[tuple[str, str, str], Check]:
    """goe vs the recipe (AC/AN per population at biallelic sites), and goe runs against each other."""
    checks: dict[tuple[str, str, str], Check] = {}
    # The simulator writes the same sites to every kind: take the biallelic ones from the smallest file.
    smallest = min(cohorts.values(), key=lambda c: c.vcf.stat().st_size)
    biallelic = biallelic_sites(smallest.vcf)
    for kind, cohort in cohorts.items():
        recipe = next((j for j in jobs if j.kind == kind and j.tool == RECIPE), None)
        goes = [j for j in jobs if j.kind == kind and j.tool in (GOE, DASK) and j.out is not None]
        if not goes:
            continue
        pp = next((j for j in jobs if j.kind == kind and j.tool == PLINK2POP), None)
        labels = recipe_files(cohort, goes[0].workdir / "labels")
        first = goes[0]
        assert first.out is not None
        first_vcf = first.out / "sites.vcf.gz"
        if not first_vcf.exists():
            for j in goes:
                checks[(kind, j.tool, j.workers)] = Check("no output", False)
            continue
        goe_counts = _query(first_vcf, labels)
        if recipe is not None and recipe.out is not None and recipe.out.exists():
            check = _same_counts(goe_counts, _query(recipe.out, labels), biallelic, len(labels), "recipe")
            checks[(kind, first.tool, first.workers)] = check
            base = check.identical
        else:
            checks[(kind, first.tool, first.workers)] = Check("not compared (no recipe run)")
            base = None
        if pp is not None and (pp.workdir / "Total.acount").exists():
            theirs = _plink2_counts(pp.workdir, labels)
            checks[(kind, PLINK2POP, "-")] = _same_counts(goe_counts, theirs, biallelic, len(labels), "goe")
        digest = sha256(first_vcf)
        for j in goes[1:]:
            assert j.out is not None
            path = j.out / "sites.vcf.gz"
            same = path.exists() and sha256(path) == digest
            name = f"-j {first.workers}" if first.tool == GOE else f"Dask {first.workers}"
            if same:
                checks[(kind, j.tool, j.workers)] = Check(f"= recipe (byte-identical to {name})", base)
            else:
                checks[(kind, j.tool, j.workers)] = Check(f"differs from {name}", False)
    return checks


# ---------------------------------------------------------------- results


def summarise(runs: list[Run], checks: dict[tuple[str, str, str, str], Check]) -> list[Row]:
    groups: dict[tuple[str, str, str, str], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.cohort, r.kind, r.tool, r.workers), []).append(r)
    rows = []
    for (cohort, kind, tool, workers), rs in groups.items():
        good = [r for r in rs if r.ok] or rs
        rows.append(
            Row(
                cohort,
                rs[0].samples,
                rs[0].sites,
                kind,
                tool,
                workers,
                statistics.median(r.wall_s for r in good),
                statistics.median(r.cpu_s for r in good),
                statistics.median(r.peak_mb for r in good),
                statistics.median(r.max_single_mb for r in good),
                len(good),
                all(r.ok for r in rs),
                check=checks.get((cohort, kind, tool, workers), Check("—")),
            )
        )
    recipe = {(r.cohort, r.kind): r.wall_s for r in rows if r.tool == RECIPE and r.ok}
    for row in rows:
        base = recipe.get((row.cohort, row.kind))
        row.ratio = row.wall_s / base if base else None
    order = {t: i for i, t in enumerate(TOOL_ORDER)}
    rows.sort(
        key=lambda r: (
            r.samples * r.sites,
            r.samples,
            r.kind != "full",
            order[r.tool],
            int(r.workers) if r.workers.isdigit() else 0,
        )
    )
    return rows


def _kind_name(kind: str) -> str:
    return "GT:DP:GQ:AD" if kind == "full" else "GT only"


def _fmt_ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def markdown_table(rows: list[Row]) -> str:
    head = "| cohort (samples x sites) | input | tool | workers | wall s | CPU s | peak MB | wall / recipe | numbers |"
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        failed = "" if r.ok else " (FAILED)"
        lines.append(
            f"| {r.samples:,} x {r.sites:,} | {_kind_name(r.kind)} | {r.tool}{failed} | {r.workers} | {r.wall_s:.2f} | "
            f"{r.cpu_s:.2f} | {r.peak_mb:.0f} | {_fmt_ratio(r.ratio)} | {r.check.text} |"
        )
    return "\n".join(lines)


def flatness(rows: list[Row]) -> tuple[str, list[tuple[str, float, float, bool]]]:
    """Peak memory of each goe configuration at two site counts with the same samples."""
    by: dict[tuple[int, str, str, str], dict[int, float]] = {}
    for r in rows:
        if r.tool in (GOE, DASK) and r.ok:
            by.setdefault((r.samples, r.kind, r.tool, r.workers), {})[r.sites] = r.peak_mb
    lines = [
        "| samples | input | tool | workers | peak MB at each site count | growth |",
        "|---:|---|---|---:|---|---:|",
    ]
    results = []
    for (n, kind, tool, w), peaks in sorted(by.items()):
        if len(peaks) < 2:
            continue
        sites = sorted(peaks)
        lo, hi = peaks[sites[0]], peaks[sites[-1]]
        growth = hi / lo - 1
        cells = ", ".join(f"{peaks[s]:.0f} MB at {s:,}" for s in sites)
        lines.append(f"| {n:,} | {_kind_name(kind)} | {tool} | {w} | {cells} | {growth:+.0%} |")
        results.append((f"{tool} {w} ({_kind_name(kind)})", lo, hi, growth <= FLAT_TOLERANCE))
    if not results:
        return "(needs two cohorts with the same number of samples)", []
    return "\n".join(lines), results


def targets(rows: list[Row], flat: list[tuple[str, float, float, bool]]) -> list[str]:
    """The issue's targets, judged on the largest cohort measured."""
    if not rows:
        return []
    big = max(rows, key=lambda r: (r.samples >= TARGET_SAMPLES and r.sites >= TARGET_SITES, r.samples * r.sites))
    at = [r for r in rows if r.cohort == big.cohort]
    size = f"{big.samples:,} samples x {big.sites:,} sites"
    note = "" if big.samples >= TARGET_SAMPLES and big.sites >= TARGET_SITES else " (smaller than the target size)"
    out = [f"Judged at {size}{note}:", ""]

    def best(kind: str, tools: Iterable[str]) -> Row | None:
        cand = [r for r in at if r.kind == kind and r.tool in tools and r.ok]
        return min(cand, key=lambda r: r.wall_s) if cand else None

    def one(kind: str, tool: str) -> Row | None:
        return next((r for r in at if r.kind == kind and r.tool == tool and r.ok), None)

    g, rec = best("full", (GOE, DASK)), one("full", RECIPE)
    if g and rec:
        ratio = g.wall_s / rec.wall_s
        same = g.check.identical is True
        met = ratio <= TARGET_RATIO and same
        out.append(
            f"- **Speed vs the recipe (GT:DP:GQ:AD)**: target ≤ {TARGET_RATIO} x the recipe's wall time with identical "
            f"numbers. Fastest goe ({g.tool}, {g.workers} workers): {g.wall_s:.1f} s "
            f"vs the recipe's {rec.wall_s:.1f} s "
            f"= **{ratio:.2f} x**; numbers {'identical' if same else 'NOT verified identical'}. "
            f"**{'Met' if met else 'Not met'}**" + ("" if met else f" (needs {ratio / TARGET_RATIO:.1f}x faster)") + "."
        )
    g, p = best("gt", (GOE, DASK)), one("gt", PLINK2)
    if g and p:
        ratio = g.wall_s / p.wall_s
        out.append(
            f"- **GT-only input vs plink2 --freq**: target: no slower. Fastest goe ({g.tool}, {g.workers} workers): "
            f"{g.wall_s:.1f} s vs plink2's {p.wall_s:.1f} s = **{ratio:.1f} x**. "
            f"**{'Met' if ratio <= 1 else 'Not met'}**."
        )
    pp = one("gt", PLINK2POP)
    if g and pp:
        same = pp.check.identical is True
        out.append(
            f"- For comparison, the same work on GT-only input: plink2 computing goe's populations "
            f"(import, then `--freq counts` per population) {pp.wall_s:.1f} s; goe = **{g.wall_s / pp.wall_s:.1f} x** "
            f"that; plink2's counts {'equal' if same else 'NOT verified equal to'} goe's."
        )
    goes = [r for r in at if r.tool in (GOE, DASK) and r.ok]
    if goes:
        worst = max(goes, key=lambda r: r.peak_mb)
        single = max(goes, key=lambda r: r.max_single_mb)
        met = worst.peak_mb < TARGET_MEMORY_MB
        out.append(
            f"- **Peak memory < {TARGET_MEMORY_MB:.0f} MB**: largest peak of the whole goe process tree "
            f"{worst.peak_mb:.0f} MB ({worst.tool}, {worst.workers} workers, {_kind_name(worst.kind)}); "
            f"largest single process {single.max_single_mb:.0f} MB. **{'Met' if met else 'Not met'}**."
        )
    if flat:
        bad = [f for f in flat if not f[3]]
        out.append(
            f"- **Memory flat in the number of sites** (peak grows ≤ {FLAT_TOLERANCE:.0%} from the smallest to the "
            f"largest site count, same samples): {len(flat) - len(bad)} of {len(flat)} goe configurations. "
            f"**{'Met' if not bad else 'Not met'}**" + ("" if not bad else f" ({', '.join(f[0] for f in bad)})") + "."
        )
    return out


def write_csv(rows: list[Row], path: Path) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "tool",
                "input",
                "workers",
                "wall_s",
                "cpu_s",
                "peak_mb",
                "ratio_to_recipe_wall",
                "samples",
                "sites",
                "max_single_mb",
                "repeats",
                "ok",
                "numbers",
            ]
        )
        for r in rows:
            w.writerow(
                [
                    r.tool,
                    r.kind,
                    r.workers,
                    f"{r.wall_s:.3f}",
                    f"{r.cpu_s:.3f}",
                    f"{r.peak_mb:.1f}",
                    "" if r.ratio is None else f"{r.ratio:.4f}",
                    r.samples,
                    r.sites,
                    f"{r.max_single_mb:.1f}",
                    r.repeats,
                    r.ok,
                    r.check.text,
                ]
            )


def _e(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


COLORS = {RECIPE: "#7f7f7f", FILLTAGS: "#bcbd22", PLINK2: "#17becf", GOE: "#1f77b4", DASK: "#9467bd"}


def svg_chart(rows: list[Row]) -> str:
    """Horizontal bars of wall time, one panel per cohort and input, the recipe's time dashed."""
    panels: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        panels.setdefault((r.cohort, r.kind), []).append(r)
    width, label_w, bar_h, gap, head = 760, 190, 16, 4, 34
    y = 40
    parts: list[str] = []
    for (_cohort, kind), rs in panels.items():
        top = max(r.wall_s for r in rs) or 1.0
        scale = (width - label_w - 90) / top
        first = rs[0]
        parts.append(
            f'<text x="10" y="{y + 14}" font-weight="bold">{first.samples:,} samples x {first.sites:,} sites, '
            f"{_e(_kind_name(kind))}</text>"
        )
        y0 = y + head - 10
        for i, r in enumerate(rs):
            yy = y0 + i * (bar_h + gap)
            name = r.tool + (f" ({r.workers})" if r.workers != "-" else "")
            bw = max(1.0, r.wall_s * scale)
            parts.append(f'<text x="{label_w - 6}" y="{yy + bar_h - 4}" text-anchor="end">{_e(name)}</text>')
            parts.append(
                f'<rect x="{label_w}" y="{yy}" width="{bw:.1f}" height="{bar_h}" fill="{COLORS.get(r.tool, "#333")}">'
                f"<title>{_e(name)}: {r.wall_s:.2f} s wall, {r.cpu_s:.2f} s CPU, {r.peak_mb:.0f} MB</title></rect>"
            )
            parts.append(f'<text x="{label_w + bw + 4:.1f}" y="{yy + bar_h - 4}">{r.wall_s:.1f} s</text>')
        rec = next((r for r in rs if r.tool == RECIPE), None)
        y1 = y0 + len(rs) * (bar_h + gap)
        if rec:
            for frac, dash, label in ((1.0, "5,3", "recipe"), (TARGET_RATIO, "2,2", f"{TARGET_RATIO} x recipe")):
                x = label_w + rec.wall_s * frac * scale
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y0 - 4}" x2="{x:.1f}" y2="{y1}" '
                    f'stroke="#d62728" stroke-dasharray="{dash}"/>'
                )
                parts.append(f'<text x="{x + 2:.1f}" y="{y0 - 6}" fill="#d62728" font-size="10">{_e(label)}</text>')
        y = y1 + 24
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
        'font-family="sans-serif" font-size="12">'
        f'<rect width="{width}" height="{y}" fill="white"/>'
        '<text x="10" y="22" font-size="15" font-weight="bold">Wall time (s), lower is better</text>'
        + "".join(parts)
        + "</svg>\n"
    )


def report(
    rows: list[Row],
    machine: dict[str, str],
    args: argparse.Namespace,
    sim_seconds: dict[str, float],
    elapsed: float,
    profile: str = "",
) -> str:
    flat_table, flat = flatness(rows)
    lines = [
        "# goe benchmark results",
        "",
        f"`{' '.join(['benchmarks/run.py', *args.argv])}` — {args.repeats} repeat(s) (medians shown), "
        f"{elapsed / 60:.1f} min in all.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
        "",
        "## Results",
        "",
        "Wall and CPU time (user + system of the whole process tree) and peak memory (largest sampled sum of the "
        "RSS of every process of the tree, at least the exact largest single process). `wall / recipe` is the "
        "wall time divided by the bcftools recipe's on the same input. `numbers`: goe's AC/AN of every population "
        "against the recipe's at biallelic sites; other goe runs byte for byte against the first.",
        "",
        markdown_table(rows),
        "",
        "## Targets",
        "",
        *targets(rows, flat),
        "",
        "## Memory against the number of sites",
        "",
        flat_table,
        "",
        "Simulating the inputs (not part of any measurement): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in sim_seconds.items())
        + ".",
        "",
    ]
    if profile:
        stages = profile.split("\n\nTop functions", 1)[0]
        lines += ["## Where goe's time goes (cProfile, -j 1)", "", "```", stages.strip(), "```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", help=f"samples x sites, comma-separated [default: {DEFAULT_SIZES}]")
    ap.add_argument("--quick", action="store_true", help=f"small sizes only ({QUICK_SIZES}) unless --sizes is given")
    ap.add_argument("--repeats", type=int, default=1, help="measure each command this many times (medians reported)")
    ap.add_argument("--workers", default="1,2,4", help="goe freq -j values")
    ap.add_argument("--dask-workers", default="1,2", help="LocalCluster worker processes")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    ap.add_argument("--inputs", default="full,gt", help="full (GT:DP:GQ:AD) and/or gt (GT only)")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    ap.add_argument("--data", type=Path, help="simulated inputs (reused when present) [default: OUT/data]")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds before a command is killed")
    ap.add_argument("--no-results-md", action="store_true", help="do not update benchmarks/RESULTS.md")
    ap.add_argument("--profile", action="store_true", help="also profile goe freq -j 1 on the largest full input")
    args = ap.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    sizes = parse_sizes(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    kinds = [k.strip() for k in args.inputs.split(",") if k.strip()]
    workers = [int(x) for x in args.workers.split(",") if x]
    dask_workers = [int(x) for x in args.dask_workers.split(",") if x]
    for exe in ("bcftools", "bgzip", *(["plink2"] if {"plink2", "plink2pop"} & set(tools) else [])):
        if shutil.which(exe) is None:
            ap.error(f"{exe} is not on PATH (make tools installs it)")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    data = args.data or out / "data"
    jsonl = out / "runs.jsonl"
    jsonl.unlink(missing_ok=True)
    machine = describe_machine()
    print("goe benchmarks: " + ", ".join(f"{k}: {v}" for k, v in machine.items()), flush=True)
    t0 = time.perf_counter()
    runs: list[Run] = []
    checks: dict[tuple[str, str, str, str], Check] = {}
    sim_seconds: dict[str, float] = {}
    last_full: Cohort | None = None
    for n, m in sizes:
        name = f"{n}x{m}"
        cohorts: dict[str, Cohort] = {}
        for kind in kinds:
            t = time.perf_counter()
            cohorts[kind] = simulate(data, n, m, kind)
            sim_seconds[f"{name} {kind}"] = time.perf_counter() - t
            print(
                f"{cohorts[kind].vcf.name}: {cohorts[kind].vcf.stat().st_size / 1e6:,.0f} MB "
                f"({sim_seconds[f'{name} {kind}']:.1f} s)",
                flush=True,
            )
        last_full = cohorts.get("full", last_full)
        runs_dir = out / "runs" / name
        jobs = make_jobs(cohorts, runs_dir, tools, workers, dask_workers)
        runs += run_jobs(name, n, m, jobs, args.repeats, args.timeout, jsonl)
        for (kind, tool, w), c in check_outputs(cohorts, jobs).items():
            checks[(name, kind, tool, w)] = c
            print(f"  {name:>13} {kind:4} {tool:20} {w:>2}  {c.text}", flush=True)
    rows = summarise(runs, checks)
    profile_text = ""
    if args.profile and last_full is not None:
        print(f"profiling goe freq -j 1 on {last_full.vcf.name} ...", flush=True)
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "profile_goe.py"),
                str(last_full.vcf),
                "--samples",
                str(last_full.sheet),
                "--out",
                str(out / "runs" / "profile" / "pkg"),
                "--report",
                str(out / "profile.txt"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        profile_text = (
            (out / "profile.txt").read_text() if done.returncode == 0 else f"profiling failed:\n{done.stderr}"
        )
    text = report(rows, machine, args, sim_seconds, time.perf_counter() - t0, profile_text)
    (out / "results.md").write_text(text)
    write_csv(rows, out / "results.csv")
    (out / "wall.svg").write_text(svg_chart(rows))
    if not (args.quick or args.no_results_md):
        (HERE / "RESULTS.md").write_text(text)
    print()
    print(text)
    print(
        f"written: {out / 'results.md'}, {out / 'results.csv'}, {out / 'wall.svg'}, {jsonl}"
        + ("" if args.quick or args.no_results_md else f", {HERE / 'RESULTS.md'}")
    )
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
