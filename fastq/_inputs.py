"""From user input to kernel input: rule codes, streams, encoded hyperparameters,
tables, limits; every check at the public boundary lives here or in _validate."""
from __future__ import annotations

import numpy as np

from . import _validate, schedules
from .envs.function import FunctionEnv
from .envs.tabular import TabularEnv
from .kernels import episodes as _episodes
from .kernels.policy import EPSILON_GREEDY, SOFTMAX
from .kernels.rng import seed_streams
from .kernels.updates import DOUBLE_Q, EXPECTED_SARSA, Q_LEARNING, SARSA

ALGORITHMS = {"q_learning": Q_LEARNING, "double_q": DOUBLE_Q, "sarsa": SARSA,
              "expected_sarsa": EXPECTED_SARSA}
EXPLORATIONS = {"epsilon_greedy": EPSILON_GREEDY, "softmax": SOFTMAX}
DEFAULT_STEP_CAP = 1_000_000
EVALUATION_DOMAIN = 0x5EED_0F_E7A1_0A7E  # evaluation streams never replay training streams


def agent_streams(seed: int, n_agents: int, first_agent: int = 0) -> np.ndarray:
    """uint64 (n_agents, 4) xoshiro256++ states of agents first_agent.. for ``seed``."""
    state = np.empty((n_agents, 4), np.uint64)
    seed_streams(np.uint64(seed), np.int64(first_agent), state)
    return state


def make_streams(seed: int, n_agents: int, stream_ids=None) -> np.ndarray:
    """The streams of agents 0.. (or of the given stream ids) for ``seed``."""
    if stream_ids is None:
        return agent_streams(seed, n_agents)
    ids = _validate.index_array("stream_ids", stream_ids, 2**62, shape=(n_agents,))
    return np.concatenate([agent_streams(seed, 1, int(i)) for i in ids])


def n_tables(algorithm: str) -> int:
    """Q tables per agent: two for Double Q-learning, else one."""
    return 2 if algorithm == "double_q" else 1


def encode_hyperparameters(n_agents, n_episodes, alpha, gamma, epsilon, temperature):
    """Validate the hyperparameters and encode them per agent for the kernels."""
    return _episodes.Hyperparameters(
        alpha=schedules.encode("alpha", alpha, n_agents, n_episodes, 0.0, 1.0, low_open=True),
        epsilon=schedules.encode("epsilon", epsilon, n_agents, n_episodes, 0.0, 1.0),
        temperature=schedules.encode("temperature", temperature, n_agents, n_episodes, 0.0,
                                     np.inf, low_open=True),
        gamma=_validate.per_agent("gamma", gamma, n_agents, 0.0, 1.0),
    )


def parse_record(record: str, n_episodes: int) -> int:
    """Episodes per recorded column: 'episodes' 1, 'every:K' K, 'mean'/'none' all."""
    if isinstance(record, str) and record.startswith("every:"):
        try:
            stride = int(record[6:])
        except ValueError:
            stride = 0
        if stride < 1:
            raise ValueError(f"record 'every:K' needs an integer K >= 1; got {record!r}")
        return min(stride, n_episodes)
    _validate.choice("record", record, ("episodes", "every:K", "mean", "none"))
    return 1 if record == "episodes" else n_episodes


def resolve_max_steps(env, max_steps, step_cap) -> int:
    """The episode step limit the kernels enforce (the safety cap when there is none)."""
    step_cap = _validate.count("step_cap", step_cap)
    if max_steps is not None:
        return _validate.count("max_steps", max_steps)
    return env.max_steps if env.max_steps is not None else step_cap


def check_env(env):
    if not isinstance(env, (TabularEnv, FunctionEnv)):
        raise TypeError(f"env must be a fastq TabularEnv (fastq.make(...), "
                        f"TabularEnv.from_arrays(...)) or a fastq.FunctionEnv; "
                        f"got {type(env).__name__}")
    return env


def raise_env_errors(env) -> None:
    if isinstance(env, FunctionEnv):
        env.raise_errors()


DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32"}


def check_dtype(dtype) -> np.dtype:
    """float64 (default) or float32 Q tables."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in DTYPES:
        raise TypeError(f"dtype must be np.float64 or np.float32; got {dtype!r}")
    return dtype


def initial_tables(q_init, n_tables, agents, env, dtype=np.float64):
    """(n_tables, agents, S, A) tables from a number, an (S, A) table or per-agent
    tables (allocated once: no temporary copy of the whole batch)."""
    dtype = check_dtype(dtype)
    tables = np.empty((n_tables, agents, env.n_states, env.n_actions), dtype)
    shape = tables.shape[1:]
    if np.ndim(q_init) == 0:
        tables[...] = _validate.real("q_init", q_init, -np.inf, np.inf)
        return tables
    q = _validate.real_array("q_init", q_init)
    if q.shape not in (shape, shape[1:]):
        raise ValueError(f"q_init must be a number, shape {shape[1:]} or shape {shape}; "
                         f"got shape {q.shape}")
    tables[...] = q
    return tables
