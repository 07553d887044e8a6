"""VecQTable (many tables, batched primitives) and QTable (one table, the textbook API)."""
from __future__ import annotations

import json

import numpy as np

from . import _validate, schedules
from ._inputs import ALGORITHMS, DEFAULT_STEP_CAP, EXPLORATIONS, check_dtype, check_env, \
    encode_hyperparameters, make_streams, n_tables, resolve_max_steps
from .engine import run_chunks
from .run import Run
from .kernels.batch import choose_actions, update_agents
from .kernels.schedules import schedule_value


class VecQTable:
    """``agents`` independent Q tables stepped together on NumPy arrays.

    For users who step their own simulator: ``choose_actions(states)`` and
    ``update(states, actions, rewards, next_states, terminated)`` each run one
    compiled call for all agents. Agent i equals a ``QTable`` with the same
    hyperparameters and ``stream_id=i`` fed the same data.

    Parameters
    ----------
    agents, n_states, n_actions : int
    alpha, gamma, epsilon, temperature, algorithm, exploration
        As in :func:`fastq.train` (scalars, per-agent arrays or schedules).
        Schedules are read at ``self.episode`` (advance it in your loop);
        ``fit`` runs them from episode 0.
    seed : int
        Agent i draws the stream of (seed, i), as in :func:`fastq.train`.

    Attributes
    ----------
    values : float64 (agents, S, A)
        The live tables (Double Q-learning: the mean of ``tables``, a copy).
    tables : float64 (n_tables, agents, S, A)
        The live tables (two for Double Q-learning).

    Example
    -------
    >>> vq = fastq.VecQTable(8, n_states=16, n_actions=4, epsilon=0.1, seed=0)
    >>> actions = vq.choose_actions(np.zeros(8, dtype=int))
    >>> td = vq.update(np.zeros(8, int), actions, np.ones(8), np.ones(8, int), np.zeros(8, bool))
    """

    def __init__(self, agents, n_states, n_actions, alpha=0.1, gamma=0.99, epsilon=0.1,
                 seed=0, algorithm="q_learning", exploration="epsilon_greedy", temperature=1.0,
                 *, stream_ids=None, dtype=np.float64):
        self.n_agents = _validate.count("agents", agents)
        self.n_states = _validate.count("n_states", n_states)
        self.n_actions = _validate.count("n_actions", n_actions)
        self.algorithm = _validate.choice("algorithm", algorithm, ALGORITHMS)
        self.exploration = _validate.choice("exploration", exploration, EXPLORATIONS)
        encode_hyperparameters(self.n_agents, 1, alpha, gamma, epsilon, temperature)
        self.alpha, self.gamma, self.epsilon, self.temperature = alpha, gamma, epsilon, temperature
        self.seed = _validate.seed(seed)
        self.episode = 0
        self.tables = np.zeros((n_tables(algorithm), self.n_agents, self.n_states,
                                self.n_actions), check_dtype(dtype))
        self.rng_state = make_streams(self.seed, self.n_agents, stream_ids)

    @classmethod
    def from_run(cls, run: Run) -> "VecQTable":
        """The tables, streams and hyperparameters of a Run (copied)."""
        c = run.config
        vq = cls(run.n_agents, run.env.n_states, run.env.n_actions, alpha=c["alpha"],
                 gamma=c["gamma"], epsilon=c["epsilon"], seed=run.seed,
                 algorithm=c["algorithm"], exploration=c["exploration"],
                 temperature=c["temperature"], dtype=run.tables.dtype)
        vq.tables[:] = run.tables
        vq.rng_state[:] = run.rng_state
        return vq

    @property
    def values(self) -> np.ndarray:
        return self.tables[0] if len(self.tables) == 1 else self.tables.mean(axis=0)

    def policy(self) -> np.ndarray:
        """Greedy action per agent and state, int64 (agents, S) (ties: first maximum)."""
        return self.tables.sum(axis=0).argmax(axis=2)

    def choose_actions(self, states) -> np.ndarray:
        """The behaviour policy's action for each agent in its state, int64 (agents,)."""
        states = _validate.index_array("states", states, self.n_states, shape=(self.n_agents,))
        epsilon = self._current("epsilon", self.epsilon)
        actions = np.empty(self.n_agents, np.int64)
        choose_actions(self.tables, self.rng_state, states,
                       (epsilon * 4294967296.0).astype(np.uint64),
                       self._current("temperature", self.temperature), self.n_actions,
                       ALGORITHMS[self.algorithm], EXPLORATIONS[self.exploration], actions)
        return actions

    def update(self, states, actions, rewards, next_states, terminated,
               next_actions=None) -> np.ndarray:
        """One Bellman update per agent (agent i takes transition i); TD errors (agents,).

        ``terminated`` cuts the bootstrap (pass False on a time-limit
        truncation). SARSA needs ``next_actions``: the actions the agents will
        take in ``next_states``.
        """
        return self._update(np.arange(self.n_agents), states, actions, rewards, next_states,
                            terminated, next_actions)

    def fit(self, env, episodes: int, max_steps=None, step_cap=DEFAULT_STEP_CAP,
            record="episodes", chunk_episodes=None, progress=False) -> Run:
        """Train these tables in place with the compiled engine, from their current
        values and streams; returns the Run (whose tables are these)."""
        env = check_env(env)
        if (env.n_states, env.n_actions) != (self.n_states, self.n_actions):
            raise ValueError(f"env has {env.n_states} states and {env.n_actions} actions; "
                             f"these tables have {self.n_states} and {self.n_actions}")
        episodes = _validate.count("episodes", episodes)
        hyper = encode_hyperparameters(self.n_agents, episodes, self.alpha, self.gamma,
                                       self.epsilon, self.temperature)
        config = dict(algorithm=self.algorithm, exploration=self.exploration, alpha=self.alpha,
                      gamma=self.gamma, epsilon=self.epsilon, temperature=self.temperature)
        run = Run(env, self.tables, self.rng_state, episodes, record, self.seed, config,
                  resolve_max_steps(env, max_steps, step_cap))
        run_chunks(run, hyper, chunk_episodes, progress)
        return run

    # ---------------------------------------------------------------- helpers
    def _update(self, agents, states, actions, rewards, next_states, terminated, next_actions):
        n = len(agents)
        states = _validate.index_array("states", states, self.n_states, shape=(n,))
        actions = _validate.index_array("actions", actions, self.n_actions, shape=(n,))
        next_states = _validate.index_array("next_states", next_states, self.n_states,
                                            shape=(n,))
        rewards = _validate.real_array("rewards", rewards, ndim=1)
        if rewards.shape != (n,):
            raise ValueError(f"rewards must have shape ({n},); got shape {rewards.shape}")
        terminated = _validate.bool_array("terminated", terminated, (n,))
        if self.algorithm == "sarsa":
            if next_actions is None:
                raise ValueError("next_actions is required for SARSA: the actions the agents "
                                 "will take in next_states")
            next_actions = _validate.index_array("next_actions", next_actions, self.n_actions,
                                                 shape=(n,))
        else:
            next_actions = np.zeros(n, np.int64)
        hyper = encode_hyperparameters(self.n_agents, 1, self.alpha, self.gamma, self.epsilon,
                                       self.temperature)
        td = np.empty(n)
        update_agents(self.tables, self.rng_state, agents, states, actions, rewards,
                      next_states, terminated, next_actions,
                      self._current("alpha", self.alpha), hyper.gamma,
                      self._current("epsilon", self.epsilon),
                      self._current("temperature", self.temperature), self.n_actions,
                      ALGORITHMS[self.algorithm], EXPLORATIONS[self.exploration], td)
        return td

    def _current(self, name, value) -> np.ndarray:
        """Per-agent values of a hyperparameter at ``self.episode``, float64 (agents,)."""
        if isinstance(value, schedules.linear) and \
                not np.issubdtype(np.asarray(value.over).dtype, np.integer):
            raise ValueError(f"{name}: a schedule whose 'over' is a fraction of the run needs "
                             "a run length; outside fit() give 'over' in episodes (an int)")
        rows = schedules.encode(name, value, self.n_agents, 1, -np.inf, np.inf)
        return np.array([schedule_value(row, self.episode) for row in rows])

    def __repr__(self):
        return (f"VecQTable({self.n_agents}, {self.n_states}, {self.n_actions}, "
                f"algorithm={self.algorithm!r}, seed={self.seed})")


class QTable:
    """One tabular learner with the textbook API: ``choose_action``, ``update``, ``fit``.

    Parameters
    ----------
    n_states, n_actions : int
    alpha : float in (0, 1] or a schedule
        Step size.
    gamma : float in [0, 1]
        Discount.
    epsilon : float in [0, 1] or a schedule
        Exploration rate (ties broken uniformly at random).
    seed : int
        The table's random stream is that of agent ``stream_id`` (default 0)
        of ``fastq.train(..., seed=seed)``.
    algorithm, exploration, temperature
        As in :func:`fastq.train`.

    Schedules are read at ``self.episode`` by ``choose_action``/``update``
    (advance it in a hand-written loop); ``fit`` runs them from 0.

    Example
    -------
    >>> q = fastq.QTable(10, 3, alpha=0.5, gamma=0.9, epsilon=0.1, seed=0)
    >>> a = q.choose_action(0)
    >>> td = q.update(0, a, 1.0, 1)
    """

    def __init__(self, n_states, n_actions, alpha=0.1, gamma=0.99, epsilon=0.1, seed=0,
                 algorithm="q_learning", exploration="epsilon_greedy", temperature=1.0,
                 *, stream_id=0):
        for name, value in (("alpha", alpha), ("epsilon", epsilon), ("temperature", temperature)):
            if np.ndim(value) or (isinstance(value, schedules.Schedule)
                                  and max(np.size(v) for v in vars(value).values()) > 1):
                raise ValueError(f"{name} of a QTable must be one number or schedule; "
                                 f"use VecQTable for per-agent values")
        self.gamma = _validate.real("gamma", gamma, 0.0, 1.0)
        self._vec = VecQTable(1, n_states, n_actions, alpha, self.gamma, epsilon, seed,
                              algorithm, exploration, temperature,
                              stream_ids=[_validate.count("stream_id", stream_id, 0)])
        self.stream_id = stream_id

    n_states = property(lambda self: self._vec.n_states)
    n_actions = property(lambda self: self._vec.n_actions)
    alpha = property(lambda self: self._vec.alpha)
    epsilon = property(lambda self: self._vec.epsilon)
    temperature = property(lambda self: self._vec.temperature)
    seed = property(lambda self: self._vec.seed)
    algorithm = property(lambda self: self._vec.algorithm)
    exploration = property(lambda self: self._vec.exploration)

    @property
    def episode(self) -> int:
        return self._vec.episode

    @episode.setter
    def episode(self, value):
        self._vec.episode = _validate.count("episode", value, 0)

    @property
    def values(self) -> np.ndarray:
        """The live Q table, float64 (S, A) (Double Q-learning: the mean of its two, a copy)."""
        return self._vec.values[0]

    @property
    def tables(self) -> np.ndarray:
        """The live table(s), float64 (n_tables, S, A)."""
        return self._vec.tables[:, 0]

    def policy(self) -> np.ndarray:
        """Greedy action per state, int64 (S,) (ties: the first maximum)."""
        return self._vec.policy()[0]

    def choose_action(self, s) -> int:
        """The behaviour policy's action in state ``s`` (epsilon-greedy: ties at random)."""
        s = _validate.index_array("s", s, self.n_states, shape=())
        return int(self._vec.choose_actions(s.reshape(1))[0])

    def update(self, s, a, r, s_next, terminated=False, a_next=None) -> float:
        """One Bellman update (Sutton & Barto eq. 6.8 for Q-learning); the TD error.

        ``terminated`` cuts the bootstrap; pass False on a time-limit truncation.
        SARSA needs ``a_next``, the action to be taken in ``s_next``.
        """
        s = _validate.index_array("s", s, self.n_states, shape=())
        a = _validate.index_array("a", a, self.n_actions, shape=())
        s_next = _validate.index_array("s_next", s_next, self.n_states, shape=())
        r = _validate.real("r", r, -np.inf, np.inf)
        terminated = _validate.flag("terminated", terminated)
        if a_next is not None:
            a_next = _validate.index_array("a_next", a_next, self.n_actions, shape=()).reshape(1)
        td = self._vec._update(np.zeros(1, np.int64), s.reshape(1), a.reshape(1), [r],
                               s_next.reshape(1), [terminated], a_next)
        return float(td[0])

    def update_batch(self, states, actions, rewards, next_states, terminated,
                     next_actions=None) -> np.ndarray:
        """Apply a batch of transitions to this table, in order; TD errors (n,).

        The same as calling ``update`` on each in turn (e.g. the transitions
        of several environment copies stepped on the same table).
        """
        n = np.size(states)
        return self._vec._update(np.zeros(n, np.int64), states, actions, rewards, next_states,
                                 terminated, next_actions)

    def fit(self, env, episodes: int, max_steps=None, step_cap=DEFAULT_STEP_CAP,
            progress=False) -> Run:
        """Train this table in place with the compiled engine; a Run of one agent.

        Continues from the current values and random stream; the Run's tables
        are this table's.
        """
        return self._vec.fit(env, episodes, max_steps=max_steps, step_cap=step_cap,
                             progress=progress)

    # ---------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write table(s), random stream and hyperparameters to an .npz file."""
        hyper = dict(alpha=schedules.to_spec(self.alpha), epsilon=schedules.to_spec(self.epsilon),
                     temperature=schedules.to_spec(self.temperature), gamma=self.gamma,
                     seed=self.seed, stream_id=self.stream_id, episode=self.episode,
                     algorithm=self.algorithm, exploration=self.exploration)
        np.savez(path, tables=self.tables, rng_state=self._vec.rng_state[0],
                 hyperparameters=json.dumps(hyper))

    @classmethod
    def load(cls, path) -> "QTable":
        """Read a table written by :meth:`save`, random stream included."""
        with np.load(path, allow_pickle=False) as f:
            tables, rng_state = f["tables"], f["rng_state"]
            hyper = json.loads(str(f["hyperparameters"]))
        table = cls(tables.shape[1], tables.shape[2],
                    alpha=schedules.from_spec(hyper["alpha"]), gamma=hyper["gamma"],
                    epsilon=schedules.from_spec(hyper["epsilon"]), seed=hyper["seed"],
                    algorithm=hyper["algorithm"], exploration=hyper["exploration"],
                    temperature=schedules.from_spec(hyper["temperature"]),
                    stream_id=hyper["stream_id"])
        table.tables[:] = tables
        table._vec.rng_state[0] = rng_state
        table.episode = hyper["episode"]
        return table

    def __repr__(self):
        return (f"QTable({self.n_states}, {self.n_actions}, alpha={self.alpha!r}, "
                f"gamma={self.gamma!r}, epsilon={self.epsilon!r}, seed={self.seed}, "
                f"algorithm={self.algorithm!r})")
