"""Environment ids: ``make(env_id, **kwargs)`` and the table behind ``fastq envs``."""
from __future__ import annotations

import inspect
from typing import Callable, NamedTuple

from .. import _validate
from .tabular import TabularEnv
from .toy_text import chain, cliff_walking, frozen_lake, taxi


class EnvEntry(NamedTuple):
    """One registered id: its builder, default kwargs and the Gymnasium id it reproduces."""

    id: str
    builder: Callable[..., TabularEnv]
    kwargs: dict
    description: str
    gymnasium_id: str | None


class EnvRow(NamedTuple):
    """One row of :func:`describe`."""

    id: str
    n_states: int
    n_actions: int
    stochastic: str  # "yes" if some (state, action) has several outcomes
    time_limit: int | None
    gymnasium_id: str | None


ENVS = {e.id: e for e in [
    EnvEntry("FrozenLake-v1", frozen_lake, {"map_name": "4x4", "max_steps": 100},
             "cross a slippery frozen lake to the goal without falling into a hole",
             "FrozenLake-v1"),
    EnvEntry("FrozenLake8x8-v1", frozen_lake, {"map_name": "8x8", "max_steps": 200},
             "FrozenLake on the 8x8 map", "FrozenLake8x8-v1"),
    EnvEntry("Taxi-v4", taxi, {"max_steps": 200},
             "pick up a passenger and drop them off at their destination", "Taxi-v4"),
    EnvEntry("Taxi-v3", taxi, {"max_steps": 200}, "alias of Taxi-v4 (same dynamics)", "Taxi-v4"),
    EnvEntry("CliffWalking-v1", cliff_walking, {"is_slippery": False, "max_steps": None},
             "walk along a cliff to the goal (Sutton & Barto, Example 6.6)", "CliffWalking-v1"),
    EnvEntry("CliffWalking-v0", cliff_walking, {"is_slippery": False, "max_steps": None},
             "alias of CliffWalking-v1 (same dynamics)", "CliffWalking-v1"),
    EnvEntry("CliffWalkingSlippery-v1", cliff_walking, {"is_slippery": True, "max_steps": None},
             "CliffWalking where each move may slip sideways", "CliffWalkingSlippery-v1"),
    EnvEntry("Chain-v0", chain, {"n_states": 10, "max_steps": 100},
             "walk forward along a line of states to the end", None),
]}


def make(env_id: str, **kwargs) -> TabularEnv:
    """A built-in environment by id, with its registered options and time limit.

    Parameters
    ----------
    env_id : str
        One of ``ENVS`` (``fastq envs`` lists them).
    **kwargs
        Options of the builder (e.g. ``is_slippery``, ``map_name``, ``is_rainy``,
        ``n_states``); ``max_steps`` overrides the time limit (None: no limit).

    Example
    -------
    >>> env = fastq.make("FrozenLake8x8-v1")
    >>> env.n_states, env.n_actions, env.max_steps
    (64, 4, 200)
    """
    entry = ENVS[_validate.known_name("environment", env_id, ENVS)]
    allowed = list(inspect.signature(entry.builder).parameters)
    _validate.keywords(f"make({env_id!r})", kwargs, allowed)
    env = entry.builder(**{**entry.kwargs, **kwargs})
    env.name = env_id
    return env


def describe() -> list[EnvRow]:
    """One row per id: (id, n_states, n_actions, stochastic, time limit, Gymnasium id)."""
    rows = []
    for entry in ENVS.values():
        env = make(entry.id)
        rows.append(EnvRow(entry.id, env.n_states, env.n_actions,
                           "yes" if env.n_outcomes > 1 else "no", env.max_steps,
                           entry.gymnasium_id))
    return rows
