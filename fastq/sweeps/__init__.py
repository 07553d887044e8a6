"""Hyperparameter sweeps: every config x seed is one agent of a batched :func:`fastq.train`.

Modules, one job each: :mod:`.space` (grids, random search, validation),
:mod:`.chunk` (one batched train call per chunk of whole configs),
:mod:`.execute` (local loop or any ``concurrent.futures.Executor``, retries,
progress), :mod:`.storage` (``out=`` directory, resume), :mod:`.results`
(table, summary, files), :mod:`.stats` (t intervals), :mod:`.plots`.
pandas, matplotlib, tqdm and dask are imported only where they are used.
"""
from __future__ import annotations

import math
import time
import warnings

from .. import _validate
from .chunk import Task, batch_keywords, has_goal, parse_curve
from .execute import Progress, check_executor, check_fork, run_local, run_on
from .results import SweepResult
from .space import group_key, loguniform, normalize, train_parameters, uniform
from .space import expand as _expand
from .storage import definition, load_sweep

__all__ = ["SweepResult", "load_sweep", "loguniform", "sweep", "uniform"]

CHUNK_BYTES = 256 * 2**20  # default memory bound of one chunk (returns, lengths, Q, curves)
MIN_CHUNK_AGENTS = 256     # default: chunks of at least this many agents (threads stay busy)
TARGET_CHUNKS = 16         # ... and about this many chunks (progress, resume granularity)


def sweep(env, grid=None, *, seeds: int = 8, episodes: int, space=None, samples=None,
          seed: int = 0, sample_seed: int | None = None, eval_episodes: int = 100,
          eval_seed: int | None = None, curve: str = "auto", chunk_agents: int | None = None,
          out=None, resume: bool = False, executor=None, retries: int = 2,
          progress: bool = True, **fixed) -> SweepResult:
    """Train every configuration x seed of a grid (or random search) as batched agents.

    Configurations that share their algorithm and other non-per-agent keywords
    (``max_steps``, ...) run together: one :func:`fastq.train` call per chunk of
    whole configs, alpha / gamma / epsilon / q_init passed per agent. Row
    ``(c, k)`` is agent ``k`` of ``fastq.train(env, episodes=episodes,
    agents=seeds, seed=seed, **res.configs[c])``, bit for bit: it never depends
    on the other configs, the chunking, the executor or the thread count.

    Parameters
    ----------
    env : TabularEnv
    grid : dict {parameter: list of values}, or list of dicts, optional
        Cartesian product of the axes (last axis fastest), or configs as given.
        Any :func:`fastq.train` keyword: alpha, gamma, epsilon (numbers or
        schedules), algorithm, q_init, max_steps, ...
    seeds : int
        Agents per config; seed index k uses the random stream of (seed, k).
    episodes : int
        Training episodes per agent.
    space : dict {parameter: distribution, list of choices or value}, optional
        Random search: ``samples`` configs drawn with
        ``numpy.random.default_rng(sample_seed)``, axis by axis
        (``fastq.loguniform``, ``fastq.uniform``, lists for choices); combined
        with ``grid``, every grid point gets the same samples.
    samples : int, optional
        Number of random configs (with ``space``).
    seed : int
        The sweep's seed (agents' streams).
    sample_seed, eval_seed : int, optional
        Seeds of the random search's draws and of the greedy evaluation
        (default: ``seed``).
    eval_episodes : int
        Greedy evaluation episodes per agent (``Run.evaluate``); 0 skips it.
    curve : str
        Learning curves kept in ``res.curves`` (configs, seeds, n_points):
        ``"episodes"`` (every return), ``"every:K"`` (means over strides of K
        episodes), ``"running:K"`` (running mean since episode 0, at K evenly
        spaced points), ``"none"``, or ``"auto"`` (``every:ceil(episodes/100)``).
    chunk_agents : int, optional
        Agents per chunk (rounded down to whole configs, at least one); default:
        about 1/16 of the sweep, at least 256 agents, within 256 MiB.
    out : path, optional
        Directory: a manifest, one file per chunk as it finishes, and
        ``table.csv`` / ``summary.csv`` when done (see :mod:`fastq.sweeps.storage`).
    resume : bool
        Continue the sweep in ``out``: finished chunks are read, not recomputed;
        the final table is the same.
    executor : concurrent.futures.Executor, optional
        Where chunks run (``ProcessPoolExecutor``, Dask ``client.get_executor()``);
        default: this process.
    retries : int
        How many times a chunk lost with a worker is resubmitted.
    progress : bool
        A tqdm bar over agents with agents/s and ETA (when tqdm is installed).
    **fixed
        Other train keywords, the same for every config (e.g. ``max_steps=100``).

    Returns
    -------
    SweepResult
        ``.table``, ``.summary()``, ``.best(metric)``, ``.curves``, ``.to_csv``,
        ``.plot_curves``, ``.plot_heatmap``. After Ctrl-C: the finished part
        (``complete`` False), with a warning; finished chunks stay in ``out``.

    Example
    -------
    >>> res = fastq.sweep(fastq.make("FrozenLake-v1"), grid={"alpha": [0.1, 0.5]},
    ...                   seeds=4, episodes=200, progress=False)
    >>> len(res.table)
    8
    """
    from ..envs.tabular import TabularEnv

    if not isinstance(env, TabularEnv):
        raise TypeError(f"env must be a fastq TabularEnv (fastq.make(...)); "
                        f"got {type(env).__name__}")
    seeds = _validate.count("seeds", seeds)
    episodes = _validate.count("episodes", episodes)
    seed = _validate.seed(seed)
    sample_seed = seed if sample_seed is None else _validate.seed(sample_seed)
    eval_episodes = _validate.count("eval_episodes", eval_episodes, minimum=0)
    eval_seed = seed if eval_seed is None else _validate.seed(eval_seed)
    chunk_agents = _validate.optional_count("chunk_agents", chunk_agents)
    retries = _validate.count("retries", retries, minimum=0)
    resume = _validate.flag("resume", resume)
    if resume and out is None:
        raise ValueError("resume=True needs out= (the directory of the sweep to continue)")
    curve_spec = parse_curve(curve, episodes)
    check_executor(executor)

    configs, axes = _expand(grid, space, samples, sample_seed, fixed)
    configs = normalize(configs, env, episodes, train_parameters())
    groups = {}
    for c, config in enumerate(configs):
        groups.setdefault(group_key(config), []).append(c)
    for ids in groups.values():
        _dry_run(env, configs[ids[0]], ids[0], axes, seed)
    check_fork(executor)  # after the dry runs: they start Numba's threads, if any
    goal = has_goal(env)
    chunks = _layout(groups, seeds, episodes, env, chunk_agents, len(configs))
    spec = definition(env, configs, axes, seeds, episodes, seed, eval_episodes, eval_seed,
                      curve_spec, goal)

    finished = {}
    directory = None
    if out is not None:
        from .storage import prepare

        directory, chunks, finished = prepare(out, spec, chunks, resume, chunk_agents is not None)
    tasks = [Task(i, ids, tuple(configs[c] for c in ids), env, episodes, seeds, seed,
                  eval_episodes, eval_seed, curve_spec, goal)
             for i, ids in enumerate(chunks) if i not in finished]

    def on_done(result):
        if directory is not None:
            from .storage import write_chunk

            write_chunk(directory, result)
        finished[int(result["chunk"])] = result

    done_agents = sum(len(chunks[i]) for i in finished) * seeds
    bar = Progress(progress, len(configs) * seeds, done_agents, len(chunks), len(finished))
    start = time.perf_counter()
    try:
        if executor is None:
            run_local(tasks, on_done, bar)
        else:
            run_on(executor, tasks, on_done, bar, retries)
    except KeyboardInterrupt:
        where = f"; they are in {str(directory)!r} (resume=True continues)" if directory else ""
        warnings.warn(f"interrupted: keeping the {len(finished)} of {len(chunks)} chunks "
                      f"finished{where}", stacklevel=2)
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    computed = sum(len(chunks[i]) for i in finished) * seeds - done_agents
    res = SweepResult.from_chunks(spec, configs, chunks, finished, seconds, computed,
                                  out=directory)
    if directory is not None and res.complete:
        res.to_csv(directory / "table.csv")
        res.to_csv(directory / "summary.csv", summary=True)
    return res


def _dry_run(env, config, c, axes, seed):
    """One episode of one agent of a group's first config: train() checks every keyword
    before any real work starts (and the kernels are loaded before the clock starts)."""
    from ..engine import train

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = train(env, episodes=1, agents=1, seed=seed, progress=False,
                        **batch_keywords([config], 1, env))
            run.evaluate(episodes=1, seed=seed)
    except (TypeError, ValueError) as exc:
        shown = ", ".join(f"{a}={config[a]!r}" for a in axes if a in config)
        raise type(exc)(f"config {c} ({shown or 'fixed keywords'}): {exc}") from None


def _layout(groups, seeds, episodes, env, chunk_agents, n_configs):
    """Chunks: tuples of config indices, whole configs of one group each."""
    if chunk_agents is None:
        per_agent = 24 * episodes + 16 * env.n_states * env.n_actions + 256
        cap = max(seeds, CHUNK_BYTES // per_agent)
        chunk_agents = min(cap, max(MIN_CHUNK_AGENTS, math.ceil(n_configs * seeds
                                                                / TARGET_CHUNKS)))
    per_chunk = max(1, chunk_agents // seeds)
    return [tuple(ids[i:i + per_chunk]) for ids in groups.values()
            for i in range(0, len(ids), per_chunk)]
