"""Throughput measurement behind ``fastq bench`` and the ``bench/`` suite.

Env-steps/s (= Q updates per second, all agents summed, timed after
compilation) of fastq on the benchmark workloads, beside the textbook loop
(:mod:`fastq.baselines`) measured in the same process, on a named machine.
Importable without pytest; the pytest-benchmark suite in ``bench/`` reuses
the workloads, sizing and machine description from here.

Workloads (alpha 0.1, gamma 0.99, epsilon 0.1 constant, Q = 0, seed 0):
W1 = ``FrozenLake8x8-v1`` (slippery, 200 steps), W2 = ``Taxi-v4`` (200 steps),
FL4 = ``FrozenLake-v1`` (4x4 slippery, 100 steps).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

import numpy as np

ALPHA, GAMMA, EPSILON, SEED = 0.1, 0.99, 0.1, 0


class Workload(NamedTuple):
    key: str
    env_id: str
    title: str

    def make(self):
        import fastq

        return fastq.make(self.env_id)


WORKLOADS = {
    "W1": Workload("W1", "FrozenLake8x8-v1", "FrozenLake 8x8 slippery"),
    "W2": Workload("W2", "Taxi-v4", "Taxi"),
    "FL4": Workload("FL4", "FrozenLake-v1", "FrozenLake 4x4 slippery"),
}


class Measurement(NamedTuple):
    """One row of a benchmark table.

    implementation : "fastq", "textbook" (Python loop), "gymnasium" (Python
    loop on gymnasium env.step), "C avx512" or "C scalar" (bench/c_limit.py); steps : env-steps of one round;
    seconds : median wall time of a round; rates : env-steps/s of every round;
    others_cpu : CPUs kept busy by other processes meanwhile (see :class:`CpuLoad`).
    """

    implementation: str
    workload: str
    agents: int
    threads: int
    steps: int
    seconds: float
    rates: tuple
    dtype: str = "float64"
    others_cpu: float = float("nan")

    @property
    def steps_per_second(self) -> float:
        return statistics.median(self.rates) if self.rates else float("nan")


# --------------------------------------------------------------------- machine
def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux, else what platform knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"],
                                 capture_output=True, text=True, timeout=5)
            if out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def machine() -> dict:
    """CPU, cores, Numba threads and library versions of this process."""
    import numba

    from . import __version__

    usable = machine_cores()
    flags = cpu_flags()
    simd = [f for f in ("avx2", "avx512f") if f in flags]
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "simd": " ".join(simd),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "threading_layer": _threading_layer(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "fastq": __version__,
        "platform": platform.platform(terse=True),
    }


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # not initialised until a parallel kernel has run
        return "not yet chosen"


def describe_machine(info: dict) -> str:
    cores = f"{info['cores']} cores" if info["usable_cores"] == info["cores"] \
        else f"{info['usable_cores']} of {info['cores']} cores usable"
    simd = f" ({info['simd']})" if info.get("simd") else ""
    return (f"{info['cpu']}{simd}, {cores}; numba {info['numba']} "
            f"(up to {info['numba_threads']} threads), numpy {info['numpy']}, "
            f"Python {info['python']}, {info['platform']}")


class CpuLoad:
    """CPU used by *other* processes while the block runs (``with CpuLoad() as load``).

    ``load.others_cpu``: (busy CPU time of the whole machine, from
    /proc/stat, minus this process's CPU time) / wall time, in CPUs; NaN
    where /proc/stat does not exist. On a shared machine a 2-thread figure
    means little when others kept a core busy.
    """

    others_cpu = float("nan")

    def __enter__(self):
        self._start = (time.perf_counter(), _machine_busy_s(), _own_cpu_s())
        return self

    def __exit__(self, *exc):
        wall0, busy0, own0 = self._start
        wall, busy, own = time.perf_counter() - wall0, _machine_busy_s(), _own_cpu_s()
        if busy is not None and busy0 is not None and wall > 0:
            self.others_cpu = max(0.0, ((busy - busy0) - (own - own0)) / wall)
        return False


def _machine_busy_s():
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    """CPU time of this process and of its finished (waited-for) children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def contended(m: Measurement, usable_cores: int) -> bool:
    """Whether other processes left this measurement fewer cores than its threads."""
    return m.others_cpu > usable_cores - m.threads + 0.25


# --------------------------------------------------------------------- fastq
@contextlib.contextmanager
def numba_threads(n: int):
    """Run the block with ``numba.set_num_threads(n)``, restoring the count after."""
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    if not 1 <= n <= most:
        raise ValueError(f"threads must be in [1, {most}] (NUMBA_NUM_THREADS={most}); got {n}")
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)


def dtype_kwargs(dtype) -> dict:
    """``{"dtype": dtype}`` for a non-default Q dtype, else ``{}``."""
    if dtype is None or np.dtype(dtype) == np.float64:
        return {}
    return {"dtype": np.dtype(dtype).type}


def supports_dtype(dtype) -> bool:
    """Whether ``fastq.train(..., dtype=dtype)`` is accepted by this version."""
    import fastq

    if not dtype_kwargs(dtype):
        return True
    try:
        fastq.train(fastq.make("Chain-v0", n_states=3), episodes=1, **dtype_kwargs(dtype))
    except (TypeError, ValueError, NotImplementedError):
        return False
    return True


def train_once(env, episodes: int, agents: int, dtype=None):
    import fastq

    return fastq.train(env, episodes=episodes, agents=agents, alpha=ALPHA, gamma=GAMMA,
                       epsilon=EPSILON, seed=SEED, **dtype_kwargs(dtype))


def calibrate_episodes(env, agents: int, seconds: float, dtype=None) -> int:
    """Episodes per agent for one ``train`` call of about ``seconds`` (kernel time).

    Starts at one episode (which also compiles or loads the kernels) and
    grows at most 8x per probe; every probe trains from scratch, so the
    learning phase of the final size is the one timed.
    """
    episodes = 1
    train_once(env, episodes, agents, dtype)  # compile or load
    while True:
        run = train_once(env, episodes, agents, dtype)
        seconds_taken = run.seconds
        del run  # never hold two runs' tables at once (100,000 agents: GBs each)
        if seconds_taken >= 0.4 * seconds:
            break
        grow = 8.0 if seconds_taken <= 0 else min(8.0, 1.25 * seconds / seconds_taken)
        episodes = max(episodes + 1, int(episodes * grow))
    return max(1, round(episodes * seconds / seconds_taken))


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def measure_fastq(workload: str, agents: int = 1024, threads: int = 1, seconds: float = 1.0,
                  rounds: int = 3, dtype=None) -> Measurement:
    """fastq's env-steps/s: ``rounds`` fresh ``train`` calls of about ``seconds`` each.

    Each round is a whole ``fastq.train`` call on new tables (allocation
    included, compilation excluded); ``rates`` are env-steps over wall time.
    """
    env = WORKLOADS[workload].make()
    with numba_threads(threads):
        episodes = calibrate_episodes(env, agents, seconds, dtype)
        walls, steps = [], 0
        with CpuLoad() as load:
            for _ in range(rounds):
                start = time.perf_counter()
                run = train_once(env, episodes, agents, dtype)
                walls.append(time.perf_counter() - start)
                steps = run.steps
                del run
    return Measurement("fastq", workload, agents, threads, steps, statistics.median(walls),
                       tuple(steps / w for w in walls), np.dtype(dtype or np.float64).name,
                       load.others_cpu)


# --------------------------------------------------------------------- baselines
def measure_textbook(workload: str, seconds: float = 2.0) -> Measurement:
    """The textbook Python loop on the workload for about ``seconds`` (after a warm-up)."""
    from .baselines import textbook_loop

    env = WORKLOADS[workload].make()
    hyper = dict(alpha=ALPHA, gamma=GAMMA, epsilon=EPSILON, seed=SEED)
    textbook_loop(env, steps=2000, **hyper)  # warm-up: imports, caches
    with CpuLoad() as load:
        run = textbook_loop(env, seconds=seconds, **hyper)
    return Measurement("textbook", workload, 1, 1, run.steps, run.seconds,
                       (run.steps_per_second,), others_cpu=load.others_cpu)


def have_gymnasium() -> bool:
    try:
        import gymnasium  # noqa: F401
    except ImportError:
        return False
    return True


def measure_gymnasium(workload: str, seconds: float = 2.0) -> Measurement:
    """The textbook loop on gymnasium's own ``env.step`` (needs gymnasium)."""
    from .baselines import gymnasium_loop, make_gymnasium

    gym_env = make_gymnasium(WORKLOADS[workload].env_id)
    hyper = dict(alpha=ALPHA, gamma=GAMMA, epsilon=EPSILON, seed=SEED)
    gymnasium_loop(gym_env, steps=2000, **hyper)
    with CpuLoad() as load:
        run = gymnasium_loop(gym_env, seconds=seconds, **hyper)
    return Measurement("gymnasium", workload, 1, 1, run.steps, run.seconds,
                       (run.steps_per_second,), others_cpu=load.others_cpu)


# --------------------------------------------------------------------- start-up
STARTUP_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import fastq
t1 = time.perf_counter()
env = fastq.make(sys.argv[1])
t2 = time.perf_counter()
fastq.train(env, episodes=1, agents=1, seed=0)
t3 = time.perf_counter()
fastq.train(env, episodes=1, agents=int(sys.argv[2]), seed=0)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "make_s": t2 - t1, "first_train_s": t3 - t2,
                  "first_parallel_train_s": t4 - t3}))
"""


def measure_startup(cache_dir, workload: str = "W1", agents: int = 1024,
                    timeout: float = 600) -> dict:
    """Start-up times of a fresh Python process whose Numba cache is ``cache_dir``.

    Returns ``import_s`` (``import fastq``), ``make_s``, ``first_train_s``
    (the first ``train`` call: 1 agent, serial driver, compile or cache load
    included) and ``first_parallel_train_s`` (then ``agents`` agents: the
    parallel driver when Numba has more than one thread). An empty
    ``cache_dir`` gives the cold-cache times; a second call the warm ones;
    None keeps this process's cache setting.
    """
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT, WORKLOADS[workload].env_id,
                          str(agents)], env=env, capture_output=True, text=True,
                         timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"start-up probe failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_startup_cold_warm(workload: str = "W1", agents: int = 1024) -> dict:
    """``{"cold": {...}, "warm": {...}}`` from two processes sharing a new, empty cache."""
    with tempfile.TemporaryDirectory(prefix="fastq-numba-cache-") as cache:
        cold = measure_startup(cache, workload, agents)
        warm = measure_startup(cache, workload, agents)
    return {"cold": cold, "warm": warm}


# --------------------------------------------------------------------- the command
def wait_until_quiet(threads: int, timeout: float, window: float = 0.5) -> float:
    """Wait (up to ``timeout`` s) until other processes leave ``threads`` cores free.

    Samples :class:`CpuLoad` over ``window``-second idle windows; returns the
    last sample of the others' CPU (NaN where it cannot be measured).
    """
    usable = machine_cores()
    deadline = time.perf_counter() + timeout
    while True:
        with CpuLoad() as load:
            time.sleep(window)
        if not load.others_cpu > usable - threads + 0.25 or time.perf_counter() > deadline:
            return load.others_cpu


def machine_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def retry_contended(measure, threads: int, retries: int, wait: float, log=None):
    """``measure()``, repeated up to ``retries`` times while it was contended.

    Before each retry, waits up to ``wait`` seconds for a quiet machine
    (:func:`wait_until_quiet`). Keeps the least contended measurement.
    """
    best = measure()
    usable = machine_cores()
    for _ in range(retries):
        if not contended(best, usable):
            break
        if log:
            log(f"  others used {best.others_cpu:.2f} CPUs; waiting for a quiet machine")
        wait_until_quiet(threads, wait)
        again = measure()
        if not again.others_cpu >= best.others_cpu:
            best = again
    return best


def run_benchmarks(quick: bool = False, threads=None, agents: int = 1024,
                   seconds: float | None = None, workloads=("W1", "W2", "FL4"),
                   startup: bool | None = None, gymnasium: bool | None = None,
                   retries: int = 0, wait: float = 30.0, log=None) -> dict:
    """Everything ``fastq bench`` prints, as data.

    Per workload: the textbook loop (and the gymnasium loop when installed),
    fastq with 1 agent on 1 thread, and fastq with ``agents`` agents on each
    thread count of ``threads`` (default 1 and all of Numba's threads).
    ``seconds`` is the length of one fastq round (3 rounds per row; default
    0.5, 0.15 with ``quick``); the baselines run 4x ``seconds``. On a shared
    machine, ``retries`` re-measures a row that other processes disturbed,
    after waiting up to ``wait`` seconds for them to leave it the cores.

    Returns ``{"machine", "rows": [Measurement], "startup": dict or None,
    "first_call_s": seconds of the first train call in this process}``.
    """
    import numba

    if seconds is None:
        seconds = 0.15 if quick else 0.5
    rounds = 3
    if threads is None:
        threads = sorted({1, numba.config.NUMBA_NUM_THREADS})
    elif isinstance(threads, int):
        threads = [threads]
    for n in threads:
        with numba_threads(n):
            pass  # validates the count
    if startup is None:
        startup = not quick
    if gymnasium is None:
        gymnasium = have_gymnasium()
    log = log or (lambda text: None)

    info = machine()
    rows = []
    start = time.perf_counter()
    train_once(WORKLOADS[workloads[0]].make(), 1, 1)
    first_call = time.perf_counter() - start
    for key in workloads:
        def measured(n_threads, measure):
            rows.append(retry_contended(measure, n_threads, retries, wait, log))

        log(f"{key}: textbook loop")
        measured(1, lambda: measure_textbook(key, seconds=4 * seconds))
        if gymnasium:
            log(f"{key}: gymnasium loop")
            measured(1, lambda: measure_gymnasium(key, seconds=4 * seconds))
        log(f"{key}: fastq, 1 agent")
        measured(1, lambda: measure_fastq(key, agents=1, threads=1, seconds=seconds,
                                          rounds=rounds))
        for n in threads:
            log(f"{key}: fastq, {agents} agents, {n} thread(s)")
            measured(n, lambda: measure_fastq(key, agents=agents, threads=n, seconds=seconds,
                                              rounds=rounds))
    info["threading_layer"] = _threading_layer()
    startup_times = None
    if startup:
        log("start-up: fresh processes, cold then warm Numba cache")
        startup_times = measure_startup_cold_warm()
    return {"machine": info, "rows": rows, "startup": startup_times,
            "first_call_s": first_call}


def _three_digits(x: float) -> str:
    """3 significant digits, keeping trailing zeros: 48.0, 117, 0.650."""
    if x == 0:
        return "0"
    decimals = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    if decimals and abs(round(x, decimals)) >= 10 ** (3 - decimals):  # 9.996 -> 10.0
        decimals -= 1
    return f"{round(x, decimals):.{decimals}f}"


def si(x: float) -> str:
    """3 significant digits with a k/M/G suffix: 83.6 k, 48.0 M."""
    if not math.isfinite(x):
        return "n/a"
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= factor * 0.9995:
            return f"{_three_digits(x / factor)} {prefix}"
    return _three_digits(x)


def ratio(x: float) -> str:
    """A speed-up: 1,352x above 1000, else 3 significant digits (0.650x, 794x)."""
    if not math.isfinite(x):
        return "n/a"
    if x >= 999.5:
        return f"{x:,.0f}x"
    return f"{_three_digits(x)}x"


IMPLEMENTATION_NAMES = {
    "textbook": "textbook loop (Python + NumPy)",
    "gymnasium": "textbook loop on gymnasium env.step",
    "fastq": "fastq",
    "C avx512": "C, AVX-512 x16 (anchors/limit.c)",
    "C scalar": "C, scalar x8 (anchors/limit.c)",
}


def table_rows(rows, usable_cores: int | None = None) -> list[tuple]:
    """The table's cells as strings, one tuple per :class:`Measurement`.

    A rate measured while other processes left it fewer cores than its
    threads (:func:`contended`) is marked with a dagger.
    """
    usable_cores = usable_cores or os.cpu_count() or 1
    textbook = {m.workload: m.steps_per_second for m in rows if m.implementation == "textbook"}
    out = []
    for m in rows:
        w = WORKLOADS.get(m.workload)
        name = f"{m.workload} {w.env_id}" if w else m.workload
        impl = IMPLEMENTATION_NAMES.get(m.implementation, m.implementation)
        if m.dtype != "float64":
            impl += f" ({m.dtype})"
        base = textbook.get(m.workload, float("nan"))
        rate = si(m.steps_per_second) + (" †" if contended(m, usable_cores) else "")
        others = "n/a" if math.isnan(m.others_cpu) else f"{m.others_cpu:.2f}"
        out.append((name, impl, f"{m.agents:,}", str(m.threads), rate,
                    ratio(m.steps_per_second / base), others))
    return out


HEADER = ("workload", "implementation", "agents", "threads", "env-steps/s", "x textbook",
          "others' CPU")
NUMERIC = {2, 3, 4, 5, 6}
CONTENDED_NOTE = ("† other processes kept more than the spare cores busy during this row "
                  "(others' CPU, in CPUs), so it is a lower bound.")


def format_table(rows, markdown: bool = False, usable_cores: int | None = None) -> str:
    body = table_rows(rows, usable_cores)
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |",
                 "|" + "|".join("---:" if i in NUMERIC else "---" for i in range(len(HEADER)))
                 + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
    else:
        widths = [max(len(r[i]) for r in [HEADER, *body]) for i in range(len(HEADER))]
        lines = []
        for r in [HEADER, *body]:
            cells = [c.rjust(w) if i in NUMERIC else c.ljust(w)
                     for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
    if any(" †" in r[4] for r in body):
        lines += ["", CONTENDED_NOTE]
    return "\n".join(lines)


def format_startup(startup: dict, markdown: bool = False) -> str:
    keys = [("import_s", "import fastq"), ("first_train_s", "first train (1 agent)"),
            ("first_parallel_train_s", "then 1024 agents")]
    if markdown:
        lines = ["| Numba cache | " + " | ".join(label for _, label in keys) + " |",
                 "|---|" + "---:|" * len(keys)]
        for which in ("cold", "warm"):
            lines.append(f"| {which} | " + " | ".join(f"{startup[which][k]:.2f} s"
                                                       for k, _ in keys) + " |")
        return "\n".join(lines)
    lines = []
    for which in ("cold", "warm"):
        lines.append(f"{which + ' cache':<12}" + ", ".join(
            f"{label} {startup[which][k]:.2f} s" for k, label in keys))
    return "\n".join(lines)


def report(result: dict, markdown: bool = False) -> str:
    """The text ``fastq bench`` prints (``markdown``: ready for the README)."""
    info = result["machine"]
    hyper = (f"alpha {ALPHA}, gamma {GAMMA}, epsilon {EPSILON}, Q float64 from 0, seed {SEED}; "
             "env-steps/s summed over agents, median of rounds, compilation excluded")
    parts = []
    if markdown:
        parts.append(f"Machine: {describe_machine(info)}; threading layer "
                     f"{info['threading_layer']}.  \n{hyper}.\n")
    else:
        parts.append(f"machine     {describe_machine(info)}")
        parts.append(f"workloads   {hyper}")
        parts.append(f"first call  {result['first_call_s']:.2f} s (compile or load kernels)")
        parts.append("")
    parts.append(format_table(result["rows"], markdown, info["usable_cores"]))
    if result.get("startup"):
        parts.append("")
        if markdown:
            parts.append("Start-up in a fresh process (Numba cache empty, then warm):\n")
        parts.append(format_startup(result["startup"], markdown))
    return "\n".join(parts)


def to_json(result: dict) -> dict:
    return {"machine": result["machine"], "startup": result["startup"],
            "first_call_s": result["first_call_s"],
            "rows": [dict(m._asdict(), steps_per_second=m.steps_per_second)
                     for m in result["rows"]]}
