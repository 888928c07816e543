"""Plan and run the chain: for each cohort qc -> freq (its pass list), then merge.

A step is skipped when its inputs and parameters are unchanged since it last
finished (a fingerprint over parameters and input checksums, kept in
``OUT/.goe-run/``); an interrupted run therefore resumes at the first step
that did not finish, and within that step keeps the partitions that finished
(``OUT/.goe-run/parts/STEP/``, valid for the same fingerprint only).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from goe import __version__
from goe.engine.resume import Resume
from goe.freq.run import FreqOptions, compute_frequencies
from goe.merge.run import MergeOptions, merge_packages
from goe.merge.worker import MergeParams
from goe.pipeline.config import RunConfig
from goe.progress import NO_PROGRESS, Progress
from goe.qc.run import QcOptions, run_qc

STATE = ".goe-run"
BIG = 64 << 20  # files larger than this are fingerprinted by size and time, not read


def file_digest(path: Path) -> str:
    """sha256 of a file (size and mtime for big ones); a package folder by its manifest."""
    if path.is_dir():
        path = path / "manifest.json"
    if not path.exists():
        return "missing"
    st = path.stat()
    if st.st_size > BIG:
        return f"size={st.st_size};mtime={st.st_mtime_ns}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Step:
    """One step of the chain."""

    name: str
    kind: str  # qc | freq | merge
    out: Path
    params: dict[str, Any]
    inputs: list[Path]
    action: Callable[[Progress, Resume], Any]
    status: str = "to run"
    result: Any = None

    def fingerprint(self) -> str:
        body = {"kind": self.kind, "params": self.params, "goe": __version__,
                "inputs": {str(p): file_digest(p) for p in self.inputs}}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class RunResult:
    """What the run did."""

    config: RunConfig
    steps: list[Step] = field(default_factory=list)


def _stamp(config: RunConfig, step: Step) -> Path:
    return config.out / STATE / f"{step.name.replace(' ', '_')}.json"


def _resume(config: RunConfig, step: Step) -> Resume:
    return Resume(config.out / STATE / "parts" / step.name.replace(" ", "_"), step.fingerprint())


def _intersect(passed: Path, keep: Path, target: Path) -> None:
    """The samples freq uses: the QC pass list, restricted to the cohort's own keep list."""
    wanted = {ln.strip() for ln in keep.read_text(encoding="utf-8").splitlines() if ln.strip()}
    ids = [ln.strip() for ln in passed.read_text(encoding="utf-8").splitlines() if ln.strip() in wanted]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")


def plan(config: RunConfig) -> list[Step]:
    """The steps of the run, in order."""
    steps: list[Step] = []
    packages: list[Path] = []
    for c in config.cohorts:
        qc_out = config.out / c.name / "qc" if c.qc else None
        if qc_out is not None:
            q = QcOptions(c.vcf, c.samples, qc_out, c.metrics, config.assembly, config.guidelines,
                          workers=config.workers, force=True, scheduler=config.scheduler,
                          partition_bytes=config.partition_bytes)
            steps.append(Step(f"{c.name} qc", "qc", qc_out,
                              {"assembly": config.assembly, "guidelines": config.guidelines,
                               "partition_bytes": config.partition_bytes},
                              [c.vcf, c.samples, *c.metrics], partial(run_qc, q)))
        passed = qc_out / "pass_samples.txt" if qc_out is not None else None
        keep = config.out / STATE / f"{c.name}.keep.txt" if passed and c.keep else (passed or c.keep)
        freq_out = config.out / c.name / "freq"
        f = FreqOptions(c.vcf, c.samples, freq_out, keep=keep, assembly=config.assembly, guidelines=config.guidelines,
                        mask=c.mask, min_allele_count=c.min_allele_count, country=c.country, workers=config.workers,
                        force=True, command_line=f"goe run {config.path.name} (cohort {c.name})",
                        callable=c.callable, scheduler=config.scheduler, partition_bytes=config.partition_bytes)

        def freq_action(pr: Progress, resume: Resume, f: FreqOptions = f, passed: Path | None = passed,
                        own: Path | None = c.keep) -> Any:
            if passed is not None and own is not None and f.keep is not None:
                _intersect(passed, own, f.keep)
            return compute_frequencies(f, pr, resume)

        inputs = [x for x in (c.vcf, c.samples, c.callable, passed, c.keep) if x is not None]
        steps.append(Step(f"{c.name} freq", "freq", freq_out,
                          {"assembly": config.assembly, "guidelines": config.guidelines, "mask": c.mask,
                           "min_allele_count": c.min_allele_count, "country": c.country,
                           "partition_bytes": config.partition_bytes},
                          inputs, freq_action))
        packages.append(freq_out)
    if config.merge is not None:
        mc = config.merge
        inputs = packages + list(mc.packages) + ([mc.reference] if mc.reference else [])
        m = MergeOptions([str(p) for p in packages + list(mc.packages)], config.out / mc.name, mc.reference,
                         mc.allow_mixed_guidelines, MergeParams(min_allele_count=mc.min_allele_count),
                         config.workers, force=True, command_line=f"goe run {config.path.name} (merge {mc.name})",
                         scheduler=config.scheduler)
        steps.append(Step(f"merge {mc.name}", "merge", config.out / mc.name, asdict(mc), inputs,
                          partial(merge_packages, m)))
    return steps


def run_chain(config: RunConfig, progress: Progress = NO_PROGRESS, dry_run: bool = False) -> RunResult:
    """Run (or with ``dry_run`` only plan) every step; unchanged steps are skipped."""
    result = RunResult(config, plan(config))
    pending: list[Path] = []  # outputs of steps that (would) run in this invocation
    for step in result.steps:
        stamp = _stamp(config, step)
        ready = all(p.exists() for p in step.inputs)
        upstream = any(p == out or out in p.parents for p in step.inputs for out in pending)
        done_before = stamp.exists() and step.out.exists()
        if (not (dry_run and upstream) and ready and done_before
                and json.loads(stamp.read_text())["fingerprint"] == step.fingerprint()):
            step.status = "unchanged"
            continue
        pending.append(step.out)
        if dry_run:
            step.status = "to run"
            continue
        step.result = step.action(progress, _resume(config, step))
        reused = getattr(step.result, "partitions_reused", 0)
        step.status = f"resumed ({reused} of {step.result.partitions} partitions kept)" if reused else "done"
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({"step": step.name, "fingerprint": step.fingerprint()}) + "\n", encoding="utf-8")
    return result
