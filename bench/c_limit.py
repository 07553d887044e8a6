"""The C limit beside fastq: build ../shared/anchors/limit.c and run it on W1/W2.

``limit.c`` (in the performance anchors, outside this repository) is a
hand-optimised C kernel of the same work (AVX-512 across agents, OpenMP over
groups); its env-steps/s on this machine is the ceiling fastq's ratios are
taken against. Nothing of it is kept here: it is copied into a temporary
directory, compiled with gcc, fed the workload tables that the anchors'
``common.write_c_tables`` writes (needs gymnasium), and run.

Where the anchors live: ``$FASTQ_ANCHORS``, default ``../shared/anchors``
relative to the repository root. Every function returns None / raises
:class:`Unavailable` with the reason when gcc, gymnasium or the anchors are
missing, so the pytest suite can skip.

As a script, side by side in one run (C, fastq, C, ... alternating, so both
see the same machine)::

    python bench/c_limit.py                     # W1, W2 at 1 and 2 threads, 1024 agents
    python bench/c_limit.py --threads 1 --seconds 2 --markdown
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ("W1", "W2")  # the anchors' names, identical to fastq.bench's W1, W2


class Unavailable(RuntimeError):
    """The C limit cannot be built or run here (the message says why)."""


def anchors_dir() -> Path:
    """The anchors folder holding limit.c and common.py (``$FASTQ_ANCHORS``)."""
    path = Path(os.environ.get("FASTQ_ANCHORS") or REPO.parent / "shared" / "anchors")
    if not (path / "limit.c").is_file() or not (path / "common.py").is_file():
        raise Unavailable(f"no limit.c and common.py in {path} (set FASTQ_ANCHORS)")
    return path


def simd_available() -> bool:
    from fastq.bench import cpu_flags

    return "avx512f" in cpu_flags()


@functools.lru_cache(maxsize=1)
def build() -> Path:
    """Compile limit.c in a private temporary directory; the binary's path.

    The directory lives as long as the process (removed at exit).
    """
    source = anchors_dir()
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None:
        raise Unavailable(f"no C compiler ({cc}) on PATH")
    work = Path(tempfile.mkdtemp(prefix="fastq-c-limit-"))
    import atexit

    atexit.register(shutil.rmtree, work, ignore_errors=True)
    for name in ("limit.c", "common.py"):
        shutil.copy(source / name, work / name)
    binary = work / "limit"
    out = subprocess.run([cc, "-O3", "-march=native", "-fopenmp", "-o", str(binary),
                          str(work / "limit.c"), "-lm"], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise Unavailable(f"{cc} failed to build limit.c:\n{out.stderr[-2000:]}")
    return binary


@functools.lru_cache(maxsize=None)
def table(workload: str) -> Path:
    """The binary table of W1 or W2 for limit.c (written by the anchors' common.py)."""
    if workload not in WORKLOADS:
        raise ValueError(f"workload must be one of {WORKLOADS}; got {workload!r}")
    try:
        import gymnasium  # noqa: F401
    except ImportError:
        raise Unavailable("the C tables are built from gymnasium's P; install gymnasium") \
            from None
    work = build().parent
    spec = importlib.util.spec_from_file_location("fastq_anchors_common", work / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    path = work / f"{workload.lower()}.bin"
    common.write_c_tables(workload, str(path))
    return path


def run(workload: str, agents: int = 1024, threads: int = 1, seconds: float = 2.0,
        simd: bool | None = None) -> dict:
    """One run of the C limit: ``{"steps_per_second", "steps", "seconds", "variant", ...}``.

    ``simd`` (default: when the CPU has AVX-512) picks the AVX-512 kernel with
    16 agents per group; otherwise the scalar kernel with 8 interleaved agents.
    """
    if simd is None:
        simd = simd_available()
    args = [str(build()), str(table(workload)), "--agents", str(agents),
            "--threads", str(threads), "--target-seconds", str(seconds),
            "--name", f"c_limit.{workload}"]
    args += ["--group", "16", "--simd"] if simd else ["--group", "8"]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise Unavailable(f"limit failed ({out.returncode}): {out.stderr[-1000:]}")
    line = re.search(r"steps_per_sec=(\S+) total_steps=(\S+) seconds=(\S+)", out.stdout)
    if line is None:
        raise Unavailable(f"unexpected output from limit: {out.stdout!r}")
    info = dict(re.findall(r"(\w+)=(\S+)", out.stderr))
    return {"steps_per_second": float(line.group(1)), "steps": int(float(line.group(2))),
            "seconds": float(line.group(3)), "variant": info.get("variant", "?"),
            "group": int(info.get("group", 0)), "agents": agents, "threads": threads}


VARIANTS = {"avx512": True, "scalar": False}


def compare(workloads=WORKLOADS, threads=(1, 2), agents: int = 1024, seconds: float = 2.0,
            repeats: int = 2, wait: float = 0.0, log=None) -> list[dict]:
    """fastq and the C kernels alternated (C, fastq, C, ...), per workload and thread count.

    Both C kernels run each time (AVX-512 where the CPU has it, and scalar
    with 8 interleaved agents): which one is faster depends on the CPU (on
    AMD Zen 4 gathers and scatters are slow and the scalar kernel can win), so
    the limit is the faster of the two. Returns one dict per (workload,
    threads) with the median rates, ``ratio`` = fastq / the faster C kernel,
    and the most CPU other processes used during any of the runs. ``wait``: before
    each (workload, threads) block, wait up to that many seconds for other
    processes to leave the cores free (a shared machine).
    """
    from fastq import bench

    variants = [v for v in VARIANTS if VARIANTS[v] is False or simd_available()]
    log = log or (lambda text: None)
    rows = []
    for w in workloads:
        for n in threads:
            c_rates = {v: [] for v in variants}
            f_rates, others = [], []

            def run_c():
                for v in variants:
                    log(f"{w}, {n} thread(s): C {v}")
                    with bench.CpuLoad() as load:
                        rate = run(w, agents, n, seconds, VARIANTS[v])["steps_per_second"]
                    c_rates[v].append(rate)
                    others.append(load.others_cpu)

            if wait > 0:
                log(f"{w}, {n} thread(s): waiting up to {wait:g} s for a quiet machine")
                bench.wait_until_quiet(n, wait)
            run_c()
            for _ in range(repeats):
                log(f"{w}, {n} thread(s): fastq")
                m = bench.measure_fastq(w, agents=agents, threads=n, seconds=seconds / 3)
                f_rates.append(m.steps_per_second)
                others.append(m.others_cpu)
                run_c()
            c = {v: statistics.median(r) for v, r in c_rates.items()}
            best = max(c.values())
            f = statistics.median(f_rates)
            rows.append({"workload": w, "threads": n, "agents": agents, "fastq": f,
                         "c_avx512": c.get("avx512", float("nan")), "c_scalar": c["scalar"],
                         "c_best": best, "ratio": f / best, "c_rates": c_rates,
                         "fastq_rates": f_rates, "others_cpu": max(others)})
    return rows


def format_rows(rows, markdown: bool = False) -> str:
    from fastq.bench import si

    header = ("workload", "agents", "threads", "fastq", "C AVX-512", "C scalar x8",
              "fastq / best C", "others' CPU")
    body = [(r["workload"], f"{r['agents']:,}", str(r["threads"]), si(r["fastq"]),
             si(r["c_avx512"]), si(r["c_scalar"]), f"{r['ratio']:.2f}",
             f"{r['others_cpu']:.2f}") for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        return "\n".join(lines + ["| " + " | ".join(b) + " |" for b in body])
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(wd) if i else c.ljust(wd)
                               for i, (c, wd) in enumerate(zip(x, widths)))
                     for x in [header, *body])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", default="W1,W2")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--agents", type=int, default=1024)
    p.add_argument("--seconds", type=float, default=2.0, help="length of each timed run")
    p.add_argument("--repeats", type=int, default=2, help="fastq runs (C runs one more)")
    p.add_argument("--wait", type=float, default=0.0,
                   help="wait up to this many seconds for a quiet machine before each block")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    try:
        anchors_dir()
        build()
    except Unavailable as exc:
        print(f"c_limit: unavailable: {exc}", file=sys.stderr)
        return 1
    threads = tuple(int(t) for t in args.threads.split(","))
    rows = compare(tuple(args.workloads.split(",")), threads, args.agents, args.seconds,
                   args.repeats, args.wait,
                   log=lambda t: print(f"c_limit: {t}", file=sys.stderr))
    from fastq.bench import describe_machine, machine

    print(("Machine: " if args.markdown else "machine  ") + describe_machine(machine()))
    print(f"env-steps/s, median of {args.repeats} fastq runs and {args.repeats + 1} runs of "
          "each C kernel, alternated; C AVX-512: 16 agents per group; C scalar: 8 agents "
          "interleaved\n")
    print(format_rows(rows, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
