"""The Dask engine on a real local cluster: same bytes as local workers, retries, one-line errors.

A module-scoped ``distributed.LocalCluster`` (2 worker processes, one thread
each, 127.0.0.1 only) runs `goe freq`, `goe qc` and `goe merge` partitions;
every package must be byte-identical to the local run (``-j 1``) with the same
``--out`` folder name in another parent folder. A worker killed with SIGKILL
in the middle of a partition must cost nothing: the partition runs again and
the package is still the same bytes. Errors (no scheduler, workers that cannot
see the files, Dask not installed) are one line on stderr, exit 1, and leave
no output folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_support import KG, PACKAGE_FILES, SMALL_VCF, leftovers, write_sheet
from typer.testing import CliRunner, Result

from goe.cli.freq import provenance_command
from goe.cli.main import app
from goe.errors import InputError
from goe.freq.run import FreqOptions, FreqResult, compute_frequencies

distributed = pytest.importorskip("distributed", reason="the Dask engine needs dask[distributed] (goe[dask])")

BIG_VCF = KG / "phase3_1126_allchr.vcf.gz"  # GRCh37, 1126 samples, 25,709 records on every chromosome
BIG_SAMPLES = KG / "phase3_1126_allchr.samples.tsv"
PART = "256K"  # ~24 partitions of BIG_VCF
QC_FILES = ("samples.tsv", "relatedness.tsv", "summary.json", "pass_samples.txt")
NATIONS = ("GB", "KE")  # two countries of BIG_SAMPLES' sheet, one national package each
SHARED = "inputs and --out must be on storage every worker reads at the same path (a shared filesystem)"
SHARED_RE = re.escape(SHARED)
WORKER_RE = r"Dask worker tcp://127\.0\.0\.1:\d+"
NO_SCHEDULER = "tcp://127.0.0.1:1"  # nothing listens on port 1
N_RECORDS = 25_709  # records in BIG_VCF
FREQ_PHASE = "goe freq"  # the progress phase of goe freq's partitions
ONE_THREAD = {"POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
GOE = Path(sys.executable).with_name("goe")


def _cluster(n_workers: int) -> Any:
    """A local cluster on 127.0.0.1 only (the scheduler's HTTP server too); one thread per worker process."""
    return distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, env=ONE_THREAD,
    )


def goe(args: list[Any], **env: str | None) -> Result:
    """``goe ARGS`` in-process; GOE_DEBUG and GOE_DASK_SCHEDULER unset unless given."""
    runner = CliRunner(env={"GOE_DEBUG": None, "GOE_DASK_SCHEDULER": None, **env})
    return runner.invoke(app, [str(a) for a in args])


def _ok(result: Result) -> None:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"


class Reference:
    """A local goe run (``-j 1``) in a child process, started early so it overlaps the Dask runs."""

    def __init__(self, args: list[Any], out: Path) -> None:
        self.out = out
        self.log = out.parent / f"{out.name}.stderr"
        out.parent.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("GOE_DEBUG", "GOE_DASK_SCHEDULER")}
        with self.log.open("w") as err:
            self.proc = subprocess.Popen([GOE, *map(str, args), "--out", out, "-j", "1", "-q"],
                                         stdout=subprocess.DEVNULL, stderr=err, env={**env, **ONE_THREAD})

    def wait(self) -> Path:
        code = self.proc.wait(timeout=600)
        assert code == 0, f"the local run failed (exit {code}): {self.log.read_text()}"
        return self.out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes (with nannies, so a killed worker comes back)."""
    c = _cluster(2)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def address(cluster: Any) -> str:
    return str(cluster.scheduler_address)


@pytest.fixture(scope="module")
def observer(address: str) -> Iterator[Any]:
    """A client of our own, to watch the scheduler and find the workers' PIDs."""
    client = distributed.Client(address, set_as_default=False)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dask")


@pytest.fixture(scope="module")
def big_sheet(work: Path) -> Path:
    return write_sheet(work / "phase3.sheet.tsv", BIG_SAMPLES)


@pytest.fixture(scope="module")
def small_sheet(work: Path) -> Path:
    return write_sheet(work / "small.sheet.tsv")


@pytest.fixture(scope="module")
def keep_lists(work: Path, big_sheet: Path) -> dict[str, Path]:
    """A --keep list per country of NATIONS, from the sheet."""
    rows = [line.split("\t") for line in big_sheet.read_text().splitlines()[1:]]
    lists = {}
    for cc in NATIONS:
        lists[cc] = work / f"keep_{cc}.txt"
        lists[cc].write_text("".join(f"{r[0]}\n" for r in rows if r[2] == cc))
    return lists


def freq_args(sheet: Path, *extra: Any) -> list[Any]:
    return ["freq", BIG_VCF, "--samples", sheet, "--assembly", "GRCh37", "--partition-size", PART, *extra]


def qc_args(sheet: Path) -> list[Any]:
    return ["qc", BIG_VCF, "--samples", sheet, "--assembly", "GRCh37", "--partition-size", PART]


@pytest.fixture(scope="module")
def references(work: Path, big_sheet: Path, keep_lists: dict[str, Path]) -> Iterator[dict[str, Reference]]:
    """The local runs every Dask run is compared with, all started at once in the background."""
    refs: dict[str, Reference] = {}
    try:
        refs["freq"] = Reference(freq_args(big_sheet), work / "local" / "phase3")
        refs["qc"] = Reference(qc_args(big_sheet), work / "local" / "qc")
        cc = NATIONS[0]
        refs[cc] = Reference(freq_args(big_sheet, "--keep", keep_lists[cc]), work / "national" / cc)
        yield refs
    finally:
        for ref in refs.values():
            ref.stop()


@pytest.fixture(scope="module")
def national(work: Path, big_sheet: Path, keep_lists: dict[str, Path], references: dict[str, Reference],
             address: str) -> list[Path]:
    """A package per country of NATIONS, made with goe freq --keep from BIG_VCF (the first locally)."""
    packages = [references[NATIONS[0]].wait()]
    for cc in NATIONS[1:]:
        out = work / "national" / cc
        _ok(goe([*freq_args(big_sheet, "--keep", keep_lists[cc]), "--out", out, "--scheduler", address, "-q"]))
        packages.append(out)
    return packages


def assert_same_bytes(expected: Path, got: Path, names: Any) -> None:
    """Every file of ``names`` is the same bytes in both folders."""
    missing = [n for n in names if not (got / n).is_file()]
    assert not missing, f"{missing} not written in {got}"
    differ = [n for n in sorted(names) if (expected / n).read_bytes() != (got / n).read_bytes()]
    assert not differ, f"{differ} differ between the local run ({expected}) and the Dask run ({got})"


def goe_keys(stream: Any) -> set[str]:
    """Keys of the goe partitions the cluster ran while ``stream`` recorded."""
    return {str(t["key"]) for t in stream.data if str(t["key"]).startswith("goe-")}


def error_line(stderr: str) -> str:
    """The ``error:`` line of a failed run's stderr."""
    assert "Traceback" not in stderr
    found = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(found) == 1, f"expected one 'error:' line on stderr, got:\n{stderr}"
    return found[0]


def assert_only_line(stderr: str) -> None:
    """Nothing but the error on stderr: no progress bar, no log, no traceback."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected the error alone on stderr, got {len(lines)} lines:\n{stderr}"


# ------------------------------------------------------------------ 1. same bytes as local workers


@pytest.mark.slow
def test_freq_on_dask_is_byte_identical_to_local(
    work: Path, big_sheet: Path, references: dict[str, Reference], address: str, observer: Any
) -> None:
    out = work / "dask" / "phase3"
    with distributed.get_task_stream(client=observer) as stream:
        _ok(goe([*freq_args(big_sheet), "--out", out, "--scheduler", address, "-q"]))
    assert len(goe_keys(stream)) >= 10, "the partitions did not run on the cluster"
    local = references["freq"].wait()
    assert_same_bytes(local, out, PACKAGE_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(PACKAGE_FILES)
    assert not leftovers(out)


@pytest.mark.slow
def test_qc_on_dask_is_byte_identical_to_local(
    work: Path, big_sheet: Path, references: dict[str, Reference], address: str, observer: Any
) -> None:
    out = work / "dask" / "qc"
    with distributed.get_task_stream(client=observer) as stream:
        _ok(goe([*qc_args(big_sheet), "--out", out, "--scheduler", address, "-q"]))
    assert len(goe_keys(stream)) >= 10, "the partitions did not run on the cluster"
    local = references["qc"].wait()
    assert_same_bytes(local, out, QC_FILES)
    assert sorted(p.name for p in local.iterdir()) == sorted(p.name for p in out.iterdir())


@pytest.mark.slow
def test_merge_on_dask_is_byte_identical_to_local(
    work: Path, national: list[Path], address: str, observer: Any
) -> None:
    reference = Reference(["merge", *national], work / "local" / "europe")
    try:
        out = work / "dask" / "europe"
        with distributed.get_task_stream(client=observer) as stream:
            _ok(goe(["merge", *national, "--out", out, "--scheduler", address, "-q"]))
        assert goe_keys(stream), "the partitions did not run on the cluster"
        local = reference.wait()
    finally:
        reference.stop()
    assert_same_bytes(local, out, PACKAGE_FILES)
    labels = {p["label"] for p in json.loads((out / "manifest.json").read_text())["populations"]}
    assert set(NATIONS) <= labels


# ------------------------------------------------------------------ 2. GOE_DASK_SCHEDULER


def _small_args(out: Path, sheet: Path) -> list[Any]:
    return ["freq", SMALL_VCF, "--samples", sheet, "--out", out, "-q", "--partition-size", "8K"]


def test_scheduler_from_the_environment(
    work: Path, small_sheet: Path, address: str, observer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = work / "env_local" / "small"
    _ok(goe([*_small_args(local, small_sheet), "-j", "1"]))

    cli = work / "env_cli" / "small"
    with distributed.get_task_stream(client=observer) as stream:
        _ok(goe(_small_args(cli, small_sheet), GOE_DASK_SCHEDULER=address))
    assert goe_keys(stream), "GOE_DASK_SCHEDULER was set but nothing ran on the cluster"
    assert_same_bytes(local, cli, PACKAGE_FILES)

    # The library reads it too (FreqOptions.scheduler left unset).
    monkeypatch.setenv("GOE_DASK_SCHEDULER", address)
    lib = work / "env_lib" / "small"
    opts = FreqOptions(vcf=SMALL_VCF, samples=small_sheet, out=lib, guidelines="1mg-proof-draft",
                       partition_bytes=8 << 10, command_line=provenance_command(SMALL_VCF, small_sheet, lib))
    with distributed.get_task_stream(client=observer) as stream:
        compute_frequencies(opts)
    assert goe_keys(stream), "the library ignored GOE_DASK_SCHEDULER"
    assert_same_bytes(local, lib, PACKAGE_FILES)


def test_scheduler_option_wins_over_the_environment(
    work: Path, small_sheet: Path, address: str, observer: Any
) -> None:
    out = work / "env_override" / "small"
    with distributed.get_task_stream(client=observer) as stream:
        _ok(goe([*_small_args(out, small_sheet), "--scheduler", address], GOE_DASK_SCHEDULER=NO_SCHEDULER))
    assert goe_keys(stream)


# ------------------------------------------------------------------ 3. a worker dies mid-partition


class _Counting:
    """A Progress that counts what each phase reported (called from the run's thread)."""

    def __init__(self) -> None:
        self.phase = ""
        self.done: dict[str, int] = {}
        self.total: dict[str, int | None] = {}

    def start(self, description: str, total: int | None, unit: str) -> None:
        self.phase = description
        self.total[description] = total
        self.done[description] = 0

    def advance(self, amount: int) -> None:
        self.done[self.phase] += amount

    def finish(self) -> None:
        return None


def _wait_for_workers(client: Any, n: int, gone: str, timeout: float = 60) -> None:
    """Until ``n`` workers are up and ``gone`` is not one of them (the nanny restarted it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = client.scheduler_info()["workers"]
        if len(workers) == n and gone not in workers:
            return
        time.sleep(0.1)
    raise AssertionError(f"the cluster did not get back to {n} workers within {timeout} s")


def _executing(dask_worker: Any) -> list[str]:
    """Run on each worker: the goe partitions it is computing right now."""
    return [str(ts.key) for ts in dask_worker.state.executing if str(ts.key).startswith("goe-")]


def _times_started(key: str, dask_scheduler: Any) -> int:
    """Run on the scheduler: how often ``key`` was sent to a worker."""
    return sum(1 for t in dask_scheduler.story(key) if t[0] == key and t[2] == "processing")


@dataclass
class _Kill:
    victim: str | None = None  # the killed worker's address
    key: str | None = None  # the partition it was computing
    mid_run: bool = False  # the run was still going, with partitions left, when the kill landed
    result: FreqResult | None = None


def _run_and_kill(opts: FreqOptions, observer: Any, progress: _Counting) -> _Kill:
    """Run goe freq in a thread; once a partition is done, SIGKILL a worker that is computing another."""
    kill = _Kill()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            kill.result = compute_frequencies(opts, progress)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    pids: dict[str, int] = observer.run(os.getpid)
    assert len(pids) == 2
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while thread.is_alive():
        if progress.done.get(FREQ_PHASE):  # partitions are finishing: the run is under way
            busy = sorted((w, keys) for w, keys in observer.run(_executing).items() if keys)
            if busy:
                kill.victim, kill.key = busy[0][0], busy[0][1][0]
                os.kill(pids[kill.victim], signal.SIGKILL)
                kill.mid_run = thread.is_alive() and progress.done[FREQ_PHASE] < (progress.total[FREQ_PHASE] or 0)
                break
        time.sleep(0.02)
    thread.join(timeout=300)
    assert not thread.is_alive(), "the run did not finish after the worker was killed"
    if errors:
        raise errors[0]
    if kill.victim is not None:
        _wait_for_workers(observer, 2, kill.victim)
        assert pids[kill.victim] not in observer.run(os.getpid).values(), "the killed worker is still there"
    return kill


@pytest.mark.slow
def test_worker_killed_mid_partition_is_retried(
    work: Path, big_sheet: Path, keep_lists: dict[str, Path], references: dict[str, Reference], address: str,
    observer: Any,
) -> None:
    """SIGKILL a worker while it computes a partition: the partition runs again, the package is the same bytes.

    The run is a national package (goe freq --keep, through the library) of BIG_VCF in 256K
    partitions; the reference is the same package made locally with -j 1.
    """
    cc = NATIONS[0]
    keep = keep_lists[cc]
    for attempt in range(3):
        out = work / f"killed{attempt}" / cc
        opts = FreqOptions(vcf=BIG_VCF, samples=big_sheet, out=out, keep=keep, assembly="GRCh37",
                           guidelines="1mg-proof-draft", scheduler=address, partition_bytes=256 << 10,
                           command_line=provenance_command(BIG_VCF, big_sheet, out, keep=keep, assembly="GRCh37"))
        progress = _Counting()
        kill = _run_and_kill(opts, observer, progress)
        assert kill.result is not None
        if kill.victim is None:
            continue  # the run ended before a partition was caught running: try again
        assert kill.mid_run, "the kill did not land while the run was under way"
        assert observer.run_on_scheduler(_times_started, kill.key) >= 2, f"{kill.key} was not run again"
        assert progress.done[FREQ_PHASE] == progress.total[FREQ_PHASE] == N_RECORDS, "records lost or counted twice"
        assert kill.result.manifest["counts"]["records_read"] == N_RECORDS
        assert_same_bytes(references[cc].wait(), out, PACKAGE_FILES)
        assert not leftovers(out)
        return
    pytest.fail("no partition was caught running in 3 attempts: the kill never happened")


# ------------------------------------------------------------------ 4. errors are one line


def test_unreachable_scheduler_is_one_line(
    work: Path, small_sheet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = distributed.Client

    def quick(*args: Any, **kwargs: Any) -> Any:  # goe waits 15 s for a scheduler; 1 s will do here
        kwargs["timeout"] = "1s"
        return real(*args, **kwargs)

    monkeypatch.setattr(distributed, "Client", quick)
    out = work / "unreachable" / "small"
    result = goe(["freq", SMALL_VCF, "--samples", small_sheet, "--out", out, "--scheduler", NO_SCHEDULER])
    assert result.exit_code == 1, result.output
    line = error_line(result.stderr)
    assert line.startswith(f"error: cannot reach the Dask scheduler at {NO_SCHEDULER}")
    assert line.endswith("check the address, and that the scheduler is running")
    assert not out.exists()
    assert not leftovers(out)
    assert_only_line(result.stderr)


def test_check_workers_names_the_worker_and_the_path(observer: Any, tmp_path: Path) -> None:
    from goe.engine.dask import check_workers

    check_workers(observer, [SMALL_VCF], [tmp_path])  # all fine: no error
    missing = tmp_path / "not_on_the_workers.vcf.gz"
    with pytest.raises(InputError) as err:
        check_workers(observer, [SMALL_VCF, missing], [tmp_path])
    assert re.fullmatch(rf"{WORKER_RE}: cannot read {re.escape(str(missing))}; {SHARED_RE}",
                        str(err.value)), str(err.value)
    with pytest.raises(InputError) as err:
        check_workers(observer, [SMALL_VCF], [tmp_path / "no_such_folder"])
    assert f"cannot write in {tmp_path / 'no_such_folder'}; {SHARED}" in str(err.value)


@pytest.fixture(scope="module")
def elsewhere(work: Path) -> Iterator[str]:
    """A one-worker cluster whose worker runs in another working directory; its address."""
    cwd = Path.cwd()
    worker_cwd = work / "worker_cwd"
    worker_cwd.mkdir()
    os.chdir(worker_cwd)
    try:
        c = _cluster(1)
    finally:
        os.chdir(cwd)
    try:
        yield str(c.scheduler_address)
    finally:
        c.close()


def test_relative_paths_with_workers_in_another_directory(
    work: Path, small_sheet: Path, elsewhere: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """goe checks the inputs on the workers at their absolute path, so it must hand the workers that path too.

    Acceptable: the run works (same bytes as locally), or one line saying the
    workers cannot read the file. Not acceptable: a worker crash after retries.
    """
    here = work / "relative"
    (here / "in").mkdir(parents=True)
    for src in (SMALL_VCF, SMALL_VCF.with_name(SMALL_VCF.name + ".csi")):
        shutil.copy(src, here / "in" / src.name)
    shutil.copy(small_sheet, here / "in" / "sheet.tsv")
    monkeypatch.chdir(here)
    args = ["freq", f"in/{SMALL_VCF.name}", "--samples", "in/sheet.tsv", "--partition-size", "8K", "-q"]
    _ok(goe([*args, "--out", "local/small", "-j", "1"]))
    result = goe([*args, "--out", "dask/small", "--scheduler", elsewhere])
    if result.exit_code == 0:
        assert_same_bytes(here / "local" / "small", here / "dask" / "small", PACKAGE_FILES)
    else:
        assert result.exit_code == 1, f"exit {result.exit_code}: {result.stderr}"
        assert re.fullmatch(rf"error: {WORKER_RE}: cannot read \S+; {SHARED_RE}", error_line(result.stderr))
        assert not (here / "dask" / "small").exists()


def test_inputs_the_workers_cannot_see_are_one_line(work: Path, small_sheet: Path, elsewhere: str) -> None:
    """The worker's view of a folder is taken away (os.access denies it there); the client still sees it."""
    hidden = work / "hidden"
    hidden.mkdir()
    vcf = hidden / SMALL_VCF.name
    for src in (SMALL_VCF, SMALL_VCF.with_name(SMALL_VCF.name + ".csi")):
        shutil.copy(src, hidden / src.name)

    def hide(prefix: str) -> None:  # runs on the worker: os.access says no under prefix
        real = os.access

        def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
            return not str(path).startswith(prefix) and real(path, mode, *args, **kwargs)

        os.access = access  # type: ignore[assignment]

    with distributed.Client(elsewhere, set_as_default=False) as client:
        client.run(hide, str(hidden))

    out = work / "unseen" / "small"
    result = goe(["freq", vcf, "--samples", small_sheet, "--out", out, "--scheduler", elsewhere])
    assert result.exit_code == 1, result.output
    line = error_line(result.stderr)
    assert re.fullmatch(rf"error: {WORKER_RE}: cannot read {re.escape(str(vcf))}; {SHARED_RE}", line), line
    assert not out.exists()
    assert not leftovers(out)
    first_stderr = result.stderr

    out = hidden / "small"  # the client can write there, the worker cannot
    result = goe(["freq", SMALL_VCF, "--samples", small_sheet, "--out", out, "--scheduler", elsewhere])
    assert result.exit_code == 1, result.output
    line = error_line(result.stderr)
    assert re.fullmatch(rf"error: {WORKER_RE}: cannot write in {re.escape(str(hidden))}/\S+; {SHARED_RE}",
                        line), line
    assert not out.exists()
    assert not leftovers(out)
    assert_only_line(first_stderr)
    assert_only_line(result.stderr)


# ------------------------------------------------------------------ 5. Dask not installed


def test_without_dask_the_hint_is_one_line(work: Path, small_sheet: Path) -> None:
    out = work / "nodask" / "small"
    code = "import sys; sys.modules['distributed'] = None; from goe.cli.main import app; app(prog_name='goe')"
    env = {k: v for k, v in os.environ.items() if k not in ("GOE_DEBUG", "GOE_DASK_SCHEDULER")}
    proc = subprocess.run(
        [sys.executable, "-c", code, "freq", str(SMALL_VCF), "--samples", str(small_sheet), "--out", str(out),
         "--scheduler", NO_SCHEDULER],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert error_line(proc.stderr) == (f"error: --scheduler {NO_SCHEDULER} needs Dask, which is not installed; "
                                       "install it: pip install 'goe[dask]'")
    assert not out.exists()
    assert not leftovers(out)
    assert_only_line(proc.stderr)
