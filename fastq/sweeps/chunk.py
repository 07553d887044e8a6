"""One chunk of a sweep: whole configs x seeds as one batched :func:`fastq.train` call.

This is the unit of work an executor receives (a picklable :class:`Task`
in, a dict of NumPy arrays out). Row ``(c, k)`` of the batch draws the
random stream of ``(seed, k)`` (``train(..., stream_ids=...)``), so it equals
agent ``k`` of ``fastq.train(env, agents=seeds, seed=seed, **config_c)`` bit
for bit, whatever else is in the chunk.
"""
from __future__ import annotations

import threading
import time
import warnings
from typing import NamedTuple

import numpy as np

from .. import schedules
from .space import PER_AGENT

FINAL_FRACTION = 0.1  # final_return: mean return over the last 10% of the episodes
INTERRUPTED = "interrupted"  # train()'s warning when Ctrl-C cut a run short


class Curve(NamedTuple):
    """How learning curves are stored: ``kind`` "episodes", "every", "running" or "none"."""

    kind: str
    k: int

    def points(self, n_episodes: int) -> np.ndarray:
        """int64 (n_points,): the number of episodes done at each stored point."""
        if self.kind == "episodes":
            return np.arange(1, n_episodes + 1)
        if self.kind == "every":
            return np.minimum(np.arange(self.k, n_episodes + self.k, self.k), n_episodes)
        if self.kind == "running":
            k = min(self.k, n_episodes)
            return (np.arange(1, k + 1) * n_episodes) // k
        return np.zeros(0, np.int64)

    def reduce(self, returns: np.ndarray) -> np.ndarray:
        """(n_agents, n_points) from the returns (n_agents, n_episodes) of one chunk."""
        n_agents, n_episodes = returns.shape
        if self.kind == "episodes":
            return returns.copy()
        if self.kind == "every":
            starts = np.arange(0, n_episodes, self.k)
            counts = np.diff(np.append(starts, n_episodes))
            return np.add.reduceat(returns, starts, axis=1) / counts
        if self.kind == "running":
            ends = self.points(n_episodes)
            return np.cumsum(returns, axis=1)[:, ends - 1] / ends
        return np.zeros((n_agents, 0))

    def __str__(self):
        return self.kind if self.kind in ("episodes", "none") else f"{self.kind}:{self.k}"


def parse_curve(curve, n_episodes: int) -> Curve:
    """``"episodes"``, ``"every:K"``, ``"running:K"``, ``"none"`` or ``"auto"`` (at most
    ~100 stride means: ``every:ceil(episodes / 100)``)."""
    if curve is None:
        curve = "none"
    if not isinstance(curve, str):
        raise TypeError(f"curve must be a string: 'episodes', 'every:K', 'running:K', 'none' "
                        f"or 'auto'; got {curve!r}")
    if curve == "auto":
        return Curve("every", -(-n_episodes // 100))
    if curve in ("episodes", "none"):
        return Curve(curve, 1)
    kind, _, k = curve.partition(":")
    if kind in ("every", "running") and k.strip().isdigit() and int(k) >= 1:
        return Curve(kind, int(k))
    raise ValueError(f"curve must be 'episodes', 'every:K' (means over strides of K "
                     f"episodes), 'running:K' (running mean at K points), 'none' or 'auto', "
                     f"K an integer >= 1; got {curve!r}")


class Task(NamedTuple):
    """Everything a worker needs to run one chunk (picklable)."""

    chunk: int
    config_ids: tuple
    configs: tuple            # train keywords of each config (all of one group)
    env: object
    episodes: int
    seeds: int
    seed: int
    eval_episodes: int
    eval_seed: int
    curve: Curve
    goal: bool                # record success_rate (see results.py)
    attempt: int = 0          # distinct per retry, so that executors never reuse a result


def batch_keywords(configs, seeds: int, env) -> dict:
    """train() keywords for configs x seeds agents, config-major (per-agent ones as
    per-agent arrays or lists of schedules, the others shared)."""
    shared = {k: v for k, v in configs[0].items() if k not in PER_AGENT}
    for name in PER_AGENT:
        values = [c[name] for c in configs if name in c]
        if not values:
            continue
        if len(values) != len(configs):
            raise ValueError(f"{name} is set in some configs of a batch and not others")
        if name == "q_init":
            shared[name] = _stack_q_init(values, seeds, (env.n_states, env.n_actions))
        elif any(isinstance(v, schedules.Schedule) for v in values):
            shared[name] = [v if isinstance(v, schedules.Schedule) else schedules.constant(v)
                            for v in values for _ in range(seeds)]
        else:
            shared[name] = np.repeat(np.asarray(values, dtype=np.float64), seeds)
    return shared


def _stack_q_init(values, seeds, shape):
    if all(np.ndim(v) == 0 for v in values) and len({float(v) for v in values}) == 1:
        return float(values[0])  # one number for the whole batch, as train() takes it
    tables = [np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v in values]
    return np.repeat(np.stack(tables), seeds, axis=0)


def run_chunk(task: Task) -> dict:
    """Train one chunk, evaluate it, reduce it to per-agent metrics and curves.

    Returns a dict of arrays: ``chunk``, ``config_ids`` (configs,), per agent
    (configs * seeds,) ``final_return``, ``auc``, ``eval_return``, ``steps``,
    ``success_rate`` (empty unless ``task.goal``), ``curves``
    (configs, seeds, n_points), ``seconds`` (the chunk's wall time) and
    ``interrupted`` (Ctrl-C arrived after the training finished: the chunk is
    complete, the caller stops after saving it).
    """
    from ..engine import train

    n_configs = len(task.configs)
    n_agents = n_configs * task.seeds
    keywords = batch_keywords(task.configs, task.seeds, task.env)
    stream_ids = np.tile(np.arange(task.seeds, dtype=np.int64), n_configs)
    start = time.perf_counter()
    main = threading.current_thread() is threading.main_thread()
    with warnings.catch_warnings(record=main) as caught:
        run = train(task.env, episodes=task.episodes, agents=n_agents, seed=task.seed,
                    stream_ids=stream_ids, progress=False,
                    **keywords)
    interrupted = False
    for w in caught or ():
        if str(w.message).startswith(INTERRUPTED):
            interrupted = True
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if run.returns.shape[1] < task.episodes:
        raise KeyboardInterrupt  # train() kept a partial run: this chunk is not finished
    if task.eval_episodes > 0:  # seed k of a config evaluates with stream k, as alone
        eval_return = run.evaluate(task.eval_episodes, task.eval_seed, stream_ids=stream_ids)
    else:
        eval_return = np.full(n_agents, np.nan)
    seconds = time.perf_counter() - start
    returns = run.returns
    return {
        "chunk": np.int64(task.chunk),
        "config_ids": np.asarray(task.config_ids, dtype=np.int64),
        "final_return": run.final_return(FINAL_FRACTION),
        "auc": returns.mean(axis=1),
        "eval_return": eval_return,
        "success_rate": (returns > 0).mean(axis=1) if task.goal else np.zeros(0),
        "steps": run.lengths.sum(axis=1),
        "curves": task.curve.reduce(returns).reshape(n_configs, task.seeds, -1),
        "seconds": np.float64(seconds),
        "interrupted": np.bool_(interrupted),
    }


def has_goal(env) -> bool:
    """True when rewards are >= 0 and positive only on terminating transitions (e.g.
    FrozenLake): then an episode reached the goal exactly when its return is > 0."""
    possible = env.probs > 0
    rewards = env.rewards[possible]
    positive = rewards > 0
    return bool(positive.any() and (rewards >= 0).all()
                and env.terminated[possible][positive].all())
