"""Figures of a sweep (matplotlib, imported here only): learning curves, heatmaps.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no
global state, no display needed) and saved as PNG when a path is given.
"""
from __future__ import annotations

import math

import numpy as np

from .stats import t_quantile


def _figure(**kwargs):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'fastq[sweep]'") from None
    return Figure(**kwargs)


def _label(res, c) -> str:
    config = res.configs[c]
    names = res.axes or ["alpha", "gamma", "epsilon"]
    parts = []
    for name in names:
        value = config.get(name)
        parts.append(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}")
    return ", ".join(parts)


def plot_curves(res, path=None, configs=None, n=6, metric="final_return", confidence=0.95):
    if res.curves.shape[2] == 0:
        raise ValueError("this sweep stored no learning curves (curve='none')")
    if configs is None:
        configs = [int(c) for c in np.asarray(res.top(n, metric)["config"])]
    seeds = res.seeds
    x = res.curve_episodes
    fig = _figure(figsize=(7, 4.2), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for c in configs:
        curves = res.curves[c]
        if np.isnan(curves).all():
            continue
        mean = curves.mean(axis=0)
        line, = ax.plot(x, mean, lw=1.4, label=_label(res, c))
        if seeds > 1:
            half = (t_quantile(0.5 + confidence / 2, seeds - 1)
                    * curves.std(axis=0, ddof=1) / math.sqrt(seeds))
            ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.2,
                            lw=0)
    kind, _, k = res.curve.partition(":")
    ylabel = {"episodes": "return per episode",
              "every": f"mean return per {k} episodes" if k != "1" else "return per episode",
              "running": "running mean return since episode 0"}[kind]
    ax.set_xlabel("episode")
    ax.set_ylabel(ylabel)
    band = f", {confidence:.0%} CI over {seeds} seeds" if seeds > 1 else ""
    ax.set_title(f"{res.env}: best {len(configs)} configs by {metric}{band}", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    if path is not None:
        fig.savefig(path)
    return fig


def plot_heatmap(res, x=None, y=None, metric="final_return", agg="mean", path=None):
    if agg not in ("mean", "max"):
        raise ValueError(f"agg must be 'mean' or 'max'; got {agg!r}")
    summary = res._summary_columns()
    key = res._summary_key(metric, summary)
    varied = [a for a in res.axes if len(_unique(summary[a])) > 1]
    if x is None or y is None:
        rest = [a for a in varied if a not in (x, y)]
        x = x or (rest.pop(0) if rest else None)
        y = y or (rest.pop(0) if rest else None)
    for name, value in (("x", x), ("y", y)):
        if value is None:
            raise ValueError(f"a heatmap needs two swept axes with several values; "
                             f"this sweep varies {varied}")
        if value not in summary or value in ("config", "n_seeds"):
            from .. import _validate

            _validate.choice(name, value, res.axes)
    xs, ys = _unique(summary[x]), _unique(summary[y])
    grid = np.full((len(ys), len(xs)), np.nan)
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            sel = (summary[x] == xv) & (summary[y] == yv)
            values = summary[key][sel]
            if values.size and not np.isnan(values).all():
                grid[i, j] = np.nanmean(values) if agg == "mean" else np.nanmax(values)
    fig = _figure(figsize=(1.2 + 1.1 * len(xs), 1.2 + 0.7 * len(ys)), dpi=100,
                  layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(xs)), [_tick(v) for v in xs], fontsize=8)
    ax.set_yticks(range(len(ys)), [_tick(v) for v in ys], fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    finite = grid[np.isfinite(grid)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center", fontsize=8,
                        color="black" if grid[i, j] > middle else "white")
    others = [a for a in varied if a not in (x, y)]
    over = f" ({agg} over {', '.join(others)})" if others else ""
    ax.set_title(f"{key}{over}", fontsize=9)
    fig.colorbar(image, ax=ax)
    if path is not None:
        fig.savefig(path)
    return fig


def _unique(values):
    seen = []
    for v in values:
        if not any(v == s for s in seen):
            seen.append(v)
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _tick(v):
    return f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v)
