"""pytest-benchmark suite: ``python -m pytest bench --benchmark-only``.

Not part of the test suite (``testpaths = ["tests"]``). Options:
``--bench-large`` adds the 100,000-agent cases (tables of several GB on
Taxi); ``--bench-seconds`` sets the length of one timed round (default 0.7 s).
Rates measured in this session are kept in ``bench_state.RATES`` so that every fastq
case reports its ratio to the textbook loop (and to the C limit, when it was
measured) of the same session; the terminal summary prints them as env-steps/s.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # bench_state.py, c_limit.py

from bench_state import MEASUREMENTS, RATES, STARTUP  # noqa: E402

from fastq import bench  # noqa: E402


def pytest_addoption(parser):
    group = parser.getgroup("fastq bench")
    group.addoption("--bench-large", action="store_true", default=False,
                    help="include the 100,000-agent cases (several GB of Q tables on Taxi)")
    group.addoption("--bench-seconds", type=float, default=0.7,
                    help="length of one timed round in seconds (default 0.7)")


def pytest_configure(config):
    config.addinivalue_line("markers", "large: 100,000 agents; run with --bench-large")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--bench-large"):
        return
    skip = pytest.mark.skip(reason="100,000 agents: needs --bench-large")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def round_seconds(request):
    return request.config.getoption("--bench-seconds")


@pytest.fixture(scope="session")
def machine_info():
    return bench.machine()


@pytest.fixture
def record(benchmark, machine_info):
    """``record(measurement, **more)``: fill ``benchmark.extra_info`` and the summary."""

    def _record(m: bench.Measurement, **more):
        info = benchmark.extra_info
        info.update(implementation=m.implementation, workload=m.workload,
                    env_id=bench.WORKLOADS[m.workload].env_id, agents=m.agents,
                    threads=m.threads, dtype=m.dtype, steps_per_round=m.steps,
                    steps_per_second=m.steps_per_second,
                    others_cpu=m.others_cpu, cpu=machine_info["cpu"],
                    cores=machine_info["usable_cores"], numba=numba.__version__,
                    numpy=np.__version__, threading_layer=bench._threading_layer())
        textbook = RATES.get(("textbook", m.workload))
        if textbook:
            info["x_textbook"] = m.steps_per_second / textbook
        info.update(more)
        MEASUREMENTS.append(m)

    return _record


def pytest_terminal_summary(terminalreporter, config):
    if not MEASUREMENTS and not STARTUP:
        return
    tr = terminalreporter
    tr.section("fastq: env-steps/s (this session)")
    tr.write_line(bench.describe_machine(bench.machine()))
    if MEASUREMENTS:
        tr.write_line("")
        for line in bench.format_table(MEASUREMENTS).splitlines():
            tr.write_line(line)
    if STARTUP:
        tr.write_line("")
        tr.write_line("start-up in a fresh process (s): cache, workload, import fastq, "
                      "first train (1 agent), then 1024 agents")
        for cache, workload, t in STARTUP:
            tr.write_line(f"  {cache:<5} {workload:<4} {t['import_s']:.2f}  "
                          f"{t['first_train_s']:.2f}  {t['first_parallel_train_s']:.2f}")
