"""The ``fastq`` command: train agents on the built-in environments from a shell.

``fastq train FrozenLake8x8-v1 --agents 1024 --episodes 5000`` trains, prints a
short summary and (with ``--out``) saves the run; ``fastq envs`` lists the
environments. Every subcommand is one :class:`Command` in :data:`COMMANDS`
(``sweep`` and ``bench`` join there). User errors -- a bad value, an unknown
environment, an option an environment does not take -- are reported as
``fastq: error: <message>`` with exit status 2 and no traceback.
"""
from __future__ import annotations

import argparse
import difflib
import inspect
import json
import math
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ._inputs import DEFAULT_STEP_CAP

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

SCHEDULE_HELP = """\
schedules (--alpha, --epsilon): a plain number is constant; otherwise KIND:ARGS
  const:V                 V every episode
  linear:START,END,OVER   START to END linearly, then END; OVER without a decimal
                          point is a number of episodes (linear:1,0.05,2000), with
                          one a fraction of the run in (0, 1] (linear:1,0.05,0.5)
  exp:START,END,DECAY     END + (START - END) * DECAY**episode, DECAY in (0, 1]
(linear/exponential/constant spelled out are accepted too)"""


# --------------------------------------------------------------------- schedules
def parse_schedule(text: str):
    """A hyperparameter from its command-line form: a float or a fastq schedule.

    ``"0.1"`` -> ``0.1``; ``"const:0.1"`` -> ``fastq.constant(0.1)``;
    ``"linear:1,0.05,2000"`` -> ``fastq.linear(1.0, 0.05, over=2000)`` (an int:
    episodes); ``"linear:1,0.05,0.5"`` -> ``fastq.linear(1.0, 0.05, over=0.5)``
    (a float: fraction of the run); ``"exp:1,0.01,0.999"`` ->
    ``fastq.exponential(1.0, 0.01, decay=0.999)``.

    Range checks that depend on the parameter (alpha in (0, 1], epsilon in
    [0, 1]) are left to :func:`fastq.train`.

    Raises
    ------
    ValueError
        Unknown kind, wrong number of arguments, or a value that is not a
        finite number; the message quotes the text and the syntax.
    """
    from . import schedules

    if not isinstance(text, str):
        raise TypeError(f"schedule must be a string; got {text!r}")
    body = text.strip()
    if ":" not in body:
        return _finite(body, text)
    kind, _, rest = body.partition(":")
    kind = kind.strip().lower()
    if kind not in _SCHEDULE_SYNTAX:
        close = difflib.get_close_matches(kind, list(_SCHEDULE_SYNTAX), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown schedule kind {kind!r} in {text!r}; use a number, "
                         f"const:V, linear:START,END,OVER or exp:START,END,DECAY{hint}")
    syntax = _SCHEDULE_SYNTAX[kind]
    args = [a.strip() for a in rest.split(",")]
    if len(args) != syntax.count(",") + 1:
        raise ValueError(f"schedule {text!r}: {kind} takes {syntax} "
                         f"({syntax.count(',') + 1} numbers); got {len(args)}")
    try:
        if kind in ("const", "constant"):
            return schedules.constant(_finite(args[0], text))
        if kind in ("linear", "lin"):
            over = int(args[2]) if re.fullmatch(r"[+-]?\d+", args[2]) else _finite(args[2], text)
            return schedules.linear(_finite(args[0], text), _finite(args[1], text), over)
        return schedules.exponential(*(_finite(a, text) for a in args))
    except (TypeError, ValueError) as exc:
        if str(exc).startswith("schedule "):
            raise
        raise ValueError(f"schedule {text!r}: {exc}") from None


_SCHEDULE_SYNTAX = {
    "const": "V", "constant": "V",
    "linear": "START,END,OVER", "lin": "START,END,OVER",
    "exp": "START,END,DECAY", "exponential": "START,END,DECAY",
}


def _finite(word: str, text: str) -> float:
    try:
        value = float(word)
    except ValueError:
        raise ValueError(f"schedule {text!r}: {word!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"schedule {text!r}: {word!r} is not a finite number")
    return value


def _schedule_arg(text: str):
    """argparse ``type=``: keeps parse_schedule's message in argparse's error."""
    try:
        return parse_schedule(text)
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _show_hyper(value) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


# --------------------------------------------------------------------- saving runs
def save_run(run, path, meta: dict | None = None, arrays: dict | None = None) -> Path:
    """Write ``run`` to ``path`` (exactly that name) as an ``.npz`` archive.

    Arrays: ``q`` (agents, S, A), ``returns`` and ``lengths`` (agents,
    episodes), ``rng_state`` uint64 (agents, 4) (the streams where training
    stopped), and ``meta``: a JSON string holding the run's own description
    (env, sizes, hyperparameter specs from :func:`fastq.schedules.to_spec`,
    seed, time limit, timing, versions) updated with ``meta`` (JSON-ready
    values); ``arrays`` adds named arrays (e.g. ``eval_returns``). Read it
    back with :func:`load_run`.
    The file is written to a temporary name and renamed, so a crash never
    leaves a half-written archive under ``path``.

    Should become ``Run.save`` (and ``load_run`` a ``Run.load``) in the engine.
    """
    import numba

    from . import __version__
    from .schedules import to_spec

    path = Path(path)
    info = {
        "format": "fastq.run/1",
        "fastq_version": __version__,
        "numpy_version": np.__version__,
        "numba_version": numba.__version__,
        "env": run.env.name,
        "n_states": run.env.n_states,
        "n_actions": run.env.n_actions,
        "env_time_limit": run.env.max_steps,
        "max_steps": run.max_steps,
        "agents": run.n_agents,
        "episodes": run.n_episodes,
        "seed": run.seed,
        "algorithm": run.config.get("algorithm"),
        "exploration": run.config.get("exploration"),
        "hyperparameters": {k: to_spec(v) for k, v in run.config.items()
                            if k in ("alpha", "gamma", "epsilon")},
        "temperature": to_spec(run.config.get("temperature")),
        "steps": run.steps,
        "seconds": run.seconds,
    }
    info.update(meta or {})
    arrays = {"q": run.q, "returns": run.returns, "lengths": run.lengths,
              "rng_state": run.rng_state, **(arrays or {})}
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(info)), **arrays)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_run(path) -> tuple[dict, dict]:
    """``(arrays, meta)`` from a file written by :func:`save_run` (no pickles)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    return arrays, meta


# --------------------------------------------------------------------- train
# CLI flag -> keyword of fastq.make; an environment takes it when its builder does.
ENV_OPTIONS = {"map_name": "--map-name", "is_slippery": "--slippery/--no-slippery",
               "is_rainy": "--rainy/--no-rainy"}


def env_options(env_id: str) -> list[str]:
    """The keywords of :data:`ENV_OPTIONS` that ``fastq.make(env_id, ...)`` accepts."""
    from . import _validate
    from .envs import ENVS

    entry = ENVS[_validate.known_name("environment", env_id, ENVS)]
    accepted = inspect.signature(entry.builder).parameters
    return [k for k in ENV_OPTIONS if k in accepted]


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", metavar="ENV",
                   help="environment id (see `fastq envs`), e.g. FrozenLake8x8-v1")
    g = p.add_argument_group("environment options (only where the environment takes them)")
    g.add_argument("--map-name", metavar="4x4|8x8", default=None,
                   help="FrozenLake map")
    g.add_argument("--slippery", dest="is_slippery", action=argparse.BooleanOptionalAction,
                   default=None, help="FrozenLake, CliffWalking: slippery moves or not")
    g.add_argument("--rainy", dest="is_rainy", action=argparse.BooleanOptionalAction,
                   default=None, help="Taxi: rainy moves may slip sideways")
    g.add_argument("--max-steps", type=int, metavar="N", default=None,
                   help="episode time limit (default: the environment's; truncation bootstraps)")
    g.add_argument("--step-cap", type=int, metavar="N", default=None,
                   help="safety cap on episode length for environments without a time limit "
                        f"(default {DEFAULT_STEP_CAP:,})")
    t = p.add_argument_group("training")
    t.add_argument("--agents", type=int, metavar="N", default=1,
                   help="independent agents trained at once (default 1)")
    t.add_argument("--episodes", type=int, metavar="N", required=True,
                   help="training episodes per agent")
    t.add_argument("--algorithm", metavar="NAME", default="q_learning",
                   help="learning rule: q_learning (default), double_q, sarsa, expected_sarsa")
    t.add_argument("--alpha", type=_schedule_arg, metavar="A", default=0.1,
                   help="step size in (0, 1]: a number or a schedule (default 0.1)")
    t.add_argument("--gamma", type=float, metavar="G", default=0.99,
                   help="discount in [0, 1] (default 0.99)")
    t.add_argument("--epsilon", type=_schedule_arg, metavar="E", default=0.1,
                   help="exploration rate in [0, 1]: a number or a schedule (default 0.1)")
    t.add_argument("--exploration", metavar="RULE", default="epsilon_greedy",
                   help="epsilon_greedy (default) or softmax (Boltzmann, with --temperature)")
    t.add_argument("--temperature", type=_schedule_arg, metavar="T", default=1.0,
                   help="softmax temperature > 0: a number or a schedule (default 1)")
    t.add_argument("--envs", type=int, metavar="E", default=1,
                   help="environment copies per agent, all acting on its table (default 1)")
    t.add_argument("--seed", type=int, metavar="S", default=0,
                   help="agent i's random stream depends on (seed, i) only (default 0)")
    o = p.add_argument_group("evaluation and output")
    o.add_argument("--eval-episodes", type=int, metavar="N", default=1000,
                   help="greedy evaluation episodes per agent after training "
                        "(default 1000; 0 skips)")
    o.add_argument("--eval-seed", type=int, metavar="S", default=None,
                   help="seed of the evaluation streams (default: --seed; they never "
                        "replay training streams)")
    o.add_argument("--out", metavar="PATH", default=None,
                   help="save the run as .npz: q, returns, lengths, rng_state, "
                        "eval_returns, meta (JSON)")
    o.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar (it needs tqdm and goes to stderr)")
    o.add_argument("--threads", type=int, metavar="N", default=None,
                   help="Numba threads (default: all, NUMBA_NUM_THREADS)")


def _run_train(args: argparse.Namespace) -> int:
    import numba

    import fastq

    given = {k: getattr(args, k) for k in ENV_OPTIONS if getattr(args, k) is not None}
    accepted = env_options(args.env)  # also: unknown id -> ValueError with close matches
    for key in given:
        if key not in accepted:
            takes = ", ".join(ENV_OPTIONS[k] for k in accepted) or "none of these options"
            raise ValueError(f"{args.env} does not take {ENV_OPTIONS[key]} "
                             f"(it takes: {takes})")
    if args.eval_episodes < 0:
        raise ValueError(f"--eval-episodes must be >= 0; got {args.eval_episodes}")
    env = fastq.make(args.env, **given)
    train_kwargs = dict(episodes=args.episodes, agents=args.agents, algorithm=args.algorithm,
                        alpha=args.alpha, gamma=args.gamma, epsilon=args.epsilon,
                        exploration=args.exploration, temperature=args.temperature,
                        envs=args.envs, seed=args.seed, max_steps=args.max_steps)
    if args.step_cap is not None:
        train_kwargs["step_cap"] = args.step_cap
    threads = _check_threads(args.threads)
    previous_threads = numba.get_num_threads()
    try:
        if threads is not None:
            numba.set_num_threads(threads)
        n_threads = numba.get_num_threads()
        run = fastq.train(env, progress=args.progress and _have_tqdm(), **train_kwargs)
        evaluation = None
        if args.eval_episodes and run.episodes_done:
            eval_seed = args.seed if args.eval_seed is None else args.eval_seed
            evaluation = run.evaluate(args.eval_episodes, eval_seed)
    finally:
        numba.set_num_threads(previous_threads)

    _print_summary(run, env, given, args, n_threads, evaluation)
    if args.out is not None:
        meta = {"env_options": given, "step_cap": args.step_cap,
                "max_steps_requested": args.max_steps, "threads": n_threads,
                "eval_episodes": args.eval_episodes if evaluation is not None else 0,
                "eval_return_mean": None if evaluation is None else float(evaluation.mean()),
                "argv": getattr(args, "argv", None)}
        try:
            extra = {} if evaluation is None else {"eval_returns": evaluation}
            path = save_run(run, args.out, meta, extra)
        except OSError as exc:
            print(f"fastq: error: cannot write {args.out}: {exc.strerror or exc}",
                  file=sys.stderr)
            return EXIT_FAILURE
        print(_line("saved", str(path)))
    return EXIT_OK


def _check_threads(threads):
    import numba

    if threads is None:
        return None
    most = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= most:
        raise ValueError(f"--threads must be in [1, {most}] (NUMBA_NUM_THREADS={most}; "
                         f"set that environment variable to allow more); got {threads}")
    return threads


def _have_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


LABEL_WIDTH = 14


def _line(label: str, text: str) -> str:
    return f"{label:<{LABEL_WIDTH}}{text}"


def _print_summary(run, env, given, args, n_threads, evaluation) -> None:
    options = ", ".join(f"{k}={v}" for k, v in given.items())
    name = f"{args.env} ({options})" if options else args.env
    if args.max_steps is not None:
        limit = f"time limit {run.max_steps:,} steps (--max-steps)"
    elif env.max_steps is not None:
        limit = f"time limit {env.max_steps:,} steps"
    else:
        limit = f"no time limit (safety cap {run.max_steps:,} steps)"
    explore = (f"epsilon {_show_hyper(args.epsilon)}" if args.exploration != "softmax"
               else f"softmax, temperature {_show_hyper(args.temperature)}")
    hyper = f"alpha {_show_hyper(args.alpha)}, gamma {args.gamma:g}, {explore}"
    if args.envs > 1:
        hyper += f", {args.envs} env copies per agent"
    print(_line("env", f"{name}: {env.n_states} states, {env.n_actions} actions, {limit}"))
    print(_line("algorithm", f"{args.algorithm}: {hyper}"))
    episodes = (f"{run.episodes_done:,} episodes" if run.episodes_done == args.episodes
                else f"{run.episodes_done:,} of {args.episodes:,} episodes (interrupted)")
    print(_line("training", f"{run.n_agents:,} agents x {episodes} = {run.steps:,} env-steps, "
                            f"seed {run.seed}"))
    print(_line("time", f"{run.seconds:.3g} s, {_si(run.steps_per_second)} env-steps/s "
                        f"on {n_threads} thread{'s' if n_threads != 1 else ''}"))
    if run.episodes_done:
        k = max(1, int(round(run.episodes_done * 0.1)))
        print(_line("final return", f"{_spread(run.final_return())}, last {k:,} episodes"))
    if evaluation is not None:
        print(_line("greedy eval", f"{_spread(evaluation)}, "
                                   f"{args.eval_episodes:,} episodes per agent"))


def _spread(values: np.ndarray) -> str:
    """``mean ± std (min .. max)`` over agents, or the value alone for one agent."""
    if values.size == 1:
        return f"{values[0]:.3f}"
    return (f"{values.mean():.3f} ± {values.std():.3f} over agents "
            f"(min {values.min():.3f}, max {values.max():.3f})")


def _si(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= factor:
            return f"{x / factor:.3g} {prefix}"
    return f"{x:.3g}"


# --------------------------------------------------------------------- envs
def _add_envs_arguments(p: argparse.ArgumentParser) -> None:
    pass


def _run_envs(args: argparse.Namespace) -> int:
    from .envs import describe

    header = ("id", "states", "actions", "stochastic", "time limit", "Gymnasium id")
    rows = [(r.id, str(r.n_states), str(r.n_actions), r.stochastic,
             "none" if r.time_limit is None else str(r.time_limit), r.gymnasium_id or "-")
            for r in describe()]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {1, 2, 4}
    for row in [header, *rows]:
        cells = [c.rjust(w) if i in numeric else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
    return EXIT_OK


# --------------------------------------------------------------------- sweep
SWEEP_HELP = """\
values (--algorithm, --alpha, --gamma, --epsilon, --exploration, --temperature,
  --q-init, --max-steps): one value
  or a comma-separated list, each a number or a schedule (as for `fastq train`),
  e.g. --epsilon 0.05,0.1,linear:1,0.05,0.5; repeat a flag to add more values.
  Options with several values are the grid's axes (the product of all of them).
random search: --samples N with uniform:LOW,HIGH or loguniform:LOW,HIGH as an
  option's value draws N configs (seeded by --seed); options with lists stay grid
  axes, and every grid point gets the same N samples
output (--out DIR): manifest.json and chunks/ as the sweep runs (--resume
  continues after a crash or Ctrl-C), table.csv (one row per config x seed),
  summary.csv (per config: mean, std, 95% CI over seeds); with --plot also
  figures/curves.png (learning curves of the best configs) and
  figures/heatmap.png (final return over the first two axes)"""

_DISTRIBUTION_SYNTAX = {"uniform": 2, "loguniform": 2}
_SCHEDULE_ARGS = {"const": 1, "constant": 1, "linear": 3, "lin": 3, "exp": 3,
                  "exponential": 3}


def parse_values(text: str, kind=float) -> list:
    """The values of one sweep option: ``"0.05,0.1,linear:1,0.05,0.5"`` ->
    ``[0.05, 0.1, fastq.linear(1.0, 0.05, over=0.5)]``; ``"loguniform:1e-3,1"`` ->
    ``[fastq.loguniform(0.001, 1.0)]``. ``kind``: float, int or str (plain values)."""
    from . import sweeps

    words = [w.strip() for w in text.split(",")]
    values, i = [], 0
    while i < len(words):
        word = words[i]
        if not word:
            raise ValueError(f"empty value in {text!r} (values are separated by commas)")
        name = word.partition(":")[0].strip().lower() if ":" in word else None
        if name in _DISTRIBUTION_SYNTAX or name in _SCHEDULE_ARGS:
            n = _DISTRIBUTION_SYNTAX.get(name) or _SCHEDULE_ARGS[name]
            item = ",".join(words[i:i + n])
            if name in _DISTRIBUTION_SYNTAX:
                args = [a.strip() for a in item.partition(":")[2].split(",")]
                if len(args) != 2:
                    raise ValueError(f"{item!r}: {name} takes LOW,HIGH (2 numbers)")
                values.append(getattr(sweeps, name)(*(_finite(a, item) for a in args)))
            else:
                values.append(parse_schedule(item))
            i += n
            continue
        if kind is str:
            values.append(word)
        elif kind is int:
            if not re.fullmatch(r"[+-]?\d+", word):
                raise ValueError(f"{word!r} in {text!r} is not an integer")
            values.append(int(word))
        elif ":" in word:
            values.append(parse_schedule(word))  # unknown kind: parse_schedule explains
        else:
            values.append(_finite(word, text))
        i += 1
    return values


def _values_arg(kind):
    def parse(text):
        try:
            return parse_values(text, kind)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


# sweep option -> (train keyword, kind of its plain values)
SWEEP_AXES = {"algorithm": ("algorithm", str), "alpha": ("alpha", float),
              "gamma": ("gamma", float), "epsilon": ("epsilon", float),
              "exploration": ("exploration", str), "temperature": ("temperature", float),
              "q_init": ("q_init", float), "max_steps": ("max_steps", int)}


def _add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("env", metavar="ENV",
                   help="environment id (see `fastq envs`), e.g. FrozenLake8x8-v1")
    g = p.add_argument_group("environment options (only where the environment takes them)")
    g.add_argument("--map-name", metavar="4x4|8x8", default=None, help="FrozenLake map")
    g.add_argument("--slippery", dest="is_slippery", action=argparse.BooleanOptionalAction,
                   default=None, help="FrozenLake, CliffWalking: slippery moves or not")
    g.add_argument("--rainy", dest="is_rainy", action=argparse.BooleanOptionalAction,
                   default=None, help="Taxi: rainy moves may slip sideways")
    g.add_argument("--step-cap", type=int, metavar="N", default=None,
                   help="safety cap on episode length for environments without a time limit "
                        f"(default {DEFAULT_STEP_CAP:,})")
    s = p.add_argument_group("search space (each: one value, a list, or a distribution)")
    s.add_argument("--algorithm", type=_values_arg(str), action="append", metavar="NAMES",
                   help="learning rules: q_learning (default), double_q, sarsa, "
                        "expected_sarsa")
    s.add_argument("--alpha", type=_values_arg(float), action="append", metavar="VALUES",
                   help="step sizes in (0, 1]: numbers or schedules (default 0.1)")
    s.add_argument("--gamma", type=_values_arg(float), action="append", metavar="VALUES",
                   help="discounts in [0, 1] (default 0.99)")
    s.add_argument("--epsilon", type=_values_arg(float), action="append", metavar="VALUES",
                   help="exploration rates in [0, 1]: numbers or schedules (default 0.1)")
    s.add_argument("--exploration", type=_values_arg(str), action="append", metavar="NAMES",
                   help="epsilon_greedy (default) or softmax")
    s.add_argument("--temperature", type=_values_arg(float), action="append", metavar="VALUES",
                   help="softmax temperatures > 0: numbers or schedules (default 1)")
    s.add_argument("--q-init", type=_values_arg(float), action="append", metavar="VALUES",
                   help="initial Q values (default 0)")
    s.add_argument("--max-steps", type=_values_arg(int), action="append", metavar="N",
                   help="episode time limits (default: the environment's)")
    s.add_argument("--samples", type=int, metavar="N", default=None,
                   help="random search: draw N configs (needs a uniform:/loguniform: value)")
    t = p.add_argument_group("training")
    t.add_argument("--seeds", type=int, metavar="N", default=8,
                   help="agents per config, seed indices 0..N-1 (default 8)")
    t.add_argument("--episodes", type=int, metavar="N", required=True,
                   help="training episodes per agent")
    t.add_argument("--seed", type=int, metavar="S", default=0,
                   help="the sweep's seed: agents' streams and random search (default 0)")
    t.add_argument("--chunk-agents", type=int, metavar="N", default=None,
                   help="agents per chunk, whole configs (default: about 1/16 of the sweep, "
                        "at least 256)")
    t.add_argument("--workers", type=int, metavar="N", default=None,
                   help="run chunks in N local processes (ProcessPoolExecutor)")
    t.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run chunks on a Dask cluster (scheduler address, e.g. "
                        "tcp://10.0.0.1:8786; needs dask[distributed])")
    t.add_argument("--threads", type=int, metavar="N", default=None,
                   help="Numba threads in this process (default: all, NUMBA_NUM_THREADS)")
    o = p.add_argument_group("evaluation and output")
    o.add_argument("--eval-episodes", type=int, metavar="N", default=100,
                   help="greedy evaluation episodes per agent (default 100; 0 skips)")
    o.add_argument("--curve", metavar="SPEC", default="auto",
                   help="learning curves kept: episodes, every:K, running:K, none or auto "
                        "(default: at most ~100 stride means)")
    o.add_argument("--out", metavar="DIR", default=None,
                   help="write manifest, chunks, table.csv and summary.csv to DIR")
    o.add_argument("--resume", action="store_true",
                   help="continue the sweep in --out DIR (finished chunks are kept)")
    o.add_argument("--plot", action="store_true",
                   help="also write DIR/figures/curves.png and heatmap.png (needs matplotlib)")
    o.add_argument("--top", type=int, metavar="N", default=5,
                   help="print the N best configs (default 5)")
    o.add_argument("--metric", default="final_return",
                   choices=("final_return", "auc", "eval_return", "success_rate"),
                   help="what --top and the figures rank by (default final_return)")
    o.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar (it needs tqdm and goes to stderr)")


def _sweep_space(args):
    """(grid, space, fixed) from the search-space options."""
    from .sweeps.space import Distribution

    grid, space, fixed = {}, {}, {}
    for option, (name, _) in SWEEP_AXES.items():
        given = getattr(args, option)
        if given is None:
            continue
        values = [v for chunk in given for v in chunk]
        flag = "--" + option.replace("_", "-")
        if any(isinstance(v, Distribution) for v in values):
            if len(values) != 1:
                raise ValueError(f"{flag}: a distribution ({values[0]!r}) must be the "
                                 "option's only value")
            if args.samples is None:
                raise ValueError(f"{flag} {values[0]!r} needs --samples N (random search)")
            space[name] = values[0]
        elif len(values) > 1:
            grid[name] = values
        else:
            fixed[name] = values[0]
    if args.samples is not None and not space:
        raise ValueError("--samples needs at least one uniform:LOW,HIGH or "
                         "loguniform:LOW,HIGH value to sample")
    return grid or None, space or None, fixed


def _run_sweep(args: argparse.Namespace) -> int:
    import numba

    import fastq
    from .sweeps.chunk import has_goal

    given = {k: getattr(args, k) for k in ENV_OPTIONS if getattr(args, k) is not None}
    accepted = env_options(args.env)
    for key in given:
        if key not in accepted:
            takes = ", ".join(ENV_OPTIONS[k] for k in accepted) or "none of these options"
            raise ValueError(f"{args.env} does not take {ENV_OPTIONS[key]} "
                             f"(it takes: {takes})")
    if args.plot and args.out is None:
        raise ValueError("--plot needs --out DIR (where the figures go)")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ValueError("--plot needs matplotlib: pip install 'fastq[sweep]'") from None
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out DIR (the sweep to continue)")
    if args.top < 0:
        raise ValueError(f"--top must be >= 0; got {args.top}")
    if args.workers is not None and args.dask is not None:
        raise ValueError("give --workers or --dask, not both")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1; got {args.workers}")
    grid, space, fixed = _sweep_space(args)
    if args.step_cap is not None:
        fixed["step_cap"] = args.step_cap
    env = fastq.make(args.env, **given)
    if args.metric == "success_rate" and not has_goal(env):
        raise ValueError(f"--metric success_rate: {args.env} has no goal (success_rate is "
                         "measured where rewards are >= 0 and positive only on termination)")
    threads = _check_threads(args.threads)
    previous_threads = numba.get_num_threads()
    executor, closers = _sweep_executor(args)
    try:
        if threads is not None:
            numba.set_num_threads(threads)
        res = fastq.sweep(env, grid, space=space, samples=args.samples, seeds=args.seeds,
                          episodes=args.episodes, seed=args.seed,
                          eval_episodes=args.eval_episodes, curve=args.curve,
                          chunk_agents=args.chunk_agents, out=args.out, resume=args.resume,
                          executor=executor, progress=args.progress and _have_tqdm(), **fixed)
    finally:
        numba.set_num_threads(previous_threads)
        for close in closers:
            close()
    _print_sweep(res, env, given, args)
    if args.plot and res.finished.any():
        figures = Path(args.out) / "figures"
        figures.mkdir(exist_ok=True)
        saved = []
        if res.curves.shape[2]:
            res.plot_curves(figures / "curves.png", n=min(6, max(1, args.top)),
                            metric=args.metric)
            saved.append(figures / "curves.png")
        varied = [a for a in res.axes if len({repr(c[a]) for c in res.configs}) > 1]
        if len(varied) >= 2:
            res.plot_heatmap(varied[0], varied[1], metric=args.metric,
                             path=figures / "heatmap.png")
            saved.append(figures / "heatmap.png")
        print(_line("figures", ", ".join(str(s) for s in saved) or
                    "none (no curves stored and fewer than two axes)"))
    if not res.complete:
        print(f"fastq: interrupted; {int(res.finished.sum())} of {len(res.configs)} configs "
              f"finished" + (f", kept in {args.out} (--resume continues)" if args.out else ""),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _sweep_executor(args):
    if args.workers is not None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # forked children of a process that ran Numba's OpenMP threads are not viable
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
            else "spawn"
        pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context(method))
        return pool, [pool.shutdown]
    if args.dask is not None:
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("--dask needs dask[distributed]: pip install 'fastq[sweep]'") \
                from None
        client = Client(args.dask)
        return client.get_executor(), [client.close]
    return None, []


def _print_sweep(res, env, given, args) -> None:
    from .sweeps.results import format_table

    options = ", ".join(f"{k}={v}" for k, v in given.items())
    name = f"{args.env} ({options})" if options else args.env
    limit = (f"time limit {env.max_steps:,} steps" if env.max_steps is not None
             else "no time limit")
    n_configs = len(res.configs)
    print(_line("env", f"{name}: {env.n_states} states, {env.n_actions} actions, {limit}"))
    print(_line("sweep", f"{n_configs:,} configs x {res.seeds} seeds = {res.n_agents:,} agents, "
                         f"{res.episodes:,} episodes each, seed {res.seed}"))
    axes = ", ".join(f"{a} ({len({repr(c[a]) for c in res.configs})})" for a in res.axes)
    print(_line("axes", axes or "none (one config)"))
    resumed = res.n_agents * res.finished.mean() - res.computed_agents
    extra = f", {int(resumed):,} agents read from {args.out}" if resumed else ""
    print(_line("time", f"{res.seconds:.3g} s for {res.computed_agents:,} agents, "
                        f"{_si(res.agents_per_second)} agents/s{extra}"))
    if args.out is not None and res.complete:
        out = Path(args.out)
        print(_line("saved", f"{out / 'table.csv'}, {out / 'summary.csv'}"))
    if args.top and res.finished.any():
        top = res.top(args.top, args.metric)
        cols = {"config": np.asarray(top["config"])}
        for a in res.axes:
            cols[a] = np.asarray(top[a])
        for m in ("final_return", "auc", "eval_return"):  # success_rate: in summary.csv
            mean, low, high = (np.asarray(top[f"{m}_{s}"]) for s in ("mean", "ci_low", "ci_high"))
            cols[m] = np.array([f"{x:.3f}" + (f" [{lo:.3f}, {hi:.3f}]" if np.isfinite(lo)
                                                  else "") for x, lo, hi in zip(mean, low, high)],
                               dtype=object)
        print(f"top {min(args.top, len(cols['config']))} by {args.metric} (mean [95% CI] "
              f"over {res.seeds} seeds):")
        print(format_table(cols))


# --------------------------------------------------------------------- bench
def _add_bench_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true",
                   help="short rounds (about 10 s after compilation), no start-up probe")
    p.add_argument("--threads", type=int, metavar="N", default=None,
                   help="Numba threads for the many-agent rows (default: 1 and all)")
    p.add_argument("--agents", type=int, metavar="N", default=1024,
                   help="agents of the many-agent rows (default 1024)")
    p.add_argument("--seconds", type=float, metavar="S", default=None,
                   help="length of one fastq round (3 rounds a row; default 0.5, "
                        "--quick 0.15); the Python loops run 4x as long")
    p.add_argument("--workloads", metavar="W,...", default="W1,W2,FL4",
                   help="W1 FrozenLake8x8-v1, W2 Taxi-v4, FL4 FrozenLake-v1 "
                        "(default all three)")
    p.add_argument("--startup", action=argparse.BooleanOptionalAction, default=None,
                   help="time import and first train in fresh processes, cold and warm "
                        "Numba cache (default: on, off with --quick)")
    p.add_argument("--gymnasium", action=argparse.BooleanOptionalAction, default=None,
                   help="also time the textbook loop on gymnasium env.step "
                        "(default: when gymnasium is installed)")
    p.add_argument("--retry-contended", type=int, metavar="N", default=0,
                   help="on a shared machine: re-measure a row up to N times when other "
                        "processes took the cores it needed, after waiting up to 30 s for "
                        "them (default 0)")
    p.add_argument("--markdown", action="store_true",
                   help="print the table as Markdown (the README's Performance section)")
    p.add_argument("--json", metavar="PATH", default=None,
                   help="also write every measurement and the machine as JSON")


def _run_bench(args: argparse.Namespace) -> int:
    from . import bench

    workloads = tuple(w.strip() for w in args.workloads.split(",") if w.strip())
    for w in workloads:
        if w not in bench.WORKLOADS:
            raise ValueError(f"--workloads: unknown workload {w!r}; "
                             f"choose from {', '.join(bench.WORKLOADS)}")
    if not workloads:
        raise ValueError("--workloads must name at least one workload")
    if args.agents < 1:
        raise ValueError(f"--agents must be >= 1; got {args.agents}")
    if args.retry_contended < 0:
        raise ValueError(f"--retry-contended must be >= 0; got {args.retry_contended}")
    if args.seconds is not None and not (args.seconds > 0 and math.isfinite(args.seconds)):
        raise ValueError(f"--seconds must be a positive number; got {args.seconds}")
    threads = _check_threads(args.threads)
    if args.gymnasium and not bench.have_gymnasium():
        raise ValueError("--gymnasium needs gymnasium (pip install gymnasium)")

    def log(text):
        print(f"fastq bench: {text}", file=sys.stderr, flush=True)

    result = bench.run_benchmarks(quick=args.quick, threads=threads, agents=args.agents,
                                  seconds=args.seconds, workloads=workloads,
                                  startup=args.startup, gymnasium=args.gymnasium,
                                  retries=args.retry_contended, log=log)
    print(bench.report(result, markdown=args.markdown))
    if args.json is not None:
        try:
            Path(args.json).write_text(json.dumps(bench.to_json(result), indent=2))
        except OSError as exc:
            print(f"fastq: error: cannot write {args.json}: {exc.strerror or exc}",
                  file=sys.stderr)
            return EXIT_FAILURE
    return EXIT_OK


# --------------------------------------------------------------------- commands
class Command(NamedTuple):
    """One subcommand: ``add_arguments(parser)`` then ``run(args) -> exit status``."""

    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    epilog: str | None = None


COMMANDS: dict[str, Command] = {
    "train": Command(
        help="train agents on an environment and summarize the run",
        description="Train --agents independent tabular learners on ENV for --episodes "
                    "episodes each (one batched Numba run), print a summary (final "
                    "training return and greedy evaluation, mean ± std over agents) "
                    "and optionally save the run (--out).",
        add_arguments=_add_train_arguments, run=_run_train,
        epilog=SCHEDULE_HELP + "\n\nexample:\n  fastq train FrozenLake8x8-v1 --agents 1024 "
                               "--episodes 5000 --epsilon linear:1,0.05,0.5 --out run.npz"),
    "envs": Command(
        help="list the built-in environments",
        description="The built-in environments: id, states, actions, whether transitions "
                    "are stochastic, time limit, and the Gymnasium id reproduced.",
        add_arguments=_add_envs_arguments, run=_run_envs),
    "sweep": Command(
        help="grid or random search: every config x seed as one agent of a batched run",
        description="Train every config of a grid (or random search) x --seeds seeds, "
                    "each config x seed one agent of a batched Numba run, chunk by chunk; "
                    "print the best configs (mean and 95% CI over seeds) and, with --out, "
                    "write the table, the summary, the chunks (for --resume) and, with "
                    "--plot, the figures.",
        add_arguments=_add_sweep_arguments, run=_run_sweep,
        epilog=SWEEP_HELP + "\n\n" + SCHEDULE_HELP + "\n\nexamples:\n  fastq sweep "
               "FrozenLake8x8-v1 --alpha 0.05,0.1,0.5 --gamma 0.9,0.99 --epsilon 0.05,0.1 "
               "--seeds 8 --episodes 5000 --out sweep/ --plot\n  fastq sweep FrozenLake-v1 "
               "--alpha loguniform:0.01,1 --gamma uniform:0.9,0.999 --samples 64 "
               "--episodes 2000"),
    "bench": Command(
        help="measure env-steps/s against the textbook loop on this machine",
        description="Env-steps/s of fastq on W1 (FrozenLake8x8-v1), W2 (Taxi-v4) and "
                    "FL4 (FrozenLake-v1), with 1 agent and --agents agents on 1 and all "
                    "threads, beside the textbook Python loop (and the same loop on "
                    "gymnasium env.step) measured in the same run; the speed-up over the "
                    "textbook loop, the machine, and start-up times. The pytest-benchmark "
                    "suite (python -m pytest bench --benchmark-only) covers more sizes.",
        add_arguments=_add_bench_arguments, run=_run_bench,
        epilog="examples:\n  fastq bench --quick\n  fastq bench --markdown   "
               "# the README's Performance table\n  fastq bench --threads 1 "
               "--agents 8192 --workloads W2"),
}


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="fastq",
        description="fastq: vectorized tabular Q-learning, thousands of agents at once "
                    "in Numba kernels.",
        epilog="`fastq COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"fastq {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="show the Python traceback of an error (for bug reports)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help,
                           description=textwrap.fill(command.description, 79),
                           epilog=command.epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_arguments(p)
        p.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``fastq`` command line; returns the exit status (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.argv = argv
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.run(args)
        except (ValueError, TypeError) as exc:
            if args.traceback:
                raise
            print(f"fastq: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            if args.traceback:
                raise
            print("fastq: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"fastq: warning: {message}", file=sys.stderr)
