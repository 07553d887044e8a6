"""train(): validate once, allocate, run the kernels chunk by chunk, wrap a Run."""
from __future__ import annotations

import concurrent.futures
import time
import warnings

import numba
import numpy as np

from . import _dispatch, _validate, schedules
from .envs.function import FunctionEnv
from .envs.tabular import TabularEnv
from .kernels import episodes as _episodes
from .kernels.policy import EPSILON_GREEDY, SOFTMAX
from .kernels.rng import seed_streams
from .kernels.updates import DOUBLE_Q, EXPECTED_SARSA, Q_LEARNING, SARSA

ALGORITHMS = {"q_learning": Q_LEARNING, "double_q": DOUBLE_Q, "sarsa": SARSA,
              "expected_sarsa": EXPECTED_SARSA}
EXPLORATIONS = {"epsilon_greedy": EPSILON_GREEDY, "softmax": SOFTMAX}
DEFAULT_STEP_CAP = 1_000_000
EVALUATION_DOMAIN = 0x5EED_0F_E7A1_0A7E  # evaluation streams never replay training streams


def agent_streams(seed: int, n_agents: int, first_agent: int = 0) -> np.ndarray:
    """uint64 (n_agents, 4) xoshiro256++ states of agents first_agent.. for ``seed``."""
    state = np.empty((n_agents, 4), np.uint64)
    seed_streams(np.uint64(seed), np.int64(first_agent), state)
    return state


def make_streams(seed: int, n_agents: int, stream_ids=None) -> np.ndarray:
    """The streams of agents 0.. (or of the given stream ids) for ``seed``."""
    if stream_ids is None:
        return agent_streams(seed, n_agents)
    ids = _validate.index_array("stream_ids", stream_ids, 2**62, shape=(n_agents,))
    return np.concatenate([agent_streams(seed, 1, int(i)) for i in ids])


def n_tables(algorithm: str) -> int:
    """Q tables per agent: two for Double Q-learning, else one."""
    return 2 if algorithm == "double_q" else 1


def encode_hyperparameters(n_agents, n_episodes, alpha, gamma, epsilon, temperature):
    """Validate the hyperparameters and encode them per agent for the kernels."""
    return _episodes.Hyperparameters(
        alpha=schedules.encode("alpha", alpha, n_agents, n_episodes, 0.0, 1.0, low_open=True),
        epsilon=schedules.encode("epsilon", epsilon, n_agents, n_episodes, 0.0, 1.0),
        temperature=schedules.encode("temperature", temperature, n_agents, n_episodes, 0.0,
                                     np.inf, low_open=True),
        gamma=_validate.per_agent("gamma", gamma, n_agents, 0.0, 1.0),
    )


def parse_record(record: str, n_episodes: int) -> int:
    """Episodes per recorded column: 'episodes' 1, 'every:K' K, 'mean'/'none' all."""
    if isinstance(record, str) and record.startswith("every:"):
        try:
            stride = int(record[6:])
        except ValueError:
            stride = 0
        if stride < 1:
            raise ValueError(f"record 'every:K' needs an integer K >= 1; got {record!r}")
        return min(stride, n_episodes)
    _validate.choice("record", record, ("episodes", "every:K", "mean", "none"))
    return 1 if record == "episodes" else n_episodes


class Run:
    """The result of :func:`train`: the agents' tables and per-episode records.

    Attributes
    ----------
    q : float64 (agents, S, A)
        Final Q tables (Double Q-learning: the mean of its two tables).
    tables : float64 (n_tables, agents, S, A)
        The learned tables themselves (two for Double Q-learning).
    returns : float64 (agents, columns) or None
        Undiscounted return of every training episode (with ``record="every:K"``
        the mean of each block of K episodes; ``"mean"`` one column; ``"none"`` None).
    lengths : (agents, columns) or None
        Steps per episode (int64), or the block means (float64).
    rng_state : uint64 (agents, 4)
        The agents' streams after training (training continues from them).
    optimality : dict or None
        With ``track_optimality``: ``episodes`` (P,) and per agent ``q_error``
        (max |Q - Q*|) and ``value_gap`` (V*(s0) - V^greedy(s0)), (agents, P).
    env, seed, config, max_steps, seconds
    """

    def __init__(self, env, tables, rng_state, n_episodes, record, seed, config, max_steps,
                 envs=1):
        self.env = env
        self.tables = tables
        self.rng_state = rng_state
        self.n_episodes = n_episodes
        self.record = record
        self.record_stride = parse_record(record, n_episodes)
        columns = -(-n_episodes // self.record_stride)
        self.return_sums = np.zeros((self.n_agents, columns))
        self.length_sums = np.zeros((self.n_agents, columns), np.int64)
        self.episodes_done = 0
        self.copies = None if envs == 1 else _episodes.EnvCopies(
            *(np.zeros((self.n_agents, envs), np.int64) for _ in range(4)),
            np.zeros((self.n_agents, envs)), np.zeros(self.n_agents, np.int64))
        self.optimality = None
        self.hyper = None  # the encoded per-agent hyperparameters (set when training runs)
        self.seed = seed
        self.config = config
        self.max_steps = max_steps
        self.seconds = 0.0

    @property
    def n_agents(self) -> int:
        return self.tables.shape[1]

    @property
    def algorithm(self) -> str:
        return self.config["algorithm"]

    @property
    def q(self) -> np.ndarray:
        return self.tables[0] if len(self.tables) == 1 else self.tables.mean(axis=0)

    def _per_column(self, sums):
        if self.record == "none":
            return None
        if self.record_stride == 1:
            return sums[:, :self.episodes_done]
        starts = np.arange(0, self.episodes_done, self.record_stride)
        counts = np.minimum(self.record_stride, self.episodes_done - starts)
        return sums[:, :len(starts)] / counts

    @property
    def returns(self):
        return self._per_column(self.return_sums)

    @property
    def lengths(self):
        return self._per_column(self.length_sums)

    @property
    def steps(self) -> int:
        """Environment steps (= updates) taken by all agents."""
        return int(self.length_sums.sum())

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else float("nan")

    def policy(self) -> np.ndarray:
        """Greedy action per state, int64 (agents, S); ties go to the first maximum."""
        return self.tables.sum(axis=0).argmax(axis=2)

    def final_return(self, fraction: float = 0.1) -> np.ndarray:
        """Mean return per agent over the last ``fraction`` of the episodes, (agents,).

        With ``record="every:K"`` whole blocks are averaged (the last blocks
        covering that fraction); with ``"mean"`` it is the mean of all episodes.
        """
        fraction = _validate.real("fraction", fraction, 0.0, 1.0, low_open=True)
        if self.record == "none":
            raise ValueError("final_return needs recorded returns; this run used record='none'")
        done, stride = self.episodes_done, self.record_stride
        wanted = max(1, int(round(done * fraction)))
        n_columns = -(-done // stride)
        first = max(0, n_columns - -(-wanted // stride))
        counts = np.minimum(stride, done - np.arange(first, n_columns) * stride)
        return self.return_sums[:, first:n_columns].sum(axis=1) / counts.sum()

    def hyperparameter(self, name: str) -> np.ndarray:
        """The values of ``alpha``, ``epsilon`` or ``temperature`` each agent used in
        each episode, float64 (agents, episodes): the kernels' own schedule code."""
        from .kernels.schedules import schedule_table

        _validate.choice("name", name, ("alpha", "epsilon", "temperature"))
        rows = getattr(self.hyper, name)
        out = np.empty((self.n_agents, self.n_episodes))
        schedule_table(rows, 0, out)
        return out

    def evaluate(self, episodes: int = 1000, seed: int = 0, stream_ids=None) -> np.ndarray:
        """Mean return per agent of the greedy policy (ties at random), (agents,).

        Same environment and time limit as training; run in the kernels with
        evaluation streams derived from ``seed`` (independent of training):
        agent i uses the evaluation stream ``stream_ids[i]`` (default i).
        """
        episodes = _validate.count("episodes", episodes)
        seed = _validate.seed(seed)
        out = np.empty(self.n_agents)
        streams = make_streams(seed ^ EVALUATION_DOMAIN, self.n_agents, stream_ids)
        env = self.env

        def evaluate(first, end):
            _dispatch.call(_episodes.evaluate_greedy, self.tables, streams, env.kernel_arrays(),
                           first, end, episodes, self.max_steps, out, env.n_actions,
                           env.n_outcomes, ALGORITHMS[self.algorithm], literal=3)

        evaluate(0, 0)  # compile or load before the threads start
        if over_agents(evaluate, self.n_agents):
            raise KeyboardInterrupt
        _raise_env_errors(env)
        return out

    def to_vec_qtable(self):
        """A VecQTable holding these tables, streams and hyperparameters (copies),
        to keep training or to step by hand."""
        from .qtable import VecQTable

        return VecQTable.from_run(self)

    def __repr__(self):
        tail = "" if self.record == "none" else \
            f", mean final return {self.final_return().mean():.4g}"
        return (f"<Run: {self.n_agents} agents x {self.n_episodes} episodes of "
                f"{self.algorithm} on {self.env.name}{tail}>")


def resolve_max_steps(env, max_steps, step_cap) -> int:
    """The episode step limit the kernels enforce (the safety cap when there is none)."""
    step_cap = _validate.count("step_cap", step_cap)
    if max_steps is not None:
        return _validate.count("max_steps", max_steps)
    return env.max_steps if env.max_steps is not None else step_cap


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


class OptimalityTracker:
    """Measures max |Q - Q*| and the greedy value gap every ``every`` episodes
    (run.optimality: ``episodes`` (P,), ``q_error`` and ``value_gap`` (agents, P))."""

    def __init__(self, run, gammas, every):
        if not isinstance(run.env, TabularEnv):
            raise TypeError("track_optimality needs a TabularEnv (a known model); "
                            f"got {type(run.env).__name__}")
        if every is True:
            every = max(1, run.n_episodes // 100)
        self.every = _validate.count("track_optimality", every)
        self.run, self.gammas = run, gammas
        unique, self.star_of = np.unique(gammas, return_inverse=True)
        try:
            self.q_star = np.stack([run.env.value_iteration(g) for g in unique])
        except RuntimeError as error:
            raise ValueError(f"track_optimality: {error}") from None
        self.v_star_start = self.q_star.max(axis=2) @ run.env.initial
        self.values = self.q_star.max(axis=2)[self.star_of]  # warm start: V*
        points = -(-run.n_episodes // self.every)
        run.optimality = dict(episodes=np.zeros(0, np.int64),
                              q_error=np.full((run.n_agents, points), np.nan),
                              value_gap=np.full((run.n_agents, points), np.nan))

    def measure(self, episodes_done):
        """Record the measurement after ``episodes_done`` episodes (all agents)."""
        from .kernels.optimality import measure_optimality

        run, env = self.run, self.run.env
        j = len(run.optimality["episodes"])
        q_error, value_gap = np.empty(run.n_agents), np.empty(run.n_agents)

        def block(first, end):
            measure_optimality(run.tables, first, end, env.offsets, env.probs, env.next_states,
                               env.rewards, env.terminated, env.initial, self.gammas,
                               self.q_star, self.v_star_start, self.star_of, self.values,
                               1e-10, 100_000, q_error, value_gap)

        over_agents(block, run.n_agents)
        run.optimality["q_error"][:, j] = q_error
        run.optimality["value_gap"][:, j] = value_gap
        run.optimality["episodes"] = np.append(run.optimality["episodes"], episodes_done)


def run_chunks(run: Run, hyper, chunk_episodes=None, progress=False, tracker=None) -> None:
    """Train ``run`` (in place) through all its episodes, one kernel call per chunk
    of episodes and block of agents, blocks spread over thread_count() threads."""
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
            _raise_env_errors(env)
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


_POOL: list = [None, 0]  # a ThreadPoolExecutor and its size, made on first use


def thread_count() -> int:
    """Threads for the kernels: numba.set_num_threads() if it was called, else
    NUMBA_NUM_THREADS. (Asking Numba directly would start its threading layer,
    which fastq does not use and which breaks process pools that fork.)"""
    from numba.np.ufunc import parallel

    if parallel._is_initialized:
        return numba.get_num_threads()
    return numba.config.NUMBA_NUM_THREADS


def over_agents(work, n_agents: int) -> bool:
    """Run ``work(first, end)`` over disjoint blocks covering agents [0, n_agents).

    The kernels release the GIL, so blocks run in parallel on thread_count()
    threads (several blocks per thread balance the load). Every block
    finishes even if Ctrl-C arrives meanwhile; returns whether it did.
    Results never depend on the blocks: agents own their rows.
    """
    threads = min(thread_count(), -(-n_agents // _episodes.GROUP_SIZE))
    try:
        if threads <= 1:
            work(0, n_agents)
            return False
        group = _episodes.GROUP_SIZE
        size = group * max(1, -(-n_agents // (group * 4 * threads)))
        if _POOL[1] != threads:
            if _POOL[0] is not None:
                _POOL[0].shutdown()
            _POOL[:] = [concurrent.futures.ThreadPoolExecutor(threads, "fastq"), threads]
        futures = [_POOL[0].submit(work, first, min(first + size, n_agents))
                   for first in range(0, n_agents, size)]
    except KeyboardInterrupt:
        return True
    interrupted = False
    while True:
        try:
            for future in futures:
                future.result()
            return interrupted
        except KeyboardInterrupt:
            interrupted = True


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


def check_env(env):
    if not isinstance(env, (TabularEnv, FunctionEnv)):
        raise TypeError(f"env must be a fastq TabularEnv (fastq.make(...), "
                        f"TabularEnv.from_arrays(...)) or a fastq.FunctionEnv; "
                        f"got {type(env).__name__}")
    return env


def _raise_env_errors(env) -> None:
    if isinstance(env, FunctionEnv):
        env.raise_errors()


DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32"}


def check_dtype(dtype) -> np.dtype:
    """float64 (default) or float32 Q tables."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in DTYPES:
        raise TypeError(f"dtype must be np.float64 or np.float32; got {dtype!r}")
    return dtype


def initial_tables(q_init, n_tables, agents, env, dtype=np.float64):
    """(n_tables, agents, S, A) tables from a number, an (S, A) table or per-agent
    tables (allocated once: no temporary copy of the whole batch)."""
    dtype = check_dtype(dtype)
    tables = np.empty((n_tables, agents, env.n_states, env.n_actions), dtype)
    shape = tables.shape[1:]
    if np.ndim(q_init) == 0:
        tables[...] = _validate.real("q_init", q_init, -np.inf, np.inf)
        return tables
    q = _validate.real_array("q_init", q_init)
    if q.shape not in (shape, shape[1:]):
        raise ValueError(f"q_init must be a number, shape {shape[1:]} or shape {shape}; "
                         f"got shape {q.shape}")
    tables[...] = q
    return tables
