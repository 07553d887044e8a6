"""Twin of fastq/kernels/policy.py: the behaviour policies on a list of action values."""
import math

from .rng import MASK32, bounded


def greedy_action(values, u32):
    """A uniformly random one of the maximal actions (the k-th, k from u32)."""
    best = max(values)
    ties = [a for a, value in enumerate(values) if value == best]
    return ties[bounded(u32, len(ties))]


def epsilon_greedy(values, draw, epsilon_threshold):
    """Explore when the low 32 bits are below epsilon * 2**32; the high 32 bits pick."""
    u32 = draw >> 32
    if (draw & MASK32) < epsilon_threshold:
        return bounded(u32, len(values))
    return greedy_action(values, u32)


def softmax_action(values, draw, temperature):
    """Boltzmann: the first action whose cumulative weight exceeds u * total."""
    best = max(values)
    weights = [math.exp((v - best) / temperature) for v in values]
    total = 0.0
    for w in weights:
        total += w
    target = (draw >> 11) * (1.0 / 9007199254740992.0) * total
    cumulative = 0.0
    for a, w in enumerate(weights):
        cumulative += w
        if target < cumulative:
            return a
    return len(values) - 1


def select_action(values, draw, epsilon_threshold, temperature, exploration):
    if exploration == "softmax":
        return softmax_action(values, draw, temperature)
    return epsilon_greedy(values, draw, epsilon_threshold)


def expected_value(values, epsilon, temperature, exploration):
    """E[Q(s, A)] with A from the behaviour policy."""
    if exploration == "softmax":
        best = max(values)
        total = weighted = 0.0
        for v in values:
            total += math.exp((v - best) / temperature)
        for v in values:
            weighted += math.exp((v - best) / temperature) * v
        return weighted / total
    total = 0.0
    for v in values:
        total += v
    return epsilon * (total / len(values)) + (1.0 - epsilon) * max(values)
