"""Action selection on one agent's Q row (rows are addressed in a flat view of q)."""
import numpy as np

from ._jit import kernel
from .rng import MASK32, bounded, next_u64

LUT_ACTIONS = 8  # rows of up to 8 actions break ties through lookup tables


def _tie_tables(width):
    """POPCOUNT[mask] = number of set bits; KTH[mask, k] = index of the k-th set bit."""
    popcount = np.zeros(1 << width, np.uint64)
    kth = np.zeros((1 << width, width), np.uint64)
    for mask in range(1 << width):
        bits = [j for j in range(width) if mask >> j & 1]
        popcount[mask] = len(bits)
        kth[mask, :len(bits)] = bits
    return popcount, kth


POPCOUNT, KTH = _tie_tables(LUT_ACTIONS)


@kernel
def row_max(q_flat, row, n_actions):
    """max_a Q(row, a), where row = (agent * n_states + state) * n_actions."""
    best = q_flat[row]
    for a in range(1, n_actions):
        best = max(best, q_flat[row + np.uint64(a)])
    return best


@kernel
def greedy_action(q_flat, row, u32, n_actions):
    """The k-th maximal action of the row, k = bounded(u32, number of ties).

    Ties are broken uniformly at random (not np.argmax's first index, which
    biases every zero-initialised table).
    """
    best = row_max(q_flat, row, n_actions)
    if n_actions <= LUT_ACTIONS:
        mask = np.uint64(0)
        for a in range(n_actions):
            mask |= np.uint64(q_flat[row + np.uint64(a)] == best) << np.uint64(a)
        return np.int64(KTH[mask, bounded(u32, POPCOUNT[mask])])
    n_ties = 0
    for a in range(n_actions):
        n_ties += q_flat[row + np.uint64(a)] == best
    k = bounded(u32, n_ties)
    for a in range(n_actions):
        if q_flat[row + np.uint64(a)] == best:
            if k == 0:
                return np.int64(a)
            k -= 1
    return np.int64(n_actions - 1)  # unreachable


@kernel
def epsilon_greedy(q_flat, row, draw, epsilon_threshold, n_actions):
    """Epsilon-greedy from one 64-bit draw.

    Random draws: ``draw`` low 32 bits < epsilon_threshold (= epsilon * 2**32)
    explores; the high 32 bits then pick the random action, or else the tie.
    """
    u32 = draw >> np.uint64(32)
    if (draw & MASK32) < epsilon_threshold:
        return np.int64(bounded(u32, n_actions))
    return greedy_action(q_flat, row, u32, n_actions)


@kernel
def row_of(q, agent, state):
    """Flat index of Q(agent, state, 0) in ``q.reshape(-1)``."""
    return np.uint64((agent * q.shape[1] + state) * q.shape[2])


@kernel
def choose_actions(q, rng_state, states, epsilon_threshold, n_actions, actions):
    """actions[i] = epsilon-greedy action of agent i in states[i]; one draw per agent."""
    q_flat = q.reshape(q.size)
    for i in range(states.shape[0]):
        actions[i] = epsilon_greedy(q_flat, row_of(q, i, states[i]), next_u64(rng_state[i]),
                                    epsilon_threshold[i], n_actions)
