"""Twin of fastq/kernels/policy.py: epsilon-greedy with uniformly random ties."""
from .rng import MASK32, bounded


def greedy_action(q_row, u32):
    best = max(q_row)
    ties = [a for a, value in enumerate(q_row) if value == best]
    return ties[bounded(u32, len(ties))]


def epsilon_greedy(q_row, draw, epsilon_threshold):
    """Explore when the low 32 bits are below epsilon * 2**32; the high 32 bits pick."""
    u32 = draw >> 32
    if (draw & MASK32) < epsilon_threshold:
        return bounded(u32, len(q_row))
    return greedy_action(q_row, u32)
