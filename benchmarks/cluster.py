"""Start a local Dask cluster (127.0.0.1 only) and keep it running until stdin closes.

    python benchmarks/cluster.py N_WORKERS

prints the scheduler address (``tcp://127.0.0.1:PORT``) on the first line of stdout.
The workers are processes (one thread each), started by this process, so the whole
cluster (scheduler, nannies, workers) is this process's tree: ``measure.py --track PID``
accounts its CPU time and memory. Like goe's local engine, each worker is told to keep
polars and BLAS to one thread.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 1
    os.environ.update({k: "1" for k in ("POLARS_MAX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as cluster:
        cluster.wait_for_workers(n, timeout=120)
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()  # until the parent closes our stdin
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
