"""Search spaces: grids, random-search distributions, and their validation.

A sweep's configurations are dicts of :func:`fastq.train` keywords. A grid
(``{"alpha": [0.05, 0.1], "gamma": [0.9, 0.99]}``) gives their Cartesian
product in the order given (last axis fastest); a list of dicts gives the
configurations as written; a space (``{"alpha": fastq.loguniform(1e-3, 1)}``)
with ``samples=N`` draws N configurations with
``numpy.random.default_rng(sample_seed)``, axis by axis in the space's order.
Every value is checked here, before any training, and a bad one is refused
with a message naming the parameter and the value.
"""
from __future__ import annotations

import difflib
import inspect
import itertools
import math
import numbers

import numpy as np

from .. import _validate, schedules

# train() keywords a sweep sets itself
RESERVED = ("env", "episodes", "agents", "seed", "stream_ids", "progress", "chunk_episodes",
            "record")
# per-agent keywords: configs that differ only in these share one batched train() call
PER_AGENT = ("alpha", "gamma", "epsilon", "temperature", "q_init")
# always in the table, with train()'s defaults when not given
ALWAYS = ("algorithm", "alpha", "gamma", "epsilon")


class Distribution:
    """A random-search axis: ``sample(rng, n)`` draws n values."""

    def __init__(self, low, high):
        for name, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise TypeError(f"{type(self).__name__} {name} must be a finite number; "
                                f"got {v!r}")
        if not low < high:
            raise ValueError(f"{type(self).__name__} needs low < high; got low={low!r}, "
                             f"high={high!r}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def bounds(self):
        """The values a sample can take at the extremes (checked before sampling)."""
        return self.low, self.high

    def to_spec(self) -> dict:
        return {"kind": type(self).__name__, "low": self.low, "high": self.high}

    def __repr__(self):
        return f"{type(self).__name__}({self.low:g}, {self.high:g})"

    def __eq__(self, other):
        return type(self) is type(other) and self.to_spec() == other.to_spec()

    __hash__ = None


class uniform(Distribution):  # noqa: N801  (reads like a function, as numpy's)
    """Uniform on [low, high): ``fastq.uniform(0.9, 0.999)`` for gamma."""

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, n)


class loguniform(Distribution):  # noqa: N801
    """Log-uniform on [low, high), low > 0: ``fastq.loguniform(1e-3, 1)`` for alpha."""

    def __init__(self, low, high):
        super().__init__(low, high)
        if not self.low > 0:
            raise ValueError(f"loguniform needs low > 0; got low={low!r}")

    def sample(self, rng, n):
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))


DISTRIBUTIONS = {"uniform": uniform, "loguniform": loguniform}


def train_parameters() -> dict:
    """{keyword: default} of :func:`fastq.train` that a sweep may set."""
    from ..engine import train

    params = inspect.signature(train).parameters
    return {k: p.default for k, p in params.items()
            if k not in RESERVED and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


# ------------------------------------------------------------------ expansion
def expand(grid, space, samples, sample_seed, fixed) -> tuple[list[dict], list[str]]:
    """Configurations (dicts of train keywords, before defaults) and swept axis names."""
    known = train_parameters()
    fixed = dict(fixed)
    for name in fixed:
        if name not in known:
            raise TypeError(f"sweep got unexpected keyword argument {name!r}"
                            f"{_did_you_mean(name, known)}; sweepable: {', '.join(known)}")
    grid_configs, grid_axes = _grid_configs(grid, known)
    space_configs, space_axes = _space_configs(space, samples, sample_seed, known)
    axes = grid_axes + [a for a in space_axes if a not in grid_axes]
    for name in set(grid_axes) & set(space_axes):
        raise ValueError(f"parameter {name!r} is both in grid and in space; give it once")
    for name in fixed:
        if name in axes:
            raise ValueError(f"parameter {name!r} is both swept and fixed ({name}=...); "
                             "give it once")
    configs = [{**fixed, **g, **s} for g in grid_configs for s in space_configs]
    return configs, axes


def _grid_configs(grid, known):
    if grid is None:
        return [{}], []
    if isinstance(grid, (list, tuple)):  # explicit configurations
        if not grid:
            raise ValueError("grid as a list of configurations is empty; give at least one dict")
        axes = []
        for i, config in enumerate(grid):
            if not isinstance(config, dict):
                raise TypeError(f"grid as a list must hold dicts of train keywords; "
                                f"got {_show(config)} at index {i}")
            for name in config:
                _check_name(name, known, f"grid[{i}]")
                if name not in axes:
                    axes.append(name)
        return [dict(c) for c in grid], axes
    if not isinstance(grid, dict):
        raise TypeError(f"grid must be a dict {{parameter: [values]}} or a list of dicts; "
                        f"got {_show(grid)}")
    values = {}
    for name, axis in grid.items():
        _check_name(name, known, "grid")
        values[name] = _axis_values(name, axis)
        if not values[name]:
            raise ValueError(f"grid axis {name!r} is empty; give at least one value")
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*values.values())], names


def _axis_values(name, axis):
    if isinstance(axis, np.ndarray):
        if axis.ndim != 1:
            raise ValueError(f"grid axis {name!r} must be a list or a 1-d array of values; "
                             f"got an array of shape {axis.shape}")
        return [v.item() for v in axis]
    if isinstance(axis, (list, tuple, range)):
        return [v.item() if isinstance(v, np.generic) else v for v in axis]
    if isinstance(axis, Distribution):
        raise TypeError(f"grid axis {name!r} is a distribution ({axis!r}); put it in "
                        "space= and give samples=")
    return [axis]  # a single value


def _space_configs(space, samples, sample_seed, known):
    if space is None:
        if samples is not None:
            raise ValueError(f"samples={samples!r} needs space= (the distributions to sample)")
        return [{}], []
    if not isinstance(space, dict):
        raise TypeError(f"space must be a dict {{parameter: distribution or [choices]}}; "
                        f"got {_show(space)}")
    if samples is None:
        raise ValueError("space= needs samples= (how many configurations to draw)")
    samples = _validate.count("samples", samples)
    rng = np.random.default_rng(sample_seed)
    drawn = {}
    for name, axis in space.items():
        _check_name(name, known, "space")
        if isinstance(axis, Distribution):
            for bound in axis.bounds():
                check_value(name, bound, where=f"space[{name!r}] = {axis!r}")
            drawn[name] = axis.sample(rng, samples).tolist()
        elif isinstance(axis, (list, tuple, np.ndarray)):
            choices = _axis_values(name, axis)
            if not choices:
                raise ValueError(f"space axis {name!r} is empty; give at least one choice")
            drawn[name] = [choices[i] for i in rng.integers(len(choices), size=samples)]
        else:
            drawn[name] = [axis] * samples
    names = list(drawn)
    return [{n: drawn[n][i] for n in names} for i in range(samples)], names


def _check_name(name, known, where):
    if not isinstance(name, str):
        raise TypeError(f"{where} keys must be train() keyword names; got {_show(name)}")
    if name in RESERVED:
        raise ValueError(f"{where}: {name!r} is set by the sweep itself and cannot be swept "
                         "(seeds=, episodes=, seed= are sweep arguments)")
    if name not in known:
        raise ValueError(f"unknown sweep parameter {name!r} in {where}"
                         f"{_did_you_mean(name, known)}; sweepable: {', '.join(known)}")


def _did_you_mean(name, known):
    close = difflib.get_close_matches(name, list(known), n=2)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


# ------------------------------------------------------------------ values
def check_value(name, value, env=None, episodes=1, where=None):
    """Validate one value of one parameter (before any work); returns it normalized."""
    where = where or f"{name} = {_show(value)}"
    try:
        if name in ("alpha", "epsilon"):
            if not isinstance(value, schedules.Schedule):
                value = _validate.real(name, value, 0.0, 1.0, low_open=name == "alpha")
            schedules.encode(name, value, 1, episodes, 0.0, 1.0, low_open=name == "alpha")
        elif name == "temperature":
            if not isinstance(value, schedules.Schedule):
                value = _validate.real(name, value, 0.0, np.inf, low_open=True)
            schedules.encode(name, value, 1, episodes, 0.0, np.inf, low_open=True)
        elif name == "gamma":
            value = _validate.real("gamma", value, 0.0, 1.0)
        elif name == "q_init":
            value = _q_init(value, env)
        elif name == "algorithm":
            from .. import engine

            _validate.choice("algorithm", value, getattr(engine, "ALGORITHMS", (value,)))
        elif name == "exploration":
            from .. import engine

            _validate.choice("exploration", value, getattr(engine, "EXPLORATIONS", (value,)))
        elif name in ("max_steps", "step_cap"):
            value = None if value is None and name == "max_steps" else \
                _validate.count(name, value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}: {exc}") from None
    return value


def _q_init(value, env):
    if np.ndim(value) == 0:
        return _validate.real("q_init", value, -np.inf, np.inf)
    arr = _validate.real_array("q_init", value)
    shape = (env.n_states, env.n_actions) if env is not None else arr.shape
    if arr.shape != shape:
        raise ValueError(f"q_init in a sweep must be a number or shape {shape} (one table "
                         f"for every seed); got shape {arr.shape}")
    return arr


def normalize(configs, env, episodes, defaults) -> list[dict]:
    """Every config with the ALWAYS keywords filled in and every value checked."""
    seen = {}
    out = []
    for config in configs:
        full = {k: config.get(k, defaults[k]) for k in ALWAYS}
        full.update({k: v for k, v in config.items() if k not in ALWAYS})
        for name, value in list(full.items()):
            key = (name, _key(value))
            if key not in seen:
                seen[key] = check_value(name, value, env, episodes)
            full[name] = seen[key]
        out.append(full)
    return out


def group_key(config) -> str:
    """Configs with equal keys share one batched train() call (same non-per-agent keywords)."""
    return repr(sorted((k, _key(v)) for k, v in config.items() if k not in PER_AGENT))


def _key(value):
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.tobytes())
    if isinstance(value, schedules.Schedule):
        return ("schedule", repr(schedules.to_spec(value)))
    return (type(value).__name__, repr(value))


# ------------------------------------------------------------------ display and files
def display(value):
    """A table cell for a hyperparameter value: numbers and strings as they are,
    schedules as their repr, arrays by shape."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, (schedules.Schedule, Distribution)):
        return repr(value)
    return value


def to_json(value):
    """A JSON-ready form of a config value (inverse: :func:`from_json`)."""
    if isinstance(value, schedules.Schedule):
        return {"schedule": schedules.to_spec(value)}
    if isinstance(value, np.ndarray):
        return {"array": value.tolist()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_json(value):
    if isinstance(value, dict) and "schedule" in value:
        return schedules.from_spec(value["schedule"])
    if isinstance(value, dict) and "array" in value:
        return np.asarray(value["array"], dtype=float)
    return value


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
