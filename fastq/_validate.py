"""Input checks shared by every public entry point.

Each check raises ``TypeError`` (wrong kind) or ``ValueError`` (wrong value or
shape) with a message naming the parameter, the value received and what is
allowed, and returns the value coerced to the dtype the kernels use.
"""
from __future__ import annotations

import difflib
import numbers

import numpy as np


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def count(name: str, value, minimum: int = 1) -> int:
    """A Python int >= minimum (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {_show(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def optional_count(name: str, value, minimum: int = 1) -> int | None:
    return None if value is None else count(name, value, minimum)


def seed(value) -> int:
    """A seed: an int in [0, 2**64)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"seed must be an integer in [0, 2**64); got {_show(value)}")
    if not 0 <= value < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64); got {value}")
    return int(value)


def flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_show(value)}")
    return bool(value)


def real(name: str, value, low: float, high: float, *, low_open: bool = False) -> float:
    """A finite real number in [low, high] (or (low, high] when low_open)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_show(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return value


def per_agent(name: str, value, n_agents: int, low: float, high: float,
              *, low_open: bool = False) -> np.ndarray:
    """A scalar or a length-n_agents array of reals in the interval, as float64."""
    if np.ndim(value) == 0:
        return np.full(n_agents, real(name, value, low, high, low_open=low_open))
    arr = real_array(name, value)
    if arr.shape != (n_agents,):
        raise ValueError(f"{name} must be a scalar or have shape ({n_agents},) (one per agent); "
                         f"got shape {arr.shape}")
    bad = ~((arr > low) if low_open else (arr >= low)) | ~(arr <= high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}; got {arr[i]!r} at index {i}")
    return arr


def real_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """A finite float64 array (lists and integer arrays accepted)."""
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of real numbers; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real; got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        i = tuple(int(x) for x in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite; got {arr[i]!r} at index {i}")
    return arr


def index_array(name: str, value, upper: int, shape: tuple | None = None) -> np.ndarray:
    """Integers in [0, upper) as int64 (lossy casts refused)."""
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) \
                and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must be integers; got dtype {arr.dtype}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got shape {arr.shape}")
    bad = (arr < 0) | (arr >= upper)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(f"{name} must be integers in [0, {upper}); "
                         f"got {arr.ravel()[i]} at index {i}")
    return np.require(arr, np.int64, "C")


def bool_array(name: str, value, shape: tuple) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype != bool and not (np.issubdtype(arr.dtype, np.integer)
                                  and np.isin(arr, (0, 1)).all()):
        raise TypeError(f"{name} must be booleans; got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.bool_)


def choice(name: str, value, allowed) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(allowed)}; got {_show(value)}")
    if value not in allowed:
        close = difflib.get_close_matches(value, list(allowed), n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown {name} {value!r}; allowed: "
                         f"{', '.join(repr(a) for a in sorted(allowed))}{hint}")
    return value


def known_name(kind: str, value, known, n_matches: int = 1) -> str:
    """A registered name, e.g. an environment id; unknown names get the closest match.

    ``unknown environment 'FrozenLake-v9'; did you mean 'FrozenLake-v1'?``
    """
    if not isinstance(value, str):
        raise TypeError(f"{kind} id must be a string; got {_show(value)}")
    if value not in known:
        close = difflib.get_close_matches(value, list(known), n=n_matches)
        hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                else f"known: {', '.join(repr(k) for k in known)}")
        raise ValueError(f"unknown {kind} {value!r}; {hint}")
    return value


def keywords(where: str, given, allowed) -> None:
    """Refuse keyword arguments outside ``allowed`` (TypeError, like Python's own)."""
    extra = [k for k in given if k not in allowed]
    if extra:
        raise TypeError(f"{where} got unexpected keyword argument {extra[0]!r}; "
                        f"allowed: {', '.join(allowed) or 'none'}")


def real_vector(name: str, value, length: int) -> np.ndarray:
    """A finite float64 vector of the given length (tuples and lists accepted)."""
    arr = real_array(name, value)
    if arr.shape != (length,):
        raise ValueError(f"{name} must have {length} numbers; got shape {arr.shape}")
    return arr


def char_grid(name: str, value, allowed: str, required: str = "") -> list[str]:
    """A rectangular map of ``allowed`` letters: rows as str, bytes or a 2-D char array."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of strings (one per row); got {_show(value)}")
    rows = []
    for i, row in enumerate(value):
        if isinstance(row, np.ndarray) and row.ndim == 1:
            row = b"".join(row.astype("S1")) if row.dtype.kind == "S" else "".join(row)
        if isinstance(row, bytes):
            row = row.decode("ascii", "replace")
        if not isinstance(row, str):
            raise TypeError(f"{name} rows must be strings; got {_show(row)} at row {i}")
        rows.append(row)
    if not rows or not rows[0]:
        raise ValueError(f"{name} must have at least one row and one column; got {_show(value)}")
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(f"{name} must be rectangular: row {i} has {len(row)} letters, "
                             f"row 0 has {len(rows[0])}")
        bad = [c for c in row if c not in allowed]
        if bad:
            raise ValueError(f"{name} letters must be in {allowed!r}; got {bad[0]!r} "
                             f"at row {i}, column {row.index(bad[0])}")
    for letter in required:
        if not any(letter in row for row in rows):
            raise ValueError(f"{name} must contain at least one {letter!r}; got {rows!r}")
    return rows
