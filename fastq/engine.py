"""train(): validate once, allocate, run the kernels chunk by chunk, wrap a Run."""
from __future__ import annotations

import time
import warnings

import numpy as np

from . import _dispatch, _validate
from ._inputs import ALGORITHMS, DEFAULT_STEP_CAP, EXPLORATIONS, check_env, \
    encode_hyperparameters, initial_tables, make_streams, n_tables, parse_record, \
    raise_env_errors, resolve_max_steps
from ._threads import over_agents
from .kernels import episodes as _episodes
from .optimality import OptimalityTracker
from .run import Run


def train(env, episodes: int, agents: int = 1, algorithm: str = "q_learning", alpha=0.1,
          gamma=0.99, epsilon=0.1, seed: int = 0, max_steps: int | None = None,
          exploration: str = "epsilon_greedy", temperature=1.0, q_init=0.0,
          record: str = "episodes", envs: int = 1, track_optimality=False,
          dtype=np.float64, step_cap: int = DEFAULT_STEP_CAP,
          chunk_episodes: int | None = None, progress=False, stream_ids=None) -> Run:
    """Train ``agents`` independent tabular learners for ``episodes`` episodes each.

    Parameters
    ----------
    env : TabularEnv
        e.g. ``fastq.make("FrozenLake8x8-v1")``.
    episodes, agents : int
    algorithm : str
        ``"q_learning"`` (default), ``"double_q"``, ``"sarsa"`` or ``"expected_sarsa"``.
    alpha, epsilon, temperature : float, float64 (agents,), or a schedule
        Step size in (0, 1]; exploration rate in [0, 1]; softmax temperature > 0.
        Schedules (``fastq.linear`` ...) are evaluated per episode in the kernels.
    gamma : float or float64 (agents,)
        Discount in [0, 1].
    seed : int
        Agent i's random stream depends on (seed, i) only.
    max_steps : int, optional
        Overrides the environment's time limit (truncation bootstraps).
    exploration : str
        ``"epsilon_greedy"`` (ties broken at random) or ``"softmax"`` (Boltzmann,
        with ``temperature``).
    q_init : float or float64 (S, A) or (agents, S, A)
        Initial Q values (e.g. ``run.q`` to warm-start from an earlier run).
    dtype : np.float64 or np.float32
        Q tables' precision: float32 halves table memory (the arithmetic is
        done in float64 and rounded when stored).
    record : str
        ``"episodes"`` (every episode), ``"every:K"`` (means of blocks of K),
        ``"mean"`` (one mean per agent) or ``"none"``: bounds record memory.
    envs : int
        Environment copies per agent. At every step all of an agent's copies
        choose actions on its current table, then their updates apply in copy
        order; a copy whose episode ends starts the agent's next episode.
        More experience per step of wall-clock time; ``episodes`` still counts
        the agent's episodes (numbered in the order they start).
    track_optimality : bool or int
        Every k episodes (True: k = episodes // 100) record per agent
        ``max |Q - Q*|`` and the greedy policy's exact value gap
        ``V*(s0) - V^pi(s0)`` (TabularEnv only; Q* by value iteration) in
        ``run.optimality``.
    step_cap : int
        Safety cap on episode length when there is no time limit at all
        (e.g. CliffWalking); a capped episode is truncated and a warning says so.
    chunk_episodes : int, optional
        Episodes per kernel call (progress and Ctrl-C granularity); results do
        not depend on it.
    progress : bool
        Show a tqdm progress bar over chunks (needs tqdm).
    stream_ids : int array (agents,), optional
        Agent i draws the stream of (seed, stream_ids[i]); default ``arange(agents)``.
        Sweeps use it so that a config's seed k is agent k of ``train(..., agents=seeds)``.

    Returns
    -------
    Run

    Example
    -------
    >>> run = fastq.train(fastq.make("FrozenLake-v1"), episodes=2000, agents=64, seed=0)
    >>> run.returns.shape
    (64, 2000)
    """
    env = check_env(env)
    episodes = _validate.count("episodes", episodes)
    agents = _validate.count("agents", agents)
    _validate.choice("algorithm", algorithm, ALGORITHMS)
    _validate.choice("exploration", exploration, EXPLORATIONS)
    seed = _validate.seed(seed)
    limit = resolve_max_steps(env, max_steps, step_cap)
    hyper = encode_hyperparameters(agents, episodes, alpha, gamma, epsilon, temperature)
    parse_record(record, episodes)
    tables = initial_tables(q_init, n_tables(algorithm), agents, env, dtype)
    streams = make_streams(seed, agents, stream_ids)
    config = dict(algorithm=algorithm, exploration=exploration, alpha=alpha, gamma=gamma,
                  epsilon=epsilon, temperature=temperature)
    run = Run(env, tables, streams, episodes, record, seed, config, limit,
              _validate.count("envs", envs))
    tracker = None
    if track_optimality is not False:
        tracker = OptimalityTracker(run, hyper.gamma, track_optimality)
    run_chunks(run, hyper, chunk_episodes, progress, tracker)
    return run


def run_chunks(run: Run, hyper, chunk_episodes=None, progress=False, tracker=None) -> None:
    """Train ``run`` (in place) through all its episodes, one kernel call per chunk
    of episodes and block of agents, blocks spread over _threads.thread_count() threads."""
    env, n_episodes = run.env, run.n_episodes
    run.hyper = hyper
    chunk = _validate.optional_count("chunk_episodes", chunk_episodes) \
        or _default_chunk(n_episodes, progress)
    every = tracker.every if tracker is not None else n_episodes
    bounds = sorted(set(range(0, n_episodes, chunk)) | set(range(0, n_episodes, every))
                    | {n_episodes})
    codes = (env.n_actions, env.n_outcomes, ALGORITHMS[run.algorithm],
             EXPLORATIONS[run.config["exploration"]])
    episodes = (0, 0)

    def train_block(first_agent, end_agent):
        if run.copies is None:
            _dispatch.call(_episodes.run_episodes, run.tables, run.rng_state,
                           env.kernel_arrays(), hyper, run.return_sums, run.length_sums,
                           run.record_stride, first_agent, end_agent, *episodes, run.max_steps,
                           *codes, literal=4)
        else:
            _dispatch.call(_episodes.run_episodes_envs, run.tables, run.rng_state,
                           env.kernel_arrays(), hyper, run.return_sums, run.length_sums,
                           run.record_stride, first_agent, end_agent, run.copies, episodes[1],
                           n_episodes, run.max_steps, *codes, literal=4)

    train_block(0, 0)  # compile or load the kernel before the clock starts
    bar = _progress_bar(progress, n_episodes, run.n_agents)
    start = time.perf_counter()
    try:
        for first, end in zip(bounds[:-1], bounds[1:]):
            episodes = (first, end)
            interrupted = over_agents(train_block, run.n_agents)
            raise_env_errors(env)
            run.episodes_done = end
            if tracker is not None and (end % every == 0 or end == n_episodes):
                tracker.measure(end)
            if bar is not None:
                bar.update(episodes[1] - first)
            if interrupted:
                warnings.warn(f"interrupted: keeping the {run.episodes_done} episodes finished",
                              stacklevel=3)
                break
    finally:
        if bar is not None:
            bar.close()
        run.seconds += time.perf_counter() - start
    if env.max_steps is None and run.record_stride == 1 \
            and (run.length_sums[:, :run.episodes_done] >= run.max_steps).any():
        warnings.warn(f"some episodes reached the safety cap of {run.max_steps} steps "
                      "(this environment has no time limit) and were truncated; "
                      "raise step_cap or set max_steps", RuntimeWarning, stacklevel=3)


def _default_chunk(n_episodes, progress):
    return max(1, n_episodes // 50) if progress else n_episodes


def _progress_bar(progress, total, n_agents):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress=True needs tqdm (pip install tqdm)", stacklevel=4)
        return None
    return tqdm(total=total, unit="episode", desc=f"{n_agents} agents")
