"""The one place kernel compilation flags live.

Every kernel is cached on disk (first-call compile time is paid once per
machine), releases the GIL (so executors can run chunks in threads), and uses
NumPy's error model (no division-by-zero checks in the hot loop). No fastmath:
Q values feed comparisons and tie tests, where one ulp changes a trajectory.
Bounds checking follows ``NUMBA_BOUNDSCHECK`` (the CI runs a pass with it on).
"""
import functools

import numba

kernel = functools.partial(numba.njit, cache=True, nogil=True, error_model="numpy")
