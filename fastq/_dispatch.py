"""Calling kernels specialised on literal arguments without Numba's per-call retyping.

A kernel that calls ``numba.literally`` on its trailing arguments is compiled
once per literal value, but every call through its dispatcher first re-runs
Numba's front end on the plain types (to discover the literal request), which
costs milliseconds per call. After the first call we keep the compiled entry
point for the exact argument types and literal values, and call it directly.
"""
from __future__ import annotations

import numba
from numba.core import types

_ENTRY_POINTS: dict = {}


def call(kernel, *args, literal: int):
    """``kernel(*args)`` where the last ``literal`` arguments are literal ints."""
    if numba.config.DISABLE_JIT:
        return kernel(*args)
    head, tail = args[:-literal], args[-literal:]
    key = (kernel, tuple(numba.typeof(a) for a in head), tail)
    entry = _ENTRY_POINTS.get(key)
    if entry is None:
        result = kernel(*args)  # compiles or loads from the cache
        _ENTRY_POINTS[key] = _find_entry_point(kernel, key[1], tail)
        return result
    return entry(*args)


def _find_entry_point(kernel, head_types, tail):
    for signature, compiled in kernel.overloads.items():
        literals = signature[len(head_types):]
        if tuple(signature[:len(head_types)]) == head_types and all(
                isinstance(t, types.IntegerLiteral) and t.literal_value == v
                for t, v in zip(literals, tail)):
            return compiled.entry_point
    return kernel  # not found (should not happen): the dispatcher is always correct
