"""Environment transitions inside the kernels, for tabular and user-function envs.

``env_reset`` and ``env_step`` take the agent's stream as four uint64 words
and return the advanced words, so the episode loops keep streams in
registers; they are specialised on the environment's type:

- ``KernelEnv`` (a TabularEnv's arrays): outcomes sampled from 32-bit thresholds;
- ``KernelFunctionEnv`` (a FunctionEnv): the user's ``@njit`` step and reset,
  given the stream as a uint64 (4,) array for ``fastq.rng`` to draw from.
"""
from typing import NamedTuple

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import kernel
from ._stack import stack_empty
from .rng import MASK32, TWO_32, bounded, xoshiro


class KernelEnv(NamedTuple):
    """A TabularEnv as the kernels read it (padded to K outcomes per pair).

    thresholds : uint64 (S*A, max(K-1, 1)); the outcome index is the number of
        thresholds <= a 32-bit uniform; 2**32 marks slots that cannot be
        reached, so a pair whose first threshold is 2**32 takes no draw.
    next_state : int64 (S*A, K); reward : float64 (S*A, K); terminated : bool (S*A, K).
    init_state, init_alias : int64 (M,); init_threshold : uint64 (M,): alias
        table over the initial distribution's support (M = 1: no draw).
    """

    thresholds: np.ndarray
    next_state: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    init_state: np.ndarray
    init_alias: np.ndarray
    init_threshold: np.ndarray


class KernelFunctionEnv(NamedTuple):
    """A FunctionEnv as the kernels call it: the user's jitted step and reset."""

    step: object
    reset: object
    n_states: int
    errors: np.ndarray  # int64 (3,): [kind, value, reward]; kind 1 bad start, 2 bad next state, 3 bad reward


@kernel
def is_stochastic(env, pair, n_outcomes):
    """Whether the pair can have more than one outcome (and so takes a draw)."""
    return n_outcomes > 1 and env.thresholds[pair, 0] != TWO_32


@kernel
def outcome_index(env, pair, draw, n_outcomes):
    """The outcome whose threshold interval holds the draw's low 32 bits."""
    u = draw & MASK32
    index = 0
    for j in range(n_outcomes - 1):
        index += u >= env.thresholds[pair, j]
    return index


@kernel
def initial_state(env, draw):
    """Alias sampling: low 32 bits pick the column, high 32 bits the coin."""
    i = bounded(draw & MASK32, env.init_state.shape[0])
    if (draw >> np.uint64(32)) < env.init_threshold[i]:
        return env.init_state[i]
    return env.init_alias[i]


@kernel
def tabular_reset(env, w0, w1, w2, w3):
    """A start state from the alias table; one draw unless there is one start state."""
    if env.init_state.shape[0] == 1:
        return np.uint64(env.init_state[0]), w0, w1, w2, w3
    draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
    return np.uint64(initial_state(env, draw)), w0, w1, w2, w3


@kernel
def tabular_step(env, state, action, w0, w1, w2, w3, n_actions, n_outcomes):
    """Sample the pair's outcome; one draw if the pair is stochastic, else none."""
    pair = state * np.uint64(n_actions) + np.uint64(action)
    o = 0
    if is_stochastic(env, pair, n_outcomes):
        draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
        o = outcome_index(env, pair, draw, n_outcomes)
    return (np.uint64(env.next_state[pair, o]), env.reward[pair, o], env.terminated[pair, o],
            w0, w1, w2, w3)


@kernel
def _report(env, kind, state, reward):
    """Record the user function's error for the engine to raise (the kernels never
    raise); any of several simultaneous reports may win."""
    env.errors[0], env.errors[1] = kind, state
    env.errors[2] = np.int64(0) if np.isnan(reward) else np.int64(np.sign(reward))


@kernel
def function_reset(env, w0, w1, w2, w3):
    """The user's reset(rng), on the agent's stream (an invalid state is reported
    and replaced by 0, so nothing is indexed out of bounds)."""
    words = stack_empty(4, np.uint64)
    words[0], words[1], words[2], words[3] = w0, w1, w2, w3
    state = np.int64(env.reset(words))
    if not 0 <= state < env.n_states:
        _report(env, 1, state, 0.0)
        state = 0
    return np.uint64(state), words[0], words[1], words[2], words[3]


@kernel
def function_step(env, state, action, w0, w1, w2, w3, n_actions, n_outcomes):
    """The user's step(state, action, rng), on the agent's stream (an invalid next
    state or reward is reported and the episode ends at state 0)."""
    words = stack_empty(4, np.uint64)
    words[0], words[1], words[2], words[3] = w0, w1, w2, w3
    next_state, reward, terminated = env.step(np.int64(state), np.int64(action), words)
    next_state, reward, terminated = np.int64(next_state), np.float64(reward), bool(terminated)
    if not 0 <= next_state < env.n_states:
        _report(env, 2, next_state, reward)
        next_state, reward, terminated = 0, 0.0, True
    elif not np.isfinite(reward):
        _report(env, 3, next_state, reward)
        reward, terminated = 0.0, True
    return (np.uint64(next_state), reward, terminated, words[0], words[1], words[2],
            words[3])


def env_reset(env, w0, w1, w2, w3):
    """(start state, w0, w1, w2, w3), specialised on the environment's type."""
    reset = tabular_reset if isinstance(env, KernelEnv) else function_reset
    return reset(env, w0, w1, w2, w3)


def env_step(env, state, action, w0, w1, w2, w3, n_actions, n_outcomes):
    """(next state, reward, terminated, w0, w1, w2, w3), specialised on the env's type."""
    step = tabular_step if isinstance(env, KernelEnv) else function_step
    return step(env, state, action, w0, w1, w2, w3, n_actions, n_outcomes)


def _is_tabular(env):
    return isinstance(env, types.BaseNamedTuple) and env.instance_class is KernelEnv


@overload(env_reset, prefer_literal=True)
def _env_reset(env, w0, w1, w2, w3):
    return (tabular_reset if _is_tabular(env) else function_reset).py_func


@overload(env_step, prefer_literal=True)
def _env_step(env, state, action, w0, w1, w2, w3, n_actions, n_outcomes):
    return (tabular_step if _is_tabular(env) else function_step).py_func
