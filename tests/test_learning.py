"""Learning results checked against numbers nobody here wrote: exact value
iteration and the optimal policy's success rate on Gymnasium's FrozenLake."""
import numpy as np

import fastq
from fastq.envs.planning import policy_values


def test_frozenlake_greedy_policy_approaches_optimum():
    env = fastq.make("FrozenLake-v1")  # 4x4, slippery, 100 steps
    q_star = env.value_iteration(gamma=0.99)
    optimum = fastq.train(env, episodes=1, agents=1)
    optimum.q[0] = q_star
    optimal_success = optimum.evaluate(episodes=20_000, seed=1)[0]
    assert 0.70 < optimal_success < 0.80  # the known ~0.74 within 100 steps

    run = fastq.train(env, episodes=20_000, agents=32, alpha=0.05, gamma=0.99,
                      epsilon=fastq.linear(1.0, 0.05, over=0.5), seed=0)
    success = run.evaluate(episodes=2_000, seed=2)
    assert np.median(success) > optimal_success - 0.08
    # and learning is real: a random policy almost never reaches the goal
    assert run.returns[:, :100].mean() < 0.05


def test_q_learning_converges_to_value_iteration_on_chain():
    env = fastq.make("Chain-v0", n_states=6)
    run = fastq.train(env, episodes=3000, agents=4, alpha=0.5, gamma=0.9, epsilon=1.0, seed=0)
    np.testing.assert_allclose(run.q, np.broadcast_to(env.value_iteration(0.9), run.q.shape),
                               atol=1e-6)


def test_q_values_stay_within_reward_bounds():
    env = fastq.random_mdp(8, 3, seed=4, reward_scale=2.0)
    gamma = 0.9
    run = fastq.train(env, episodes=300, agents=16, gamma=gamma, alpha=0.7, seed=1)
    r_min, r_max = env.rewards.min(), env.rewards.max()
    assert run.q.min() >= min(0.0, r_min, r_min / (1 - gamma)) - 1e-12
    assert run.q.max() <= max(0.0, r_max, r_max / (1 - gamma)) + 1e-12


def test_greedy_policy_of_q_star_is_optimal_on_taxi():
    env = fastq.make("Taxi-v4")
    q_star = env.value_iteration(gamma=0.99)
    v_pi = policy_values(env, q_star.argmax(axis=1), 0.99)
    np.testing.assert_allclose(v_pi, q_star.max(axis=1), atol=1e-6)


def _greedy_path_length(env, policy, start, limit=100):
    """Steps the deterministic greedy policy takes from start to termination."""
    P, _, terminal, _ = env.to_arrays()
    s = start
    for t in range(1, limit + 1):
        s_next = int(P[s, policy[s]].argmax())
        if terminal[s, policy[s], s_next]:
            return t
        s = s_next
    return limit


def test_cliff_walking_q_learning_takes_the_edge_sarsa_the_safe_path():
    """Sutton & Barto Example 6.6 (epsilon 0.1, alpha 0.5): Q-learning learns the
    optimal path along the cliff (13 steps) but its online return is worse than
    SARSA's, which learns a longer, safer path."""
    env = fastq.make("CliffWalking-v1")
    runs = {algorithm: fastq.train(env, episodes=500, agents=50, algorithm=algorithm,
                                   alpha=0.5, gamma=1.0, epsilon=0.1, seed=0)
            for algorithm in ("q_learning", "sarsa")}
    paths = {name: np.array([_greedy_path_length(env, p, 36) for p in run.policy()])
             for name, run in runs.items()}
    assert np.mean(paths["q_learning"] == 13) > 0.9
    assert np.median(paths["sarsa"]) > 13
    online = {name: run.returns[:, 100:].mean() for name, run in runs.items()}
    assert online["q_learning"] < online["sarsa"] - 10  # the book: about -50 vs -25
