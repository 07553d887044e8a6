"""Run: the agents' tables, streams and records after training."""
from __future__ import annotations

import numpy as np

from . import _dispatch, _validate
from ._inputs import ALGORITHMS, EVALUATION_DOMAIN, make_streams, parse_record, raise_env_errors
from ._threads import over_agents
from .kernels import episodes as _episodes


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
        raise_env_errors(env)
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
