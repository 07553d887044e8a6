"""Adapter: the tabular model of a Gymnasium env (``env.unwrapped.P``) as TabularEnv arguments.

Gymnasium is imported lazily, only to recognise its ``TimeLimit`` wrapper.
"""
from __future__ import annotations

import numbers
import warnings

from .. import _validate


def transitions_of(env, max_steps="auto") -> dict:
    """Keyword arguments for :meth:`TabularEnv.from_transitions` from a Gymnasium env.

    Parameters
    ----------
    env : gymnasium.Env
        Any env, wrapped or not, whose ``unwrapped`` has ``P`` (Gymnasium's
        ``P[s][a] = [(prob, next_state, reward, terminated), ...]``) and
        Discrete observation and action spaces, e.g. the toy_text envs.
    max_steps : "auto", int or None
        "auto": the env's ``TimeLimit`` wrapper, else ``env.spec.max_episode_steps``
        (None when neither: no time limit). An int or None overrides it.

    Returns
    -------
    dict with P, n_states, n_actions, initial, max_steps, name.

    Notes
    -----
    The initial-state distribution is ``unwrapped.initial_state_distrib``
    (the toy_text convention); an env without one is assumed to start in
    state 0, with a warning, since ``reset`` cannot be read as a model.
    """
    base = getattr(env, "unwrapped", env)
    P = getattr(base, "P", None)
    n_states = _discrete_size(base, "observation_space")
    n_actions = _discrete_size(base, "action_space")
    if P is None or not hasattr(P, "__getitem__") or n_states is None or n_actions is None:
        raise TypeError(f"env must have a tabular model: Discrete observation and action spaces "
                        f"and a transition table env.unwrapped.P (as Gymnasium's toy_text envs "
                        f"FrozenLake, Taxi, CliffWalking); got {type(base).__name__}")
    initial = getattr(base, "initial_state_distrib", None)
    if initial is None:
        warnings.warn(f"{type(base).__name__} has no initial_state_distrib; assuming every "
                      f"episode starts in state 0", UserWarning, stacklevel=3)
        initial = 0
    if isinstance(max_steps, str):
        _validate.choice("max_steps", max_steps, {"auto"})
        max_steps = _time_limit(env)
    spec = getattr(base, "spec", None) or getattr(env, "spec", None)
    return {"P": P, "n_states": n_states, "n_actions": n_actions, "initial": initial,
            "max_steps": max_steps,
            "name": spec.id if spec is not None else type(base).__name__}


def _discrete_size(env, attr: str) -> int | None:
    """``space.n`` of a Discrete space starting at 0, else None."""
    space = getattr(env, attr, None)
    n = getattr(space, "n", None)
    if isinstance(n, numbers.Integral) and int(getattr(space, "start", 0)) == 0:
        return int(n)
    return None


def _time_limit(env) -> int | None:
    """The step limit of the outermost TimeLimit wrapper, else the spec's, else None."""
    try:
        from gymnasium.wrappers import TimeLimit
    except ImportError:  # not a Gymnasium env after all: no wrappers to read
        TimeLimit = ()
    layer = env
    while layer is not None:
        if isinstance(layer, TimeLimit):
            return int(layer._max_episode_steps)
        if layer is getattr(layer, "unwrapped", layer):
            break
        layer = getattr(layer, "env", None)
    spec = getattr(env, "spec", None)
    return getattr(spec, "max_episode_steps", None)
