"""Env-steps/s of fastq and its baselines, grouped by workload.

Order matters: the baselines run first, so that every fastq case can report
its ratio to the textbook loop measured in this session (``x_textbook`` in
``extra_info``; ``x_c_limit`` too when ``test_c_limit.py`` ran before).
Every timed round is a whole fresh run from Q = 0 (same seed, same work);
compilation happens in the calibration before the clock starts.
"""
from __future__ import annotations

import statistics
import time

import numba
import numpy as np
import pytest
from bench_state import RATES

from fastq import bench
from fastq.baselines import gymnasium_loop, make_gymnasium, textbook_loop
from fastq.kernels.episodes import GROUP_SIZE

WORKLOADS = list(bench.WORKLOADS)
HYPER = dict(alpha=bench.ALPHA, gamma=bench.GAMMA, epsilon=bench.EPSILON, seed=bench.SEED)
AGENTS = [1, 64, 1024, 8192, pytest.param(100_000, marks=pytest.mark.large, id="100000")]
BASELINE_ROUNDS = 3
ROUNDS = 3


def group(workload: str) -> str:
    return f"{workload}-{bench.WORKLOADS[workload].env_id}"


def timed(fn, walls):
    """``fn`` wrapped so that each call appends its wall time to ``walls``."""

    def call():
        start = time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - start)
        return out

    return call


def steps_for(loop, seconds: float) -> int:
    """Steps of about ``seconds`` for a Python loop, from a 0.3 s probe."""
    probe = loop(seconds=0.3)
    return max(1000, int(probe.steps_per_second * seconds))


def run_baseline(benchmark, record, name, workload, loop, seconds):
    steps = steps_for(loop, seconds)
    walls, runs = [], []
    benchmark.group = group(workload)
    with bench.CpuLoad() as load:
        benchmark.pedantic(timed(lambda: runs.append(loop(steps=steps)), walls),
                           rounds=BASELINE_ROUNDS, iterations=1, warmup_rounds=1)
    walls = walls[-BASELINE_ROUNDS:]
    work = runs[-1].steps
    m = bench.Measurement(name, workload, 1, 1, work, statistics.median(walls),
                          tuple(work / w for w in walls), others_cpu=load.others_cpu)
    RATES[(name, workload)] = m.steps_per_second
    record(m, episodes_per_round=runs[-1].episodes)


# ------------------------------------------------------------------ baselines
@pytest.mark.parametrize("workload", WORKLOADS)
def test_textbook_loop(benchmark, record, workload, round_seconds):
    """The textbook Python + NumPy loop on a Python step() (fastq.baselines)."""
    env = bench.WORKLOADS[workload].make()
    run_baseline(benchmark, record, "textbook", workload,
                 lambda **budget: textbook_loop(env, **budget, **HYPER), round_seconds)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_gymnasium_loop(benchmark, record, workload, round_seconds):
    """The same loop stepping gymnasium's own env (wrappers and TimeLimit included)."""
    pytest.importorskip("gymnasium")
    gym_env = make_gymnasium(bench.WORKLOADS[workload].env_id)
    run_baseline(benchmark, record, "gymnasium", workload,
                 lambda **budget: gymnasium_loop(gym_env, **budget, **HYPER), round_seconds)


# ------------------------------------------------------------------ fastq
def textbook_rate(workload: str) -> float:
    """The session's textbook rate; measured now (2 s) if its benchmark did not run."""
    key = ("textbook", workload)
    if key not in RATES:
        RATES[key] = bench.measure_textbook(workload, seconds=2.0).steps_per_second
    return RATES[key]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("agents", AGENTS)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_fastq(benchmark, record, workload, agents, threads, dtype, round_seconds):
    """fastq.train from scratch, sized to about --bench-seconds per round."""
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"{threads} threads > NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS}")
    if threads > 1 and agents <= GROUP_SIZE:
        pytest.skip(f"{agents} agent(s) run on one thread (one group of {GROUP_SIZE})")
    if dtype != "float64" and not bench.supports_dtype(np.dtype(dtype)):
        pytest.skip(f"fastq.train(..., dtype=np.{dtype}) is not supported yet")
    env = bench.WORKLOADS[workload].make()
    kind = np.dtype(dtype)
    bytes_q = agents * env.n_states * env.n_actions * kind.itemsize
    free = bench.available_memory()
    if free is not None and 4 * bytes_q > free:
        pytest.skip(f"Q tables of {bytes_q / 2**30:.1f} GiB: less than 4x that is available")
    base = textbook_rate(workload)
    walls, runs = [], []

    def one_round():  # keep the numbers only: a run of 100,000 Taxi agents holds GBs
        run = bench.train_once(env, episodes, agents, kind)
        runs.append((run.steps, run.steps_per_second))

    benchmark.group = group(workload)
    with bench.numba_threads(threads):
        episodes = bench.calibrate_episodes(env, agents, round_seconds, kind)
        with bench.CpuLoad() as load:
            benchmark.pedantic(timed(one_round, walls), rounds=ROUNDS, iterations=1,
                               warmup_rounds=1)
    walls = walls[-ROUNDS:]
    work = runs[-1][0]
    m = bench.Measurement("fastq", workload, agents, threads, work, statistics.median(walls),
                          tuple(work / w for w in walls), kind.name, load.others_cpu)
    more = dict(episodes_per_agent=episodes,
                kernel_steps_per_second=statistics.median(r[1] for r in runs[-ROUNDS:]),
                x_textbook=m.steps_per_second / base, bytes_q=bytes_q)
    c = RATES.get(("C limit", workload, threads))
    if c and agents == 1024:
        more["x_c_limit"] = m.steps_per_second / c
    record(m, **more)
