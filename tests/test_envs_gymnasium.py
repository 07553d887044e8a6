"""The built-ins against Gymnasium's own P, and the adapter (skipped without Gymnasium)."""
import warnings

import numpy as np
import pytest

from fastq.envs import TabularEnv, make
from fastq.envs.gymnasium import transitions_of
from fastq.envs.toy_text import cliff_walking, frozen_lake, taxi

gymnasium = pytest.importorskip("gymnasium")

CUSTOM_MAP = ["SFFHF", "FHFSF", "FFFFG"]  # not square, two starts
CASES = [
    ("FrozenLake-v1", {}),
    ("FrozenLake-v1", {"map_name": "8x8"}),
    ("FrozenLake-v1", {"is_slippery": False}),
    ("FrozenLake-v1", {"success_rate": 0.75}),
    ("FrozenLake-v1", {"success_rate": 1.0}),  # Gymnasium lists the 0-probability slips
    ("FrozenLake-v1", {"success_rate": 0.0}),
    ("FrozenLake-v1", {"desc": CUSTOM_MAP, "reward_schedule": (2, -1, 0.5)}),
    ("FrozenLake8x8-v1", {}),
    ("FrozenLake8x8-v1", {"is_slippery": False}),
    ("Taxi-v4", {}),
    ("Taxi-v4", {"is_rainy": True}),
    ("Taxi-v4", {"is_rainy": True, "rainy_probability": 0.55}),
    ("Taxi-v4", {"is_rainy": True, "rainy_probability": 1.0}),
    ("CliffWalking-v1", {}),
    ("CliffWalking-v1", {"is_slippery": True}),
    ("CliffWalkingSlippery-v1", {}),
    ("CliffWalkingSlippery-v1", {"is_slippery": False}),
]
ALIASES = {"Taxi-v3": "Taxi-v4", "CliffWalking-v0": "CliffWalking-v1"}  # retired by Gymnasium


def gym_make(env_id, **kwargs):
    return gymnasium.make(ALIASES.get(env_id, env_id), **kwargs)


def gym_csr(P, n_states, n_actions):
    """Gymnasium's P as per-pair outcome lists, 0-probability outcomes left out."""
    return [[(float(p), int(s2), float(r), bool(t)) for p, s2, r, t in P[s][a] if p != 0]
            for s in range(n_states) for a in range(n_actions)]


def env_csr(env):
    o = env.offsets
    return [list(zip(env.probs[o[i]:o[i + 1]].tolist(), env.next_states[o[i]:o[i + 1]].tolist(),
                     env.rewards[o[i]:o[i + 1]].tolist(), env.terminated[o[i]:o[i + 1]].tolist()))
            for i in range(len(o) - 1)]


def same_env(a, b):
    for name in ("offsets", "probs", "next_states", "rewards", "terminated", "initial"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.n_states, a.n_actions, a.max_steps) == (b.n_states, b.n_actions, b.max_steps)


def case_id(value):
    return value if isinstance(value, str) else ",".join(map(str, value)) or "default"


@pytest.mark.parametrize("env_id, kwargs", CASES + [(alias, {}) for alias in ALIASES], ids=case_id)
def test_builtins_equal_gymnasium(env_id, kwargs):
    ours, theirs = make(env_id, **kwargs), gym_make(env_id, **kwargs)
    base = theirs.unwrapped
    assert (ours.n_states, ours.n_actions) == (base.observation_space.n, base.action_space.n)
    assert env_csr(ours) == gym_csr(base.P, ours.n_states, ours.n_actions)  # exact floats
    assert np.array_equal(ours.initial, base.initial_state_distrib)
    assert ours.max_steps == theirs.spec.max_episode_steps


@pytest.mark.parametrize("builder, env_id, kwargs", [
    (frozen_lake, "FrozenLake-v1", {"success_rate": 1.0}),
    (taxi, "Taxi-v4", {"is_rainy": True, "rainy_probability": 1.0}),
    (cliff_walking, "CliffWalking-v1", {"is_slippery": True}),
])
def test_builder_P_lists_equal_gymnasium_with_zero_probabilities(builder, env_id, kwargs,
                                                                  monkeypatch):
    # The builders' own P dicts, before from_transitions drops the zero-probability outcomes.
    captured = {}
    monkeypatch.setattr(TabularEnv, "from_transitions", lambda P, **kw: captured.update(P=P))
    builder(**kwargs)
    assert captured["P"] == gymnasium.make(env_id, **kwargs).unwrapped.P


@pytest.mark.parametrize("env_id, kwargs", CASES[:1] + CASES[7:8] + CASES[9:11] + CASES[13:16])
def test_from_gymnasium_round_trip(env_id, kwargs):
    ours = make(env_id, **kwargs)
    same_env(TabularEnv.from_gymnasium(gym_make(env_id, **kwargs)), ours)
    assert TabularEnv.from_gymnasium(gym_make(env_id, **kwargs)).name == env_id


def test_time_limits():
    assert make("FrozenLake-v1", max_steps=7).max_steps == \
        gymnasium.make("FrozenLake-v1", max_episode_steps=7).spec.max_episode_steps
    wrapped = gymnasium.wrappers.TimeLimit(gymnasium.make("CliffWalking-v1"), max_episode_steps=13)
    assert TabularEnv.from_gymnasium(wrapped).max_steps == 13
    assert TabularEnv.from_gymnasium(gymnasium.make("FrozenLake-v1")).max_steps == 100
    # make() gives the unwrapped env a spec copy with no limit: it has none without TimeLimit
    assert TabularEnv.from_gymnasium(gymnasium.make("FrozenLake-v1").unwrapped).max_steps is None
    assert TabularEnv.from_gymnasium(gymnasium.make("Taxi-v4"), max_steps=None).max_steps is None
    assert TabularEnv.from_gymnasium(gymnasium.make("Taxi-v4"), max_steps=5).max_steps == 5
    kwargs = transitions_of(gymnasium.make("CliffWalking-v1"))
    assert set(kwargs) == {"P", "n_states", "n_actions", "initial", "max_steps", "name"}
    assert kwargs["max_steps"] is None and kwargs["name"] == "CliffWalking-v1"


class TwoStateEnv(gymnasium.Env):
    """A tabular env without initial_state_distrib (and without a spec)."""

    observation_space = gymnasium.spaces.Discrete(2)
    action_space = gymnasium.spaces.Discrete(1)
    P = {0: {0: [(1.0, 1, 1.0, True)]}, 1: {0: [(1.0, 1, 0.0, True)]}}


def test_env_without_initial_distribution_starts_in_state_0_with_a_warning():
    message = "no initial_state_distrib; assuming every episode starts in state 0"
    with pytest.warns(UserWarning, match=message):
        env = TabularEnv.from_gymnasium(TwoStateEnv())
    assert env.initial.tolist() == [1.0, 0.0]
    assert env.max_steps is None and env.name == "TwoStateEnv"


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Blackjack-v1"])
def test_env_without_tabular_model_is_refused(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = gymnasium.make(env_id)
    with pytest.raises(TypeError, match=r"env must have a tabular model: .*env.unwrapped.P"):
        TabularEnv.from_gymnasium(env)


def test_bad_max_steps():
    with pytest.raises(ValueError, match=r"unknown max_steps 'never'; allowed: 'auto'"):
        TabularEnv.from_gymnasium(gymnasium.make("FrozenLake-v1"), max_steps="never")
    with pytest.raises(ValueError, match=r"max_steps must be an integer >= 1; got 0"):
        TabularEnv.from_gymnasium(gymnasium.make("FrozenLake-v1"), max_steps=0)


def test_frozen_lake_accepts_gymnasium_desc_arrays():
    base = gymnasium.make("FrozenLake-v1", desc=CUSTOM_MAP).unwrapped  # desc as bytes (3, 5)
    assert env_csr(frozen_lake(desc=base.desc)) == env_csr(frozen_lake(desc=CUSTOM_MAP))
