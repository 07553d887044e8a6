"""The C limit (../shared/anchors/limit.c, built here) on W1 and W2, 1024 agents.

Runs before test_throughput.py (file order), so the fastq cases at 1024
agents report ``x_c_limit`` = fastq / C of the same session and thread count.
The C program sizes and times its own run; its reported rate is what counts
(the benchmark's time includes process start and warm-up). Skipped, with the
reason, when gcc, gymnasium or the anchors are missing. For a tighter side by
side (alternating C and fastq runs): ``python bench/c_limit.py``.
"""
import numba
import pytest
from bench_state import RATES

import c_limit
from fastq import bench


@pytest.fixture(scope="module")
def binary():
    try:
        return c_limit.build()
    except c_limit.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("variant", ["avx512", "scalar"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("workload", c_limit.WORKLOADS)
def test_c_limit(benchmark, record, binary, workload, threads, variant, round_seconds):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"{threads} threads > NUMBA_NUM_THREADS")
    if variant == "avx512" and not c_limit.simd_available():
        pytest.skip("the CPU has no AVX-512")
    try:
        c_limit.table(workload)
    except c_limit.Unavailable as exc:
        pytest.skip(str(exc))
    runs = []
    benchmark.group = f"{workload}-{bench.WORKLOADS[workload].env_id}"
    with bench.CpuLoad() as load:
        benchmark.pedantic(lambda: runs.append(c_limit.run(workload, 1024, threads,
                                                           3 * round_seconds,
                                                           c_limit.VARIANTS[variant])),
                           rounds=1, iterations=1, warmup_rounds=0)
    r = runs[-1]
    m = bench.Measurement(f"C {variant}", workload, 1024, threads, r["steps"], r["seconds"],
                          (r["steps_per_second"],), others_cpu=load.others_cpu)
    key = ("C limit", workload, threads)
    RATES[key] = max(RATES.get(key, 0.0), r["steps_per_second"])  # the faster kernel
    record(m, c_variant=r["variant"], c_group=r["group"])
