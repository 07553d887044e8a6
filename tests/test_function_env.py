"""FunctionEnv: the user's @njit step/reset inside the kernels, on the agents' streams."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastq
from reference import envs as ref_envs, episodes as ref_episodes, rng as ref_rng
from fastq._inputs import encode_hyperparameters


@numba.njit
def walk_step(state, action, rng):
    """A noisy walk on 6 states: every fastq.rng helper is used."""
    move = 1 if action == 0 else -1
    if fastq.rng.uniform(rng) < 0.2:
        move = fastq.rng.integers(rng, 3) - 1
    next_state = min(max(state + move, 0), 5)
    reward = (1.0 if next_state == 5 else 0.0) + 0.1 * fastq.rng.normal(rng)
    return next_state, reward, next_state == 5


@numba.njit
def walk_reset(rng):
    return fastq.rng.integers(rng, 3)


WALK = fastq.FunctionEnv(6, 2, walk_step, walk_reset, max_steps=20)


@pytest.mark.parametrize("algorithm", ["q_learning", "sarsa"])
@given(seed=st.integers(0, 2**64 - 1), n_agents=st.integers(1, 9), episodes=st.integers(1, 8),
       epsilon=st.floats(0, 1))
@settings(max_examples=10)
def test_function_env_matches_twin(algorithm, seed, n_agents, episodes, epsilon):
    run = fastq.train(WALK, episodes=episodes, agents=n_agents, seed=seed, epsilon=epsilon,
                      algorithm=algorithm, alpha=0.3, gamma=0.9)
    hyper = encode_hyperparameters(n_agents, episodes, 0.3, 0.9, epsilon, 1.0)
    for i in range(n_agents):
        tables = [[[0.0, 0.0] for _ in range(6)]]
        stream = ref_rng.seed_stream(seed, i)
        rows = dict(alpha=hyper.alpha[i].tolist(), epsilon=hyper.epsilon[i].tolist(),
                    temperature=hyper.temperature[i].tolist(), gamma=0.9)
        returns, lengths = ref_episodes.train_agent(tables, stream, ref_envs.FunctionModel(WALK),
                                                    rows, 0, episodes, 20, algorithm)
        assert run.tables[0, i].tolist() == tables[0]
        assert run.returns[i].tolist() == returns and run.lengths[i].tolist() == lengths
        assert [int(w) for w in run.rng_state[i]] == stream


def test_function_env_agent_does_not_depend_on_batch_or_chunks():
    big = fastq.train(WALK, episodes=40, agents=50, seed=3)
    small = fastq.train(WALK, episodes=40, agents=8, seed=3, chunk_episodes=7)
    np.testing.assert_array_equal(big.q[:8], small.q)
    np.testing.assert_array_equal(big.returns[:8], small.returns)
    evaluation = big.evaluate(episodes=50, seed=1)
    assert evaluation.shape == (50,) and np.isfinite(evaluation).all()


# ---------------------------------------------------------------- Sutton & Barto Example 6.7
@numba.njit
def bias_step(state, action, rng):
    """Maximization bias: from A (0), even actions go left to B (1), odd end the
    episode (reward 0); every action in B ends it with reward N(-0.1, 1)."""
    if state == 0:
        if action % 2 == 0:
            return 1, 0.0, False
        return 2, 0.0, True
    return 2, -0.1 + fastq.rng.normal(rng), True


@numba.njit
def bias_reset(rng):
    return 0


def test_double_q_learning_avoids_maximization_bias():
    """Q-learning goes left from A far more often early on than Double Q-learning
    (Sutton & Barto Figure 6.5); left is worse: its expected return is -0.1."""
    env = fastq.FunctionEnv(3, 10, bias_step, bias_reset, max_steps=10)
    left = {}
    for algorithm in ("q_learning", "double_q"):
        run = fastq.train(env, episodes=100, agents=1000, algorithm=algorithm, alpha=0.1,
                          gamma=1.0, epsilon=0.1, seed=0)
        left[algorithm] = (run.lengths == 2).mean(axis=0)  # two steps: went through B
    assert left["q_learning"][5:30].mean() > left["double_q"][5:30].mean() + 0.15
    assert left["double_q"][-20:].mean() < 0.15


# ---------------------------------------------------------------- bad functions
@numba.njit
def runaway_step(state, action, rng):
    return state + 1, 0.0, False


@numba.njit
def nan_step(state, action, rng):
    return 1, np.nan, False


@numba.njit
def bad_reset(rng):
    return 7


@pytest.mark.parametrize("step, reset, words", [
    (runaway_step, walk_reset, ["next_state 6", "[0, 6)"]),
    (nan_step, walk_reset, ["reward nan", "finite"]),
    (walk_step, bad_reset, ["reset returned state 7", "[0, 6)"]),
])
def test_invalid_states_and_rewards_raise(step, reset, words):
    env = fastq.FunctionEnv(6, 2, step, reset, max_steps=20)
    with pytest.raises(ValueError) as info:
        fastq.train(env, episodes=5, agents=3)
    for word in words:
        assert word in str(info.value)


def test_plain_python_functions_are_refused():
    with pytest.raises(TypeError, match="step must be a @numba.njit function"):
        fastq.FunctionEnv(3, 2, lambda s, a, rng: (s, 0.0, True), walk_reset)
