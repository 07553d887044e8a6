"""Twin of fastq/kernels/updates.py: the Bellman updates of Sutton & Barto (chapter 6).

Tables are lists of rows (lists), mutated in place; each update returns the TD error.
"""
import numpy as np

from .policy import expected_value, greedy_action
from .rng import MASK32


class Float32Table(list):
    """A table (list of rows) whose entries are stored rounded to float32, as fastq
    stores float32 tables; the arithmetic stays float64."""


def _apply(q, s, a, target, alpha):
    td_error = target - q[s][a]
    value = q[s][a] + alpha * td_error
    q[s][a] = float(np.float32(value)) if isinstance(q, Float32Table) else value
    return td_error


def q_learning_update(q, s, a, r, s_next, terminated, alpha, gamma):
    discount = 0.0 if terminated else gamma
    return _apply(q, s, a, r + discount * max(q[s_next]), alpha)


def sarsa_update(q, s, a, r, s_next, a_next, terminated, alpha, gamma):
    discount = 0.0 if terminated else gamma
    return _apply(q, s, a, r + discount * q[s_next][a_next], alpha)


def expected_sarsa_update(q, s, a, r, s_next, terminated, alpha, gamma, epsilon, temperature,
                          exploration):
    discount = 0.0 if terminated else gamma
    expected = expected_value(q[s_next], epsilon, temperature, exploration)
    return _apply(q, s, a, r + discount * expected, alpha)


def double_q_update(q_a, q_b, s, a, r, s_next, terminated, alpha, gamma, draw):
    """A coin (low 32 bits of the draw) picks the learning table; the other evaluates
    the learner's argmax at s' (ties by the high 32 bits)."""
    learner, evaluator = (q_a, q_b) if (draw & MASK32) < (1 << 31) else (q_b, q_a)
    discount = 0.0 if terminated else gamma
    best = greedy_action(learner[s_next], draw >> 32)
    return _apply(learner, s, a, r + discount * evaluator[s_next][best], alpha)
