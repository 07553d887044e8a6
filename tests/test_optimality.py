"""track_optimality: max |Q - Q*| and the greedy value gap, against direct linear algebra."""
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastq


def _policy_value_with_ties(env, q, gamma):
    """V^pi for the greedy policy of q with ties shared equally, by solving (I - gamma P) V = r."""
    S, A = q.shape
    P, R, terminal, _ = env.to_arrays()
    pi = (q == q.max(axis=1, keepdims=True)).astype(float)
    pi /= pi.sum(axis=1, keepdims=True)
    P_pi = np.einsum("sa,sat->st", pi, P * ~terminal)
    r_pi = np.einsum("sa,sat->s", pi, P * R)
    return np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)


@given(seed=st.integers(0, 1000), gamma=st.floats(0.0, 0.95))
@settings(max_examples=15)
def test_measurements_equal_linear_algebra(seed, gamma):
    env = fastq.random_mdp(6, 3, seed=seed)
    run = fastq.train(env, episodes=20, agents=5, gamma=gamma, seed=seed, alpha=0.5,
                      track_optimality=10)
    q_star = env.value_iteration(gamma)
    v_star = q_star.max(axis=1) @ env.initial
    assert run.optimality["episodes"].tolist() == [10, 20]
    for i in range(5):
        np.testing.assert_allclose(run.optimality["q_error"][i, -1],
                                   np.abs(run.q[i] - q_star).max(), rtol=1e-12, atol=1e-12)
        gap = v_star - _policy_value_with_ties(env, run.q[i], gamma) @ env.initial
        np.testing.assert_allclose(run.optimality["value_gap"][i, -1], gap, atol=1e-8)


def test_gap_shrinks_to_zero_when_learning_succeeds():
    env = fastq.make("Chain-v0", n_states=6)
    run = fastq.train(env, episodes=400, agents=8, gamma=0.9, alpha=0.5, epsilon=1.0,
                      track_optimality=1)
    assert run.optimality["value_gap"][:, 0].max() > 0.1  # after one episode: not yet
    np.testing.assert_allclose(run.optimality["value_gap"][:, -1], 0.0, atol=1e-9)
    assert (run.optimality["q_error"][:, -1] < 1e-6).all()


def test_double_q_is_measured_on_the_mean_of_its_tables():
    env = fastq.make("FrozenLake-v1")
    run = fastq.train(env, episodes=50, agents=3, algorithm="double_q", track_optimality=50)
    q_star = env.value_iteration(0.99)
    np.testing.assert_allclose(run.optimality["q_error"][:, 0],
                               np.abs(run.q - q_star).max(axis=(1, 2)), atol=1e-12)


@numba.njit
def _step(state, action, rng):
    return 0, 0.0, True


@numba.njit
def _reset(rng):
    return 0


def test_needs_a_known_model():
    env = fastq.FunctionEnv(2, 2, _step, _reset, max_steps=5)
    with pytest.raises(TypeError, match="track_optimality needs a TabularEnv"):
        fastq.train(env, episodes=5, track_optimality=True)


def test_bad_interval():
    with pytest.raises(ValueError, match="track_optimality"):
        fastq.train(fastq.make("FrozenLake-v1"), episodes=5, track_optimality=0)
