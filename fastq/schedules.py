"""Hyperparameter schedules over episodes, encoded as numbers for the kernels.

A schedule is evaluated inside the kernels at the start of every episode
(episode numbers count from 0 within one training run). Parameters may be
scalars or per-agent arrays; anywhere a schedule is accepted, a plain number
means ``constant(number)``.
"""
from __future__ import annotations

import numbers

import numpy as np

from .kernels.schedules import CONSTANT, EXPONENTIAL, LINEAR


class Schedule:
    """Base class: ``kind`` and parameters; ``encode`` gives the kernels' rows."""

    kind = CONSTANT

    def encode(self, n_agents: int, n_episodes: int) -> np.ndarray:
        """float64 (n_agents, 4) rows ``(kind, start, end, param)``."""
        raise NotImplementedError

    def value(self, episode: int, n_episodes: int | None = None):
        """The schedule's value(s) at ``episode`` (as the kernels compute it)."""
        from .kernels.schedules import schedule_value

        rows = self.encode(_width(self), n_episodes or max(1, episode))
        values = np.array([schedule_value(row, episode) for row in rows])
        return values[0] if values.shape == (1,) else values

    def _bounds(self, name, low, high, low_open):
        for label, v in self._values():
            arr = np.atleast_1d(np.asarray(v, dtype=float))
            bad = ~((arr > low) if low_open else (arr >= low)) | ~(arr <= high) | ~np.isfinite(arr)
            if bad.any():
                interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
                raise ValueError(f"{name} schedule {label} must be in {interval}; "
                                 f"got {arr[bad][0]!r}")

    def _values(self):
        return []


class constant(Schedule):  # noqa: N801  (lower case: reads like a function, as in DESIGN.md)
    """The same value every episode."""

    kind = CONSTANT

    def __init__(self, value):
        self.value = _param("value", value)

    def encode(self, n_agents, n_episodes):
        return _rows(n_agents, CONSTANT, self.value, self.value, 0.0)

    def _values(self):
        return [("value", self.value)]

    def __repr__(self):
        return f"constant({_show(self.value)})"


class linear(Schedule):  # noqa: N801
    """``start + (end - start) * min(1, e / over_episodes)`` at episode e.

    ``over``: an int number of episodes, or a float fraction of the run in (0, 1].
    """

    kind = LINEAR

    def __init__(self, start, end, over):
        self.start = _param("start", start)
        self.end = _param("end", end)
        if isinstance(over, bool) or not isinstance(over, (numbers.Real, np.ndarray, list, tuple)):
            raise TypeError(f"over must be an int (episodes) or a float in (0, 1]; got {over!r}")
        over_arr = np.asarray(over)
        if np.issubdtype(over_arr.dtype, np.integer):
            if (over_arr < 1).any():
                raise ValueError(f"over must be >= 1 episode; got {over!r}")
        elif not ((over_arr > 0) & (over_arr <= 1)).all():
            raise ValueError(f"over as a float is a fraction of the run and must be in (0, 1]; "
                             f"got {over!r} (pass an int for a number of episodes)")
        self.over = over

    def encode(self, n_agents, n_episodes):
        over = np.asarray(self.over)
        episodes = over if np.issubdtype(over.dtype, np.integer) else over * n_episodes
        return _rows(n_agents, LINEAR, self.start, self.end,
                     np.maximum(np.asarray(episodes, float), 1e-300))

    def _values(self):
        return [("start", self.start), ("end", self.end)]

    def __repr__(self):
        return f"linear({_show(self.start)}, {_show(self.end)}, over={_show(self.over)})"


class exponential(Schedule):  # noqa: N801
    """``end + (start - end) * decay ** e`` at episode e (decay in (0, 1])."""

    kind = EXPONENTIAL

    def __init__(self, start, end, decay):
        self.start = _param("start", start)
        self.end = _param("end", end)
        self.decay = _param("decay", decay)
        d = np.atleast_1d(self.decay)
        if not ((d > 0) & (d <= 1)).all():
            raise ValueError(f"decay must be in (0, 1]; got {decay!r}")

    def encode(self, n_agents, n_episodes):
        return _rows(n_agents, EXPONENTIAL, self.start, self.end, self.decay)

    def _values(self):
        return [("start", self.start), ("end", self.end)]

    def __repr__(self):
        return (f"exponential({_show(self.start)}, {_show(self.end)}, "
                f"decay={_show(self.decay)})")


def encode(name: str, value, n_agents: int, n_episodes: int, low: float, high: float,
           low_open: bool = False) -> np.ndarray:
    """Validate a hyperparameter (scalar, per-agent array, schedule or per-agent list
    of schedules) and encode it as float64 (n_agents, 4) schedule rows."""
    from . import _validate

    if isinstance(value, Schedule):
        value._bounds(name, low, high, low_open)
        return value.encode(n_agents, n_episodes)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Schedule) for v in value):
        if len(value) != n_agents:
            raise ValueError(f"{name} as a list of schedules must have one per agent "
                             f"({n_agents}); got {len(value)}")
        rows = [encode(name, v, 1, n_episodes, low, high, low_open) for v in value]
        return np.concatenate(rows)
    values = _validate.per_agent(name, value, n_agents, low, high, low_open=low_open)
    return _rows(n_agents, CONSTANT, values, values, 0.0)


def to_spec(value) -> dict:
    """A JSON-ready description of a scalar or a schedule (for files and tables)."""
    if isinstance(value, Schedule):
        params = {k: _plain(v) for k, v in vars(value).items()}
        return {"kind": type(value).__name__, **params}
    return {"kind": "constant", "value": _plain(value)}


def from_spec(spec: dict):
    """Inverse of :func:`to_spec`."""
    kinds = {"constant": constant, "linear": linear, "exponential": exponential}
    spec = dict(spec)
    return kinds[spec.pop("kind")](**spec)


def _plain(v):
    return np.asarray(v).tolist()


def _rows(n_agents, kind, start, end, param):
    rows = np.empty((n_agents, 4))
    rows[:, 0] = kind
    try:
        rows[:, 1], rows[:, 2], rows[:, 3] = start, end, param
    except ValueError:
        raise ValueError(f"schedule parameters given as arrays must have one value per agent "
                         f"({n_agents})") from None
    return rows


def _param(name, value):
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 1 or not np.isfinite(arr).all():
        raise ValueError(f"schedule parameter {name} must be a finite number or a 1-d array; "
                         f"got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def _width(schedule):
    return max(np.size(v) for v in vars(schedule).values())


def _show(v):
    return repr(v) if np.ndim(v) == 0 else f"array(shape={np.shape(v)})"
