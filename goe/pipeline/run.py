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
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from goe import __version__
from goe.engine.resume import Resume
from goe.freq.run import FreqOptions, compute_frequencies
from goe.guidelines.profile import available_profiles
from goe.merge.run import MergeOptions, merge_packages
from goe.merge.worker import MergeParams
from goe.pipeline.check import check_run
from goe.pipeline.config import RunConfig
from goe.progress import NO_PROGRESS, Progress
from goe.qc.run import QcOptions, run_qc

STATE = ".goe-run"
BIG = 64 << 20  # files larger than this are fingerprinted by size and time, not read


def _one_file(path: Path) -> str:
    st = path.stat()
    if st.st_size > BIG:
        return f"size={st.st_size};mtime={st.st_mtime_ns}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file (size and mtime for big ones); a folder by every file in it, with their names."""
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(x for x in path.rglob("*") if x.is_file()):
            h.update(f"{f.relative_to(path).as_posix()}\0{_one_file(f)}\n".encode())
        return h.hexdigest()
    if not path.exists():
        return "missing"
    return _one_file(path)


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
    _fingerprint: str | None = field(default=None, repr=False)

    def fingerprint(self) -> str:
        """Of the inputs' contents and the parameters; computed once (run_chain asks first when the
        steps before this one have finished, so its inputs no longer change)."""
        if self._fingerprint is None:
            body = {"kind": self.kind, "params": self.params, "goe": __version__,
                    "inputs": {os.path.abspath(p): file_digest(p) for p in self.inputs}}
            self._fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        return self._fingerprint


@dataclass
class RunResult:
    """What the run did."""

    config: RunConfig
    steps: list[Step] = field(default_factory=list)


def _stamp(config: RunConfig, step: Step) -> Path:
    return config.out / STATE / f"{step.name.replace(' ', '_')}.json"


def _read_stamp(stamp: Path) -> str | None:
    """The fingerprint a step recorded when it finished; ``None`` (run it again) when unreadable."""
    try:
        fingerprint = json.loads(stamp.read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return fingerprint if isinstance(fingerprint, str) else None


def _write_stamp(stamp: Path, step: Step) -> None:
    # Temp then rename: an interruption leaves the old record or the new one, never half of one.
    stamp.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(json.dumps({"step": step.name, "fingerprint": step.fingerprint()}) + "\n", encoding="utf-8")
    os.replace(tmp, stamp)


QC_OUTPUTS = ("samples.tsv", "pass_samples.txt", "relatedness.tsv", "summary.json", "report.html")
PACKAGE_OUTPUTS = ("manifest.json", "sites.vcf.gz", "sites.vcf.gz.tbi", "frequencies.parquet")


def outputs_complete(step: Step) -> bool:
    """Whether every file the step writes is still there (a deleted output means run it again)."""
    names: set[str] = set(QC_OUTPUTS if step.kind == "qc" else PACKAGE_OUTPUTS)
    if step.kind != "qc":
        try:
            listed = json.loads((step.out / "manifest.json").read_text(encoding="utf-8")).get("files", {})
            names |= set(listed) if isinstance(listed, dict) else set()
        except (OSError, ValueError, AttributeError):
            return False
    return all((step.out / n).is_file() for n in names)


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
    # A profile file (not a bundled name) is an input: editing a threshold must re-run QC and freq.
    g = config.guidelines
    profile = [Path(g)] if g is not None and g not in available_profiles() else []
    for c in config.cohorts:
        qc_out = config.out / c.name / "qc" if c.qc else None
        if qc_out is not None:
            q = QcOptions(c.vcf, c.samples, qc_out, c.metrics, config.assembly, config.guidelines,
                          workers=config.workers, force=True, scheduler=config.scheduler,
                          partition_bytes=config.partition_bytes)
            steps.append(Step(f"{c.name} qc", "qc", qc_out,
                              {"assembly": config.assembly, "guidelines": config.guidelines,
                               "partition_bytes": config.partition_bytes},
                              [c.vcf, c.samples, *c.metrics, *profile], partial(run_qc, q)))
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

        inputs = [x for x in (c.vcf, c.samples, c.callable, passed, c.keep, *profile) if x is not None]
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
    check_run(config)
    result = RunResult(config, plan(config))
    pending: list[Path] = []  # outputs of steps that (would) run in this invocation
    for step in result.steps:
        stamp = _stamp(config, step)
        ready = all(p.exists() for p in step.inputs)
        upstream = any(p == out or out in p.parents for p in step.inputs for out in pending)
        if (not (dry_run and upstream) and ready and _read_stamp(stamp) == step.fingerprint()
                and outputs_complete(step)):
            step.status = "unchanged"
            continue
        pending.append(step.out)
        if dry_run:
            step.status = "to run"
            continue
        step.result = step.action(progress, _resume(config, step))
        reused = getattr(step.result, "partitions_reused", 0)
        step.status = f"resumed ({reused} of {step.result.partitions} partitions kept)" if reused else "done"
        _write_stamp(stamp, step)
    return result
