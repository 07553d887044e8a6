"""The honest baselines fastq is measured against: the textbook Q-learning loop.

What a user writes before fastq, on one table, one step at a time in Python:
epsilon-greedy with ``np.random``, the greedy action drawn among the maximal
entries (``np.random.choice(np.flatnonzero(q == q.max()))``), then the
Q-learning update ``Q[s, a] += alpha * (target - Q[s, a])``. Two versions:

- :func:`textbook_loop`: the environment is a Python ``step()`` over a table
  of Python lists built once from a fastq :class:`~fastq.TabularEnv` (the same
  dynamics fastq's kernels sample);
- :func:`gymnasium_loop`: the same loop on a real Gymnasium ``env.step()``
  (needs gymnasium).

Both follow the semantics of the engine (truncation by the time limit
bootstraps, termination does not; ties broken uniformly at random), so their
speed is the speed of the same algorithm. They live in the package, not in
``bench/``, because ``fastq bench`` measures them in the same run as fastq.
"""
from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from . import _validate


class BaselineRun(NamedTuple):
    """What a baseline loop did: its final table and how much work it did.

    q : float64 (S, A); steps, episodes : int; seconds : float (wall time of
    the loop, table building excluded).
    """

    q: np.ndarray
    steps: int
    episodes: int
    seconds: float

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else float("nan")


def textbook_tables(env):
    """``(P, initial_states, initial_cum)`` of ``env`` as Python lists.

    ``P[s][a] = (cum, outcomes)``: cumulative probabilities and
    ``(next_state, reward, terminated)`` tuples of the pair's outcomes, in
    fastq's (= Gymnasium's) order. ``initial_cum`` is None when the initial
    states are equally likely (then ``reset`` draws an index uniformly).
    """
    S, A = env.n_states, env.n_actions
    P = []
    for s in range(S):
        row = []
        for a in range(A):
            lo, hi = int(env.offsets[s * A + a]), int(env.offsets[s * A + a + 1])
            cum = [float(c) for c in np.cumsum(env.probs[lo:hi])]
            cum[-1] = 1.0
            outcomes = [(int(env.next_states[k]), float(env.rewards[k]),
                         bool(env.terminated[k])) for k in range(lo, hi)]
            row.append((cum, outcomes))
        P.append(row)
    support = np.flatnonzero(env.initial > 0)
    probs = env.initial[support]
    initial_cum = None
    if not np.all(probs == probs[0]):
        initial_cum = [float(c) for c in np.cumsum(probs)]
        initial_cum[-1] = 1.0
    return P, [int(s) for s in support], initial_cum


def _budget(seconds, steps, episodes):
    if seconds is None and steps is None and episodes is None:
        raise ValueError("give a budget: seconds, steps or episodes")
    seconds = None if seconds is None else _validate.real("seconds", seconds, 0.0, np.inf)
    steps = _validate.optional_count("steps", steps)
    episodes = _validate.optional_count("episodes", episodes)
    return (np.inf if seconds is None else seconds, steps or np.inf, episodes or np.inf)


def _table(q, n_states, n_actions):
    if q is None:
        return np.zeros((n_states, n_actions))
    q = np.asarray(q)
    if q.shape != (n_states, n_actions) or q.dtype != np.float64:
        raise ValueError(f"q must be float64 of shape ({n_states}, {n_actions}); "
                         f"got {q.dtype} {q.shape}")
    return q


def textbook_loop(env, *, seconds=None, steps=None, episodes=None, alpha=0.1, gamma=0.99,
                  epsilon=0.1, seed=0, q=None, max_steps=None) -> BaselineRun:
    """Textbook tabular Q-learning in Python + NumPy on a Python ``step()``.

    Runs whole episodes until the first budget is spent (checked at the end
    of each episode): ``seconds`` of wall time, ``steps`` environment steps or
    ``episodes`` episodes.

    Parameters
    ----------
    env : TabularEnv
    seconds : float, optional
    steps, episodes : int, optional
    alpha, gamma, epsilon : float
    seed : int
        Seeds the loop's own ``np.random.RandomState`` (the legacy generator
        behind the ``np.random.*`` functions the textbook calls).
    q : float64 (S, A), optional
        Trained in place (default: a new table of zeros).
    max_steps : int, optional
        Time limit (default the environment's; truncation bootstraps).

    Returns
    -------
    BaselineRun

    Example
    -------
    >>> run = textbook_loop(fastq.make("Chain-v0"), episodes=200, alpha=0.5, gamma=0.9)
    >>> run.q.argmax(axis=1)[:-1]
    array([0, 0, 0, 0, 0, 0, 0, 0, 0])
    """
    P, initial_states, initial_cum = textbook_tables(env)
    n_actions = env.n_actions
    limit = max_steps or env.max_steps or 1_000_000
    Q = _table(q, env.n_states, n_actions)
    max_seconds, max_steps_total, max_episodes = _budget(seconds, steps, episodes)
    random = np.random.RandomState(seed)
    n_initial = len(initial_states)

    def reset():
        if n_initial == 1:
            return initial_states[0]
        if initial_cum is None:
            return initial_states[random.randint(n_initial)]
        u = random.random_sample()
        for k, c in enumerate(initial_cum):
            if u < c:
                return initial_states[k]
        return initial_states[-1]

    def step(s, a):
        cum, outcomes = P[s][a]
        if len(outcomes) == 1:
            return outcomes[0]
        u = random.random_sample()
        for k, c in enumerate(cum):
            if u < c:
                return outcomes[k]
        return outcomes[-1]

    def choose_action(s):
        if random.random_sample() < epsilon:
            return random.randint(n_actions)
        row = Q[s]
        return random.choice(np.flatnonzero(row == row.max()))

    total = n_episodes = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < max_seconds and total < max_steps_total and n_episodes < max_episodes:
        s = reset()
        for _ in range(limit):
            a = choose_action(s)
            s_next, r, terminated = step(s, a)
            target = r + (0.0 if terminated else gamma * np.max(Q[s_next]))
            Q[s, a] += alpha * (target - Q[s, a])
            total += 1
            s = s_next
            if terminated:
                break
        n_episodes += 1
        elapsed = time.perf_counter() - start
    return BaselineRun(Q, total, n_episodes, elapsed)


def make_gymnasium(env_id: str, **kwargs):
    """``gymnasium.make(env_id, **kwargs)`` with gymnasium's deprecation warnings muted."""
    import warnings

    import gymnasium

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gymnasium.make(env_id, **kwargs)


def gymnasium_loop(gym_env, *, seconds=None, steps=None, episodes=None, alpha=0.1,
                   gamma=0.99, epsilon=0.1, seed=0, q=None) -> BaselineRun:
    """The textbook loop of :func:`textbook_loop` on a real Gymnasium ``env.step()``.

    ``gym_env`` is a ``gymnasium.make(...)`` environment with discrete
    observation and action spaces (its wrappers, TimeLimit included, are part
    of what is timed). The first reset is seeded with ``seed``.

    Returns
    -------
    BaselineRun
    """
    n_states, n_actions = int(gym_env.observation_space.n), int(gym_env.action_space.n)
    Q = _table(q, n_states, n_actions)
    max_seconds, max_steps_total, max_episodes = _budget(seconds, steps, episodes)
    random = np.random.RandomState(seed)

    def choose_action(s):
        if random.random_sample() < epsilon:
            return random.randint(n_actions)
        row = Q[s]
        return random.choice(np.flatnonzero(row == row.max()))

    total = n_episodes = 0
    reset_seed = seed
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < max_seconds and total < max_steps_total and n_episodes < max_episodes:
        s, _ = gym_env.reset(seed=reset_seed)
        reset_seed = None
        while True:
            a = choose_action(s)
            s_next, r, terminated, truncated, _ = gym_env.step(a)
            target = r + (0.0 if terminated else gamma * np.max(Q[s_next]))
            Q[s, a] += alpha * (target - Q[s, a])
            total += 1
            s = s_next
            if terminated or truncated:
                break
        n_episodes += 1
        elapsed = time.perf_counter() - start
    return BaselineRun(Q, total, n_episodes, elapsed)
