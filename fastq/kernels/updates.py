"""Bellman updates, one function per algorithm; each returns the TD error.

``row``/``next_row`` address Q(s, 0) and Q(s', 0) in the flat tables.
Termination cuts the bootstrap; truncation (the time limit) does not, so
callers pass ``terminated`` only for true terminal transitions.
"""
import numpy as np

from numba.extending import overload

from ._jit import kernel, specialise
from .policy import expected_value, greedy_action, row_max, select_action
from .rng import MASK32, xoshiro

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


# ---------------------------------------------------------------- one learning step per rule
# learn(...) -> (next action, w0, w1, w2, w3): the update of one step inside the episode
# loops, drawing from the agent's stream (words w0..w3) what its rule needs.

@kernel
def _learn_q(q_flat, row, action, reward, next_row, terminated, alpha, gamma, epsilon,
             threshold, temperature, second, w0, w1, w2, w3, n_actions, exploration, algorithm):
    q_learning_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma,
                      n_actions)
    return np.int64(0), w0, w1, w2, w3


@kernel
def _learn_double_q(q_flat, row, action, reward, next_row, terminated, alpha, gamma, epsilon,
                    threshold, temperature, second, w0, w1, w2, w3, n_actions, exploration,
                    algorithm):
    draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
    double_q_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma, second,
                    draw, n_actions)
    return np.int64(0), w0, w1, w2, w3


@kernel
def _learn_sarsa(q_flat, row, action, reward, next_row, terminated, alpha, gamma, epsilon,
                 threshold, temperature, second, w0, w1, w2, w3, n_actions, exploration,
                 algorithm):
    next_action = np.int64(0)
    if not terminated:
        draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
        next_action = select_action(q_flat, next_row, second, draw, threshold, temperature,
                                    n_actions, exploration)
    sarsa_update(q_flat, row, action, reward, next_row, next_action, terminated, alpha, gamma)
    return next_action, w0, w1, w2, w3


@kernel
def _learn_expected_sarsa(q_flat, row, action, reward, next_row, terminated, alpha, gamma,
                          epsilon, threshold, temperature, second, w0, w1, w2, w3, n_actions,
                          exploration, algorithm):
    expected_sarsa_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma,
                          epsilon, temperature, n_actions, exploration)
    return np.int64(0), w0, w1, w2, w3


_LEARNERS = {Q_LEARNING: _learn_q, DOUBLE_Q: _learn_double_q, SARSA: _learn_sarsa,
             EXPECTED_SARSA: _learn_expected_sarsa}


def learn(q_flat, row, action, reward, next_row, terminated, alpha, gamma, epsilon, threshold,
          temperature, second, w0, w1, w2, w3, n_actions, exploration, algorithm):
    """One step's update by ``algorithm`` (a literal: only that rule is compiled).

    Random draws: Double Q's coin (one); SARSA's next action (one, unless
    terminated); none for Q-learning and Expected SARSA.
    """
    return _LEARNERS[algorithm](q_flat, row, action, reward, next_row, terminated, alpha,
                                gamma, epsilon, threshold, temperature, second, w0, w1, w2, w3,
                                n_actions, exploration, algorithm)


@overload(learn, prefer_literal=True)
def _learn(q_flat, row, action, reward, next_row, terminated, alpha, gamma, epsilon, threshold,
           temperature, second, w0, w1, w2, w3, n_actions, exploration, algorithm):
    return specialise(algorithm, _LEARNERS, None)
