"""Action selection on one agent's Q row."""
import numpy as np

from ._jit import kernel
from .rng import MASK32, bounded, next_u64


@kernel
def greedy_action(q, agent, state, u32, n_actions):
    """The k-th maximal action of ``q[agent, state]``, k = bounded(u32, number of ties).

    Ties are broken uniformly at random (not np.argmax's first index, which
    biases every zero-initialised table).
    """
    best = q[agent, state, 0]
    for a in range(1, n_actions):
        best = max(best, q[agent, state, a])
    n_ties = 0
    for a in range(n_actions):
        n_ties += q[agent, state, a] == best
    k = bounded(u32, n_ties)
    for a in range(n_actions):
        if q[agent, state, a] == best:
            if k == 0:
                return a
            k -= 1
    return n_actions - 1  # unreachable


@kernel
def epsilon_greedy(q, agent, state, draw, epsilon_threshold, n_actions):
    """Epsilon-greedy from one 64-bit draw.

    Random draws: ``draw`` low 32 bits < epsilon_threshold (= epsilon * 2**32)
    explores; the high 32 bits then pick the random action, or else the tie.
    """
    u32 = draw >> np.uint64(32)
    if (draw & MASK32) < epsilon_threshold:
        return np.int64(bounded(u32, n_actions))
    return greedy_action(q, agent, state, u32, n_actions)


@kernel
def row_max(q, agent, state, n_actions):
    """max_a q[agent, state, a]."""
    best = q[agent, state, 0]
    for a in range(1, n_actions):
        best = max(best, q[agent, state, a])
    return best


@kernel
def choose_actions(q, rng_state, states, epsilon_threshold, n_actions, actions):
    """actions[i] = epsilon-greedy action of agent i in states[i]; one draw per agent."""
    for i in range(states.shape[0]):
        actions[i] = epsilon_greedy(q, i, states[i], next_u64(rng_state[i]),
                                    epsilon_threshold[i], n_actions)
