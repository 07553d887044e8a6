"""Start-up: ``import fastq`` and the first ``train`` in a fresh process.

Cold: a new, empty NUMBA_CACHE_DIR, so every kernel compiles. Warm: the same
cache again, so kernels load from disk. Reported in ``extra_info`` (seconds),
not asserted (the cold figure is the best of 2 processes, the warm one the
median of 3): issue 4's targets are import < 0.3 s, first train < 1 s warm,
< 5 s cold. The benchmark's own time is the whole subprocess.
"""
import itertools

import pytest
from bench_state import STARTUP

from fastq import bench

KEYS = ("import_s", "make_s", "first_train_s", "first_parallel_train_s")


@pytest.mark.parametrize("workload", ["W1", "W2"])
def test_startup_cold_cache(benchmark, tmp_path, workload):
    caches = (tmp_path / f"cache{i}" for i in itertools.count())
    results = []
    benchmark.group = "startup"
    benchmark.pedantic(lambda cache: results.append(bench.measure_startup(cache, workload)),
                       setup=lambda: ((next(caches),), {}), rounds=2, iterations=1)
    times = {k: min(r[k] for r in results) for k in KEYS}
    benchmark.extra_info.update(cache="cold", workload=workload, **times)
    STARTUP.append(("cold", workload, times))


@pytest.mark.parametrize("workload", ["W1", "W2"])
def test_startup_warm_cache(benchmark, tmp_path, workload):
    results = []
    benchmark.group = "startup"
    benchmark.pedantic(lambda: results.append(bench.measure_startup(tmp_path, workload)),
                       rounds=3, iterations=1, warmup_rounds=1)  # the warm-up fills the cache
    runs = results[1:]
    times = {k: sorted(r[k] for r in runs)[len(runs) // 2] for k in KEYS}
    benchmark.extra_info.update(cache="warm", workload=workload, **times)
    STARTUP.append(("warm", workload, times))
