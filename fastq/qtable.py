"""QTable: the textbook one-table API on top of the compiled kernels."""
from __future__ import annotations

import json

import numpy as np

from . import _validate, schedules
from .engine import ALGORITHMS, DEFAULT_STEP_CAP, Run, agent_streams, run_chunks, \
    resolve_max_steps, _check_env
from .kernels import episodes as _episodes
from .kernels.policy import choose_actions
from .kernels.updates import update_agents


class QTable:
    """One tabular learner: ``choose_action``, ``update``, ``fit``.

    Parameters
    ----------
    n_states, n_actions : int
    alpha : float in (0, 1] or a schedule
        Step size.
    gamma : float in [0, 1]
        Discount.
    epsilon : float in [0, 1] or a schedule
        Exploration rate of ``choose_action`` (ties broken uniformly at random).
    seed : int
        Seeds the table's own random stream (the same stream as agent 0 of
        ``fastq.train(..., seed=seed)``).
    algorithm : str
        ``"q_learning"``.

    Schedules are read at ``self.episode`` by ``choose_action``/``update``
    (advance it yourself in a hand-written loop); ``fit`` runs them from 0.

    Example
    -------
    >>> env = fastq.make("Chain-v0")
    >>> q = fastq.QTable(env.n_states, env.n_actions, alpha=0.5, gamma=0.9, epsilon=0.1)
    >>> a = q.choose_action(0)
    >>> td = q.update(0, a, reward=1.0, s_next=1)
    """

    def __init__(self, n_states, n_actions, alpha=0.1, gamma=0.99, epsilon=0.1, seed=0,
                 algorithm="q_learning"):
        self.n_states = _validate.count("n_states", n_states)
        self.n_actions = _validate.count("n_actions", n_actions)
        self.algorithm = _validate.choice("algorithm", algorithm, ALGORITHMS)
        schedules.encode("alpha", alpha, 1, 1, 0.0, 1.0, low_open=True)
        schedules.encode("epsilon", epsilon, 1, 1, 0.0, 1.0)
        self.alpha, self.epsilon = alpha, epsilon
        self.gamma = _validate.real("gamma", gamma, 0.0, 1.0)
        self.seed = _validate.seed(seed)
        self.episode = 0
        self._q = np.zeros((1, self.n_states, self.n_actions))
        self._rng = agent_streams(self.seed, 1)

    @property
    def values(self) -> np.ndarray:
        """The live Q table, float64 (S, A); writes go straight to the table."""
        return self._q[0]

    def policy(self) -> np.ndarray:
        """Greedy action per state, int64 (S,) (ties: the first maximum)."""
        return self.values.argmax(axis=1)

    def choose_action(self, s) -> int:
        """Epsilon-greedy action in state ``s``, ties broken uniformly at random."""
        s = _validate.index_array("s", s, self.n_states, shape=())
        eps = self._current(self.epsilon)
        out = np.empty(1, np.int64)
        choose_actions(self._q, self._rng, s.reshape(1),
                       np.array([np.uint64(eps * 4294967296.0)]), self.n_actions, out)
        return int(out[0])

    def update(self, s, a, r, s_next, terminated=False) -> float:
        """One Bellman update (Sutton & Barto eq. 6.8); returns the TD error before it.

        ``terminated`` cuts the bootstrap; pass False on a time-limit truncation.
        """
        s = _validate.index_array("s", s, self.n_states, shape=()).reshape(1)
        a = _validate.index_array("a", a, self.n_actions, shape=()).reshape(1)
        s_next = _validate.index_array("s_next", s_next, self.n_states, shape=()).reshape(1)
        r = np.array([_validate.real("r", r, -np.inf, np.inf)])
        done = np.array([_validate.flag("terminated", terminated)])
        alpha = self._current(self.alpha)
        td = np.empty(1)
        update_agents(self._q, s, a, r, s_next, done, np.array([alpha]), np.array([self.gamma]),
                      self.n_actions, td)
        return float(td[0])

    def fit(self, env, episodes: int, max_steps=None, step_cap=DEFAULT_STEP_CAP,
            progress=False) -> Run:
        """Train this table in place with the compiled engine; a Run of one agent.

        Continues from the current values and random stream; the Run's ``q``
        is this table.
        """
        env = _check_env(env)
        if (env.n_states, env.n_actions) != (self.n_states, self.n_actions):
            raise ValueError(f"env has {env.n_states} states and {env.n_actions} actions; "
                             f"this table has {self.n_states} and {self.n_actions}")
        episodes = _validate.count("episodes", episodes)
        hyper = _episodes.Hyperparameters(
            alpha=schedules.encode("alpha", self.alpha, 1, episodes, 0.0, 1.0, low_open=True),
            epsilon=schedules.encode("epsilon", self.epsilon, 1, episodes, 0.0, 1.0),
            gamma=np.array([self.gamma]))
        run = Run(env, self._q, np.zeros((1, episodes)), np.zeros((1, episodes), np.int64),
                  self._rng, self.seed,
                  dict(algorithm=self.algorithm, alpha=self.alpha, gamma=self.gamma,
                       epsilon=self.epsilon),
                  resolve_max_steps(env, max_steps, step_cap), 0.0)
        run_chunks(run, hyper, 0, episodes, None, progress)
        return run

    # ---------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write values, random stream and hyperparameters to an .npz file."""
        hyper = dict(alpha=schedules.to_spec(self.alpha), epsilon=schedules.to_spec(self.epsilon),
                     gamma=self.gamma, seed=self.seed, episode=self.episode,
                     algorithm=self.algorithm)
        np.savez(path, values=self.values, rng_state=self._rng[0],
                 hyperparameters=json.dumps(hyper))

    @classmethod
    def load(cls, path) -> "QTable":
        """Read a table written by :meth:`save`, random stream included."""
        with np.load(path, allow_pickle=False) as f:
            values, rng_state = f["values"], f["rng_state"]
            hyper = json.loads(str(f["hyperparameters"]))
        table = cls(values.shape[0], values.shape[1],
                    alpha=schedules.from_spec(hyper["alpha"]), gamma=hyper["gamma"],
                    epsilon=schedules.from_spec(hyper["epsilon"]), seed=hyper["seed"],
                    algorithm=hyper["algorithm"])
        table.values[:] = values
        table._rng[0] = rng_state
        table.episode = hyper["episode"]
        return table

    def _current(self, value) -> float:
        if isinstance(value, schedules.Schedule):
            return float(value.value(self.episode))
        return float(value)

    def __repr__(self):
        return (f"QTable({self.n_states}, {self.n_actions}, alpha={self.alpha!r}, "
                f"gamma={self.gamma!r}, epsilon={self.epsilon!r}, seed={self.seed})")
