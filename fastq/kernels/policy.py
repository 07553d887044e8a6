"""Action selection on one agent's Q row.

Rows are addressed in a flat view of the tables: ``row`` is the index of
Q(s, 0), and ``second`` the distance to the same entry of the second table
(Double Q-learning acts on the sum of both; 0 means one table).
"""
import numpy as np

from numba.extending import overload

from ._jit import kernel, specialise
from .rng import MASK32, bounded

EPSILON_GREEDY = 0
SOFTMAX = 1
LUT_ACTIONS = 8  # rows of up to 8 actions break ties through lookup tables
INV_2_53 = 1.0 / 9007199254740992.0


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
def action_value(q_flat, row, second, a):
    """Q(s, a), or Q_A(s, a) + Q_B(s, a) when ``second`` != 0, as float64 (float32
    tables only store in float32: all arithmetic is float64)."""
    i = row + np.uint64(a)
    if second == 0:
        return np.float64(q_flat[i])
    return np.float64(q_flat[i]) + np.float64(q_flat[i + second])


@kernel
def row_max(q_flat, row, second, n_actions):
    """max_a of action_value."""
    best = action_value(q_flat, row, second, 0)
    for a in range(1, n_actions):
        best = max(best, action_value(q_flat, row, second, a))
    return best


@kernel
def greedy_action(q_flat, row, second, u32, n_actions):
    """The k-th maximal action of the row, k = bounded(u32, number of ties).

    Ties are broken uniformly at random (not np.argmax's first index, which
    biases every zero-initialised table).
    """
    best = row_max(q_flat, row, second, n_actions)
    if n_actions <= LUT_ACTIONS:
        mask = np.uint64(0)
        for a in range(n_actions):
            mask |= np.uint64(action_value(q_flat, row, second, a) == best) << np.uint64(a)
        return np.int64(KTH[mask, bounded(u32, POPCOUNT[mask])])
    k = bounded(u32, count_ties(q_flat, row, second, best, n_actions))
    for a in range(n_actions):
        if action_value(q_flat, row, second, a) == best:
            if k == 0:
                return np.int64(a)
            k -= 1
    return np.int64(n_actions - 1)  # unreachable


@kernel
def count_ties(q_flat, row, second, best, n_actions):
    n_ties = 0
    for a in range(n_actions):
        n_ties += action_value(q_flat, row, second, a) == best
    return n_ties


@kernel
def softmax_weights_sum(q_flat, row, second, temperature, n_actions):
    """(max, sum of exp((Q(s,a) - max) / temperature)) over the row."""
    best = row_max(q_flat, row, second, n_actions)
    total = 0.0
    for a in range(n_actions):
        total += np.exp((action_value(q_flat, row, second, a) - best) / temperature)
    return best, total


@kernel
def softmax_action(q_flat, row, second, draw, temperature, n_actions):
    """Boltzmann exploration: P(a) proportional to exp(Q(s,a) / temperature).

    One draw: its top 53 bits make a uniform u; the action is the first whose
    cumulative weight exceeds u times the total.
    """
    best, total = softmax_weights_sum(q_flat, row, second, temperature, n_actions)
    target = np.float64(draw >> np.uint64(11)) * INV_2_53 * total
    cumulative = 0.0
    for a in range(n_actions):
        cumulative += np.exp((action_value(q_flat, row, second, a) - best) / temperature)
        if target < cumulative:
            return np.int64(a)
    return np.int64(n_actions - 1)


@kernel
def epsilon_greedy(q_flat, row, second, draw, epsilon_threshold, n_actions):
    """Epsilon-greedy from one 64-bit draw.

    The low 32 bits < epsilon_threshold (= epsilon * 2**32) explore; the high
    32 bits then pick the random action, or else the tie.
    """
    u32 = draw >> np.uint64(32)
    if (draw & MASK32) < epsilon_threshold:
        return np.int64(bounded(u32, n_actions))
    return greedy_action(q_flat, row, second, u32, n_actions)


@kernel
def _epsilon_greedy_rule(q_flat, row, second, draw, epsilon_threshold, temperature, n_actions,
                         exploration):
    return epsilon_greedy(q_flat, row, second, draw, epsilon_threshold, n_actions)


@kernel
def _softmax_rule(q_flat, row, second, draw, epsilon_threshold, temperature, n_actions,
                  exploration):
    return softmax_action(q_flat, row, second, draw, temperature, n_actions)


@kernel
def _any_rule(q_flat, row, second, draw, epsilon_threshold, temperature, n_actions,
              exploration):
    if exploration == SOFTMAX:
        return softmax_action(q_flat, row, second, draw, temperature, n_actions)
    return epsilon_greedy(q_flat, row, second, draw, epsilon_threshold, n_actions)


_RULES = {EPSILON_GREEDY: _epsilon_greedy_rule, SOFTMAX: _softmax_rule}


def select_action(q_flat, row, second, draw, epsilon_threshold, temperature, n_actions,
                  exploration):
    """The behaviour policy's action from one draw (epsilon-greedy or softmax).

    Specialised on a literal ``exploration``: only that rule is compiled.
    """
    return _any_rule(q_flat, row, second, draw, epsilon_threshold, temperature, n_actions,
                     exploration)


@overload(select_action, prefer_literal=True)
def _select_action(q_flat, row, second, draw, epsilon_threshold, temperature, n_actions,
                   exploration):
    return specialise(exploration, _RULES, _any_rule)


@kernel
def expected_value(q_flat, row, n_actions, epsilon, temperature, exploration):
    """E_pi[Q(s, A)] under the agent's own behaviour policy (one table).

    Epsilon-greedy: epsilon * mean_a Q(s, a) + (1 - epsilon) * max_a Q(s, a)
    (the tied maxima share the greedy mass and all equal the max).
    Softmax: sum_a exp((Q(s,a) - max) / T) Q(s, a) / sum_a exp((Q(s,a) - max) / T).
    """
    if exploration == SOFTMAX:
        best, total = softmax_weights_sum(q_flat, row, 0, temperature, n_actions)
        weighted = 0.0
        for a in range(n_actions):
            value = q_flat[row + np.uint64(a)]
            weighted += np.exp((value - best) / temperature) * value
        return weighted / total
    total = 0.0
    for a in range(n_actions):
        total += q_flat[row + np.uint64(a)]
    return epsilon * (total / n_actions) + (1.0 - epsilon) * row_max(q_flat, row, 0, n_actions)
