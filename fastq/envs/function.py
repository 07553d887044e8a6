"""FunctionEnv: an environment written as the user's own ``@numba.njit`` functions."""
from __future__ import annotations

import numpy as np
from numba.core.dispatcher import Dispatcher

from .. import _validate
from ..kernels.envs import KernelFunctionEnv


class FunctionEnv:
    """A custom environment: ``step`` and ``reset`` are ``@numba.njit`` functions.

    ``step(state, action, rng) -> (next_state, reward, terminated)`` and
    ``reset(rng) -> state``; ``rng`` is the agent's own generator state, to be
    used only through ``fastq.rng.uniform(rng)``, ``fastq.rng.normal(rng)`` and
    ``fastq.rng.integers(rng, n)``, so results stay determined by (seed, agent).
    The kernels are compiled for your functions (not cached on disk: each
    new process compiles them once). A state outside [0, n_states) or a
    non-finite reward ends that episode and training raises a ValueError.

    Example
    -------
    >>> @numba.njit
    ... def step(state, action, rng):
    ...     return min(state + 1, 4), fastq.rng.normal(rng), state + 1 >= 4
    >>> @numba.njit
    ... def reset(rng):
    ...     return 0
    >>> env = fastq.FunctionEnv(5, 2, step, reset, max_steps=50)
    """

    def __init__(self, n_states, n_actions, step, reset, max_steps=None, name=None):
        self.n_states = _validate.count("n_states", n_states)
        self.n_actions = _validate.count("n_actions", n_actions)
        self.max_steps = _validate.optional_count("max_steps", max_steps)
        for label, fn in (("step", step), ("reset", reset)):
            if not isinstance(fn, Dispatcher):
                raise TypeError(f"{label} must be a @numba.njit function; got {fn!r}")
        self.step, self.reset = step, reset
        self.name = name or f"FunctionEnv({step.__name__})"
        self.n_outcomes = 1  # not used: the user's step samples its own outcomes
        self._errors = np.zeros(3, np.int64)

    def kernel_arrays(self) -> KernelFunctionEnv:
        return KernelFunctionEnv(self.step, self.reset, self.n_states, self._errors)

    def raise_errors(self) -> None:
        """Raise the error a user function reported during the last kernel call."""
        kind, value, sign = (int(x) for x in self._errors)
        self._errors[:] = 0
        if kind == 1:
            raise ValueError(f"reset returned state {value}; states must be in "
                             f"[0, {self.n_states})")
        if kind == 2:
            raise ValueError(f"step returned next_state {value}; states must be in "
                             f"[0, {self.n_states})")
        if kind == 3:
            what = "nan" if sign == 0 else ("inf" if sign > 0 else "-inf")
            raise ValueError(f"step returned reward {what} (into state {value}); rewards "
                             "must be finite")

    def __repr__(self):
        limit = "no time limit" if self.max_steps is None else f"max_steps={self.max_steps}"
        return f"<{self.name}: {self.n_states} states, {self.n_actions} actions, {limit}>"
