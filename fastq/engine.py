"""train(): validate once, allocate, run the kernels chunk by chunk, wrap a Run."""
from __future__ import annotations

import time
import warnings

import numba
import numpy as np

from . import _validate, schedules
from .envs.tabular import TabularEnv
from .kernels import episodes as _episodes
from .kernels.rng import seed_streams

ALGORITHMS = ("q_learning",)
DEFAULT_STEP_CAP = 1_000_000
EVALUATION_DOMAIN = 0x5EED_0F_E7A1_0A7E  # evaluation streams never replay training streams


def agent_streams(seed: int, n_agents: int, first_agent: int = 0) -> np.ndarray:
    """uint64 (n_agents, 4) xoshiro256++ states of agents first_agent.. for ``seed``."""
    state = np.empty((n_agents, 4), np.uint64)
    seed_streams(np.uint64(seed), np.int64(first_agent), state)
    return state


class Run:
    """The result of :func:`train`: the agents' tables and per-episode records.

    Attributes
    ----------
    q : float64 (agents, S, A)
        Final Q tables.
    returns : float64 (agents, episodes)
        Undiscounted return of every training episode.
    lengths : int64 (agents, episodes)
        Steps of every training episode.
    env, seed, config, max_steps, seconds
    """

    def __init__(self, env, q, returns, lengths, rng_state, seed, config, max_steps, seconds):
        self.env = env
        self.q = q
        self.returns = returns
        self.lengths = lengths
        self.rng_state = rng_state
        self.seed = seed
        self.config = config
        self.max_steps = max_steps
        self.seconds = seconds

    @property
    def n_agents(self) -> int:
        return self.q.shape[0]

    @property
    def n_episodes(self) -> int:
        return self.returns.shape[1]

    @property
    def steps(self) -> int:
        """Environment steps (= Q updates) taken by all agents."""
        return int(self.lengths.sum())

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else float("nan")

    def policy(self) -> np.ndarray:
        """Greedy action per state, int64 (agents, S); ties go to the first maximum."""
        return self.q.argmax(axis=2)

    def final_return(self, fraction: float = 0.1) -> np.ndarray:
        """Mean return per agent over the last ``fraction`` of the episodes, (agents,)."""
        fraction = _validate.real("fraction", fraction, 0.0, 1.0, low_open=True)
        k = max(1, int(round(self.n_episodes * fraction)))
        return self.returns[:, -k:].mean(axis=1)

    def evaluate(self, episodes: int = 1000, seed: int = 0) -> np.ndarray:
        """Mean return per agent of the greedy policy (ties at random), (agents,).

        Same environment and time limit as training; the kernels run it with
        evaluation streams derived from ``seed`` (independent of training).
        """
        episodes = _validate.count("episodes", episodes)
        seed = _validate.seed(seed)
        return evaluate_greedy(self.env, self.q, episodes, seed, self.max_steps)

    def __repr__(self):
        return (f"<Run: {self.n_agents} agents x {self.n_episodes} episodes on {self.env.name}, "
                f"mean final return {self.final_return().mean():.4g}>")


def evaluate_greedy(env, q, episodes, seed, max_steps) -> np.ndarray:
    out = np.empty(q.shape[0])
    streams = agent_streams(seed ^ EVALUATION_DOMAIN, q.shape[0])
    _episodes.evaluate_greedy(q, streams, env.kernel_arrays(), episodes, max_steps,
                              env.n_actions, env.n_outcomes, out)
    return out


def resolve_max_steps(env, max_steps, step_cap) -> int:
    """The episode step limit the kernels enforce (the safety cap when there is none)."""
    step_cap = _validate.count("step_cap", step_cap)
    if max_steps is not None:
        return _validate.count("max_steps", max_steps)
    return env.max_steps if env.max_steps is not None else step_cap


def train(env, episodes: int, agents: int = 1, algorithm: str = "q_learning", alpha=0.1,
          gamma=0.99, epsilon=0.1, seed: int = 0, max_steps: int | None = None,
          q_init=0.0, step_cap: int = DEFAULT_STEP_CAP, chunk_episodes: int | None = None,
          progress=False, stream_ids=None) -> Run:
    """Train ``agents`` independent tabular learners for ``episodes`` episodes each.

    Parameters
    ----------
    env : TabularEnv
        e.g. ``fastq.make("FrozenLake8x8-v1")``.
    episodes, agents : int
    algorithm : str
        ``"q_learning"``.
    alpha, epsilon : float, float64 (agents,), or a schedule (``fastq.linear`` ...)
        Step size in (0, 1]; exploration rate in [0, 1].
    gamma : float or float64 (agents,)
        Discount in [0, 1].
    seed : int
        Agent i's random stream depends on (seed, i) only.
    max_steps : int, optional
        Overrides the environment's time limit (truncation bootstraps).
    q_init : float or float64 (agents, S, A)
        Initial Q values.
    step_cap : int
        Safety cap on episode length when there is no time limit at all
        (e.g. CliffWalking); a capped episode is truncated and a warning says so.
    chunk_episodes : int, optional
        Episodes per kernel call (progress and Ctrl-C granularity); results do
        not depend on it.
    progress : bool
        Show a tqdm progress bar over chunks (needs tqdm).
    stream_ids : int array (agents,), optional
        Which stream each agent draws: agent i uses the stream of
        (seed, stream_ids[i]); default ``arange(agents)``. Sweeps use it so that
        a config's seed k is agent k of ``train(..., agents=seeds)``.

    Returns
    -------
    Run

    Example
    -------
    >>> run = fastq.train(fastq.make("FrozenLake-v1"), episodes=2000, agents=64, seed=0)
    >>> run.returns.shape
    (64, 2000)
    """
    env = _check_env(env)
    episodes = _validate.count("episodes", episodes)
    agents = _validate.count("agents", agents)
    _validate.choice("algorithm", algorithm, ALGORITHMS)
    seed = _validate.seed(seed)
    limit = resolve_max_steps(env, max_steps, step_cap)
    hyper = _episodes.Hyperparameters(
        alpha=schedules.encode("alpha", alpha, agents, episodes, 0.0, 1.0, low_open=True),
        epsilon=schedules.encode("epsilon", epsilon, agents, episodes, 0.0, 1.0),
        gamma=_validate.per_agent("gamma", gamma, agents, 0.0, 1.0),
    )
    q = _initial_q(q_init, agents, env)
    if stream_ids is None:
        streams = agent_streams(seed, agents)
    else:
        ids = _validate.index_array("stream_ids", stream_ids, 2**62, shape=(agents,))
        streams = np.concatenate([agent_streams(seed, 1, int(i)) for i in ids])
    run = Run(env, q, np.zeros((agents, episodes)), np.zeros((agents, episodes), np.int64),
              streams, seed,
              dict(algorithm=algorithm, alpha=alpha, gamma=gamma, epsilon=epsilon), limit, 0.0)
    run_chunks(run, hyper, 0, episodes, chunk_episodes, progress)
    return run


def run_chunks(run: Run, hyper, first_episode: int, end_episode: int, chunk_episodes,
               progress) -> None:
    """Advance ``run`` (in place) through episodes [first_episode, end_episode)."""
    env = run.env
    chunk = _validate.optional_count("chunk_episodes", chunk_episodes) \
        or _default_chunk(end_episode - first_episode, progress)
    kernel = (_episodes.run_episodes_parallel
              if run.n_agents > _episodes.GROUP_SIZE and numba.get_num_threads() > 1
              else _episodes.run_episodes_serial)
    bounds = list(range(first_episode, end_episode, chunk)) + [end_episode]
    bar = _progress_bar(progress, end_episode - first_episode, run.n_agents)
    done = first_episode
    # compile or load the kernel before the clock starts (an empty range of episodes)
    kernel(run.q, run.rng_state, env.kernel_arrays(), hyper, run.returns, run.lengths,
           first_episode, first_episode, run.max_steps, env.n_actions, env.n_outcomes)
    start = time.perf_counter()
    try:
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            kernel(run.q, run.rng_state, env.kernel_arrays(), hyper, run.returns, run.lengths,
                   lo, hi, run.max_steps, env.n_actions, env.n_outcomes)
            done = hi
            if bar is not None:
                bar.update(hi - lo)
    except KeyboardInterrupt:
        warnings.warn(f"interrupted: keeping the {done - first_episode} episodes finished "
                      "(run.returns and run.lengths are cut there)", stacklevel=3)
        run.returns = run.returns[:, :done]
        run.lengths = run.lengths[:, :done]
    finally:
        if bar is not None:
            bar.close()
    run.seconds += time.perf_counter() - start
    if env.max_steps is None and (run.lengths[:, first_episode:done] >= run.max_steps).any():
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


def _check_env(env):
    if not isinstance(env, TabularEnv):
        raise TypeError(f"env must be a fastq TabularEnv (fastq.make(...), "
                        f"TabularEnv.from_arrays(...)); got {type(env).__name__}")
    return env


def _initial_q(q_init, agents, env):
    shape = (agents, env.n_states, env.n_actions)
    if np.ndim(q_init) == 0:
        value = _validate.real("q_init", q_init, -np.inf, np.inf)
        return np.full(shape, value)
    q = _validate.real_array("q_init", q_init)
    if q.shape == shape[1:]:
        q = np.broadcast_to(q, shape)
    if q.shape != shape:
        raise ValueError(f"q_init must be a number, shape {shape[1:]} or shape {shape}; "
                         f"got shape {q.shape}")
    return np.array(q, dtype=np.float64, order="C")
