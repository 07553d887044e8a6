"""Bellman updates, one function per algorithm; each returns the TD error.

``row``/``next_row`` address Q(s, 0) and Q(s', 0) in the flat tables.
Termination cuts the bootstrap; truncation (the time limit) does not, so
callers pass ``terminated`` only for true terminal transitions.
"""
import numpy as np

from ._jit import kernel
from .policy import expected_value, greedy_action, row_max
from .rng import MASK32

Q_LEARNING = 0
DOUBLE_Q = 1
SARSA = 2
EXPECTED_SARSA = 3
HALF = np.uint64(1 << 31)


@kernel
def _apply(q_flat, i, target, alpha):
    td_error = target - q_flat[i]
    q_flat[i] = q_flat[i] + alpha * td_error
    return td_error


@kernel
def q_learning_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma,
                      n_actions):
    """Q(s,a) += alpha (r + gamma (1 - terminated) max_a' Q(s',a') - Q(s,a)).

    Sutton & Barto eq. 6.8. Mutates Q(s, a); no random draws.
    """
    discount = 0.0 if terminated else gamma
    target = reward + discount * row_max(q_flat, next_row, 0, n_actions)
    return _apply(q_flat, row + np.uint64(action), target, alpha)


@kernel
def sarsa_update(q_flat, row, action, reward, next_row, next_action, terminated, alpha,
                 gamma):
    """Q(s,a) += alpha (r + gamma (1 - terminated) Q(s',a') - Q(s,a)), a' the action the
    agent will take next (Sutton & Barto eq. 6.7). Mutates Q(s, a); no draws."""
    discount = 0.0 if terminated else gamma
    target = reward + discount * q_flat[next_row + np.uint64(next_action)]
    return _apply(q_flat, row + np.uint64(action), target, alpha)


@kernel
def expected_sarsa_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma,
                          epsilon, temperature, n_actions, exploration):
    """Q(s,a) += alpha (r + gamma (1 - terminated) E_pi[Q(s', A')] - Q(s,a)), the
    expectation under the agent's own behaviour policy (Sutton & Barto eq. 6.9).
    Mutates Q(s, a); no draws."""
    discount = 0.0 if terminated else gamma
    target = reward + discount * expected_value(q_flat, next_row, n_actions, epsilon,
                                                temperature, exploration)
    return _apply(q_flat, row + np.uint64(action), target, alpha)


@kernel
def double_q_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma, second,
                    draw, n_actions):
    """Double Q-learning (van Hasselt 2010; Sutton & Barto eq. 6.10).

    One draw: its low 32 bits flip the coin choosing the table that learns
    (the first when below 2**31); its high 32 bits break ties in that table's
    argmax at s'. The other table evaluates the argmax. Mutates one entry.
    """
    learner, evaluator = (np.uint64(0), second) if (draw & MASK32) < HALF else (second, np.uint64(0))
    discount = 0.0 if terminated else gamma
    best = greedy_action(q_flat, next_row + learner, 0, draw >> np.uint64(32), n_actions)
    target = reward + discount * q_flat[next_row + evaluator + np.uint64(best)]
    return _apply(q_flat, row + learner + np.uint64(action), target, alpha)
