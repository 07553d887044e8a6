"""Sampling the tabular environment's outcomes and initial states (KernelEnv arrays)."""
from typing import NamedTuple

import numpy as np

from ._jit import kernel
from .rng import MASK32, TWO_32, bounded, next_u64


class KernelEnv(NamedTuple):
    """The environment as the kernels read it (padded to K outcomes per pair).

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
def sample_outcome(env, pair, rng, n_outcomes):
    """Index of the outcome of (state, action) ``pair``.

    Random draws: one if the pair is stochastic (is_stochastic), else none.
    """
    if is_stochastic(env, pair, n_outcomes):
        return outcome_index(env, pair, next_u64(rng), n_outcomes)
    return 0


@kernel
def sample_initial_state(env, rng):
    """A start state. Random draws: one unless the initial support is one state."""
    if env.init_state.shape[0] == 1:
        return env.init_state[0]
    return initial_state(env, next_u64(rng))
