"""Per-episode hyperparameter schedules, encoded as ``(kind, start, end, param)`` rows."""
import numpy as np

from ._jit import kernel

CONSTANT = 0
LINEAR = 1      # param: episodes over which start -> end
EXPONENTIAL = 2  # param: decay factor per episode


@kernel
def _power(base, n):
    """base ** n for an integer n >= 0 by squaring (the same bits in Python and Numba)."""
    result = 1.0
    while n > 0:
        if n & 1:
            result *= base
        base *= base
        n >>= 1
    return result


@kernel
def schedule_value(schedule, episode):
    """The value of one encoded schedule (float64 (4,)) at ``episode`` (from 0).

    constant: start; linear: start + (end - start) * min(1, episode / over);
    exponential: end + (start - end) * decay ** episode.
    """
    kind, start, end, param = schedule[0], schedule[1], schedule[2], schedule[3]
    if kind == LINEAR:
        return start + (end - start) * min(1.0, episode / param)
    if kind == EXPONENTIAL:
        return end + (start - end) * _power(param, np.int64(episode))
    return start


@kernel
def schedule_table(schedules, first_episode, out):
    """out[i, j] = value of schedule i at episode first_episode + j (float64 (n, m))."""
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = schedule_value(schedules[i], first_episode + j)
