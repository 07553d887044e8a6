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


def specialise(code, implementations, generic):
    """Pick an implementation at compile time from a literal integer ``code``.

    For ``@overload`` functions whose last argument is a rule code (algorithm,
    exploration): with a literal code only the chosen implementation is
    typed and compiled (dead rules cost no compile time); with a run-time
    code, ``generic`` branches at run time.
    """
    from numba import types

    chosen = implementations.get(code.literal_value) \
        if isinstance(code, types.IntegerLiteral) else generic
    return getattr(chosen, "py_func", chosen)
