"""SweepResult: the tidy table (one row per config x seed), summaries, curves, files.

Columns of ``res.table`` (config-major: all seeds of config 0, then config 1 ...):

=================  ============================================================
``config``         index into ``res.configs`` (the train keywords of that config)
hyperparameters    ``algorithm``, ``alpha``, ``gamma``, ``epsilon`` and every
                   other swept or fixed train keyword (schedules as their repr)
``seed``           k: the row is agent k of ``train(env, agents=seeds, seed=seed,
                   **res.configs[config])``
``final_return``   mean training return over the last 10% of the episodes
``auc``            mean training return over all episodes (area under the curve)
``eval_return``    mean return of the greedy policy over ``eval_episodes``
                   episodes (``Run.evaluate(eval_episodes, eval_seed)``); on
                   FrozenLake (reward 1 at the goal only) the greedy success rate
``success_rate``   only where the environment has a goal (rewards >= 0, positive
                   only on terminating transitions): the fraction of training
                   episodes that reached it (return > 0)
``steps``          environment steps the agent took in training
``seconds``        its share of its chunk's wall time (training and evaluation,
                   split in proportion to steps); the only column that depends
                   on the machine, and the sum over rows is the compute time
=================  ============================================================
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from .chunk import parse_curve
from .space import ALWAYS, display
from .stats import CONFIDENCE, mean_std_ci

METRICS = ("final_return", "auc", "eval_return", "success_rate")
NO_PANDAS = ("pandas is not installed, so tables are dicts of NumPy columns "
             "(pip install 'fastq[sweep]' for DataFrames)")


class Columns(dict):
    """A table as a dict of equal-length NumPy columns (what fastq gives without pandas)."""

    note = NO_PANDAS

    def __len__(self):  # the number of rows, as for a DataFrame
        return len(next(iter(self.values()))) if dict.__len__(self) else 0

    def __repr__(self):
        return f"<{len(self)} rows; {self.note}>\n" + format_table(self, max_rows=10)


class SweepResult:
    """The result of :func:`fastq.sweep` (or :func:`fastq.load_sweep`).

    Attributes
    ----------
    table : pandas.DataFrame (or Columns without pandas)
        One row per finished (config, seed); see the module docstring.
    configs : list of dict
        The train keywords of each config: ``fastq.train(env, episodes=res.episodes,
        agents=res.seeds, seed=res.seed, **res.configs[c])`` reproduces config c.
    axes : list of str
        The swept parameters.
    curves : float64 (n_configs, seeds, n_points)
        Learning curves as stored (``curve=``); NaN for configs not finished.
    curve_episodes : int64 (n_points,)
        Episodes done at each point of ``curves`` (the x axis).
    complete : bool
        False after Ctrl-C or for a partly finished directory.
    seconds : float
        Wall time of this call's work (NaN when read from disk).
    """

    def __init__(self, spec, configs, columns, curves, finished, seconds, computed_agents,
                 out=None):
        self.spec = spec
        self.env = spec["env"]["name"]
        self.configs = configs
        self.axes = list(spec["axes"])
        self.seeds = int(spec["seeds"])
        self.episodes = int(spec["episodes"])
        self.seed = int(spec["seed"])
        self.curve = spec["curve"]
        self.curves = curves
        self.curve_episodes = parse_curve(self.curve, self.episodes).points(self.episodes)
        self.finished = finished
        self.complete = bool(finished.all())
        self.seconds = seconds
        self.computed_agents = computed_agents
        self.out = out
        self._columns = columns

    # ---------------------------------------------------------------- building
    @classmethod
    def from_chunks(cls, spec, configs, chunks, finished_chunks, seconds, computed_agents=0,
                    out=None):
        """Assemble the table from per-chunk arrays ``{chunk index: run_chunk() dict}``."""
        n_configs, seeds = len(configs), int(spec["seeds"])
        n_points = parse_curve(spec["curve"], spec["episodes"]).points(spec["episodes"]).size
        goal = bool(spec["success_rate"])
        metrics = [m for m in METRICS if goal or m != "success_rate"]
        per_agent = {m: np.full((n_configs, seeds), np.nan) for m in metrics}
        steps = np.zeros((n_configs, seeds), np.int64)
        share = np.full((n_configs, seeds), np.nan)
        curves = np.full((n_configs, seeds, n_points), np.nan)
        finished = np.zeros(n_configs, bool)
        for i, arrays in finished_chunks.items():
            ids = np.asarray(chunks[i], dtype=np.int64)
            for m in metrics:
                per_agent[m][ids] = arrays[m].reshape(len(ids), seeds)
            chunk_steps = arrays["steps"].reshape(len(ids), seeds)
            steps[ids] = chunk_steps
            share[ids] = float(arrays["seconds"]) * chunk_steps / max(1, chunk_steps.sum())
            curves[ids] = arrays["curves"]
            finished[ids] = True
        done = np.flatnonzero(finished)
        columns = {"config": np.repeat(done, seeds)}
        for name, values in hyperparameter_columns(configs).items():
            columns[name] = np.repeat(values[done], seeds)
        columns["seed"] = np.tile(np.arange(seeds), done.size)
        for m in metrics:
            columns[m] = per_agent[m][done].ravel()
        columns["steps"] = steps[done].ravel()
        columns["seconds"] = share[done].ravel()
        return cls(spec, configs, columns, curves, finished, seconds, computed_agents, out)

    # ---------------------------------------------------------------- tables
    @property
    def table(self):
        """One row per finished (config, seed): a DataFrame, or Columns without pandas."""
        return _frame(self._columns)

    @property
    def metrics(self) -> list:
        return [m for m in METRICS if m in self._columns]

    def summary(self, confidence: float = CONFIDENCE):
        """Per finished config: hyperparameters, ``n_seeds``, and for every metric its
        mean, std (ddof=1) and a ``confidence`` interval over seeds (Student's t:
        ``mean ± t(1 - (1 - confidence) / 2, seeds - 1) * std / sqrt(seeds)``), as
        ``<metric>_mean``, ``_std``, ``_ci_low``, ``_ci_high``; ``steps`` and
        ``seconds`` summed over seeds."""
        return _frame(self._summary_columns(confidence))

    def _summary_columns(self, confidence=CONFIDENCE) -> dict:
        cols = self._columns
        n = cols["config"].size // self.seeds
        first = np.arange(n) * self.seeds
        out = {"config": cols["config"][first]}
        for name in hyperparameter_columns(self.configs):
            out[name] = cols[name][first]
        out["n_seeds"] = np.full(n, self.seeds)
        for m in self.metrics:
            mean, std, low, high = mean_std_ci(cols[m].reshape(n, self.seeds), confidence)
            out.update({f"{m}_mean": mean, f"{m}_std": std,
                        f"{m}_ci_low": low, f"{m}_ci_high": high})
        out["steps"] = cols["steps"].reshape(n, self.seeds).sum(axis=1)
        out["seconds"] = cols["seconds"].reshape(n, self.seeds).sum(axis=1)
        return out

    def top(self, n: int = 5, metric: str = "final_return"):
        """The ``n`` best rows of :meth:`summary` by ``metric`` (its mean by default;
        any summary column, e.g. ``"final_return_ci_low"``), best first."""
        cols = self._summary_columns()
        key = self._summary_key(metric, cols)
        order = _descending(cols[key])[:n]
        return _frame({k: v[order] for k, v in cols.items()})

    def best(self, metric: str = "final_return"):
        """The row of :meth:`summary` of the config with the highest mean ``metric``
        (a pandas Series, or a dict without pandas); ``res.configs[row["config"]]``
        gives its train keywords."""
        cols = self._summary_columns()
        key = self._summary_key(metric, cols)
        if not cols[key].size:
            raise ValueError("no finished configs yet: nothing to choose from")
        i = int(_descending(cols[key])[0])
        row = {k: (v[i].item() if isinstance(v[i], np.generic) else v[i])
               for k, v in cols.items()}
        try:
            import pandas as pd
        except ImportError:
            return row
        return pd.Series(row, name=row["config"])

    def _summary_key(self, metric, cols):
        if metric in self.metrics:
            return f"{metric}_mean"
        if metric in cols and metric not in ("config", "n_seeds"):
            return metric
        choices = self.metrics + [c for c in cols if c.endswith(("_ci_low", "_ci_high", "_std"))]
        from .. import _validate

        _validate.choice("metric", metric, choices)
        return metric  # not reached

    # ---------------------------------------------------------------- files
    def to_csv(self, path, summary: bool = False) -> Path:
        """Write the table (or the summary) as CSV; returns the path."""
        cols = self._summary_columns() if summary else self._columns
        path = Path(path)
        try:
            import pandas as pd
        except ImportError:
            write_csv(cols, path)
        else:
            pd.DataFrame(cols).to_csv(path, index=False)
        return path

    def to_parquet(self, path, summary: bool = False) -> Path:
        """Write the table (or the summary) as Parquet (needs pyarrow); returns the path."""
        cols = self._summary_columns() if summary else self._columns
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("to_parquet needs pyarrow: pip install 'fastq[sweep]'") from None
        pq.write_table(pa.table({k: _arrow_column(v) for k, v in cols.items()}), str(path))
        return Path(path)

    # ---------------------------------------------------------------- plots
    def plot_curves(self, path=None, configs=None, n: int = 6, metric: str = "final_return",
                    confidence: float = CONFIDENCE):
        """Learning curves (mean over seeds, t confidence band) of ``configs`` (default:
        the ``n`` best by ``metric``); saved as PNG when ``path`` is given. Returns the
        matplotlib Figure."""
        from .plots import plot_curves

        return plot_curves(self, path, configs, n, metric, confidence)

    def plot_heatmap(self, x: str | None = None, y: str | None = None,
                     metric: str = "final_return", agg: str = "mean", path=None):
        """Heatmap of the per-config mean ``metric`` over two swept axes (default: the
        first two with several values); other axes are combined by ``agg`` ("mean" or
        "max"). Saved as PNG when ``path`` is given; returns the Figure."""
        from .plots import plot_heatmap

        return plot_heatmap(self, x, y, metric, agg, path)

    # ---------------------------------------------------------------- misc
    @property
    def n_agents(self) -> int:
        return len(self.configs) * self.seeds

    @property
    def agents_per_second(self) -> float:
        """Agents trained (and evaluated) per second of wall time by this call."""
        if not self.seconds or not math.isfinite(self.seconds):
            return float("nan")
        return self.computed_agents / self.seconds

    def __repr__(self):
        done = int(self.finished.sum())
        state = "" if self.complete else f" ({done} of {len(self.configs)} configs finished)"
        text = (f"<SweepResult: {len(self.configs)} configs x {self.seeds} seeds on {self.env}, "
                f"{self.episodes} episodes{state}")
        if done:
            best = self.best()
            hyper = ", ".join(f"{a}={best[a]}" for a in self.axes)
            text += f"; best final_return {best['final_return_mean']:.4g} ({hyper})"
        return text + ">"


# ------------------------------------------------------------------ helpers
def hyperparameter_columns(configs) -> dict:
    """{name: column over configs}: ALWAYS first, then the other keywords in order."""
    names = list(ALWAYS)
    for c in configs:
        names += [k for k in c if k not in names]
    return {name: column([display(c.get(name)) for c in configs]) for name in names}


def column(values) -> np.ndarray:
    """Numbers as int64/float64; anything else (strings, schedules, None) as str."""
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                      for v in values):
        return np.asarray(values, dtype=np.int64)
    if values and all(isinstance(v, (int, float, np.integer, np.floating))
                      and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    out[:] = [v if isinstance(v, str) else repr(v) if not isinstance(v, float) else str(v)
              for v in values]
    return out


def _descending(values):
    """Indices sorting values from the largest, NaN last, ties in table order."""
    values = np.asarray(values, dtype=float)
    return np.lexsort((np.arange(values.size), -np.nan_to_num(values, nan=-np.inf)))


def _frame(columns):
    try:
        import pandas as pd
    except ImportError:
        return Columns(columns)
    return pd.DataFrame(columns)


def _arrow_column(v):
    return v.astype(str).tolist() if v.dtype == object else v


def write_csv(columns: dict, path) -> None:
    """CSV without pandas (floats written with repr: exact round trip)."""
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for i in range(n):
            writer.writerow([_cell(columns[k][i]) for k in names])


def _cell(v):
    if isinstance(v, (float, np.floating)):
        return "" if math.isnan(v) else repr(float(v))
    if isinstance(v, np.integer):
        return int(v)
    return v


def format_table(columns: dict, max_rows: int | None = None, digits: int = 4) -> str:
    """A plain-text table (for the CLI and for Columns' repr)."""
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    rows = range(n if max_rows is None else min(n, max_rows))

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return "nan" if math.isnan(v) else f"{v:.{digits}g}"
        return str(v)

    cells = [[fmt(columns[k][i]) for k in names] for i in rows]
    widths = [max([len(k)] + [len(r[j]) for r in cells]) for j, k in enumerate(names)]
    lines = ["  ".join(k.rjust(w) for k, w in zip(names, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    if max_rows is not None and n > max_rows:
        lines.append(f"... ({n - max_rows} more rows)")
    return "\n".join(lines)
