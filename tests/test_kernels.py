"""Every kernel equals its pure-Python twin in tests/reference, bit for bit."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastq
from fastq._inputs import ALGORITHMS, EVALUATION_DOMAIN, EXPLORATIONS, agent_streams, \
    encode_hyperparameters
from fastq.kernels import policy, rng, schedules as kschedules, updates
from fastq.schedules import encode
from reference import envs as ref_envs, episodes as ref_episodes, policy as ref_policy
from reference import rng as ref_rng, schedules as ref_schedules, updates as ref_updates
from strategies import alphas, epsilons, gammas, mdps, seeds, temperatures

finite = st.floats(-1e6, 1e6, allow_nan=False)


# ---------------------------------------------------------------- rng
@given(seed=seeds, agent=st.integers(0, 10**6))
def test_seed_streams_match_twin(seed, agent):
    state = agent_streams(seed, 1, first_agent=agent)
    assert [int(w) for w in state[0]] == ref_rng.seed_stream(seed, agent)


def test_ten_thousand_draws_match_twin():
    state = agent_streams(12345, 3)
    twins = [ref_rng.seed_stream(12345, i) for i in range(3)]
    for i in range(3):
        row = state[i]
        draws = [int(rng.next_u64(row)) for _ in range(10_000)]
        assert draws == [ref_rng.next_u64(twins[i]) for _ in range(10_000)]
        assert [int(w) for w in row] == twins[i]


def test_xoshiro_reference_vector():
    """xoshiro256++ from state (1, 2, 3, 4): the published reference implementation's output."""
    state = [1, 2, 3, 4]
    assert [ref_rng.next_u64(state) for _ in range(3)] == \
        [41943041, 58720359, 3588806011781223]


@given(seed=seeds, n=st.integers(1, 2**32))
def test_uniform_integers_normal_match_twin(seed, n):
    state = agent_streams(seed, 1)[0]
    twin = ref_rng.seed_stream(seed, 0)
    assert rng.uniform(state) == ref_rng.uniform(twin)
    assert rng.integers(state, n) == ref_rng.integers(twin, n)
    assert rng.normal(state) == ref_rng.normal(twin)
    assert [int(w) for w in state] == twin


# ---------------------------------------------------------------- policy and updates
rows = st.integers(1, 10).flatmap(
    lambda n: st.lists(st.sampled_from([0.0, 1.0, -1.0, 0.5]) | finite, min_size=n, max_size=n))


@given(row=rows, draw=st.integers(0, 2**64 - 1), epsilon=st.floats(0, 1))
def test_epsilon_greedy_matches_twin(row, draw, epsilon):
    q_flat = np.array(row)
    threshold = int(epsilon * 4294967296.0)
    got = policy.epsilon_greedy(q_flat, np.uint64(0), np.uint64(0), np.uint64(draw),
                                np.uint64(threshold), len(row))
    assert got == ref_policy.epsilon_greedy(row, draw, threshold)


@given(row=rows, next_row=rows, r=finite, terminated=st.booleans(),
       alpha=st.floats(0, 1, exclude_min=True), gamma=st.floats(0, 1))
def test_q_learning_update_matches_twin(row, next_row, r, terminated, alpha, gamma):
    n = min(len(row), len(next_row))
    table = [row[:n], next_row[:n]]
    q_flat = np.array(table).reshape(-1)
    td = updates.q_learning_update(q_flat, np.uint64(0), n - 1, r, np.uint64(n), terminated,
                                   alpha, gamma, n)
    twin = [list(x) for x in table]
    assert td == ref_updates.q_learning_update(twin, 0, n - 1, r, 1, terminated, alpha, gamma)
    assert q_flat.reshape(2, n).tolist() == twin


@given(schedule=alphas | epsilons, episode=st.integers(0, 10_000),
       n_episodes=st.integers(1, 10_000))
def test_schedule_value_matches_twin(schedule, episode, n_episodes):
    row = encode("alpha", schedule, 1, n_episodes, 0.0, 1.0)[0]
    assert kschedules.schedule_value(row, episode) == \
        ref_schedules.schedule_value(row.tolist(), episode)


# ---------------------------------------------------------------- environments
@given(env=mdps())
def test_thresholds_match_twin(env):
    thresholds = env.kernel_arrays().thresholds
    for pair in range(env.n_states * env.n_actions):
        twin = ref_envs.thresholds(env, pair)
        assert thresholds[pair, :len(twin) - 1].tolist() == twin[:-1]
        assert (thresholds[pair, len(twin) - 1:] == 2**32).all()


@given(row=rows, draw=st.integers(0, 2**64 - 1), temperature=st.floats(0.01, 100))
def test_softmax_action_matches_twin(row, draw, temperature):
    got = policy.softmax_action(np.array(row), np.uint64(0), np.uint64(0), np.uint64(draw),
                                temperature, len(row))
    assert got == ref_policy.softmax_action(row, draw, temperature)


@given(row=rows, epsilon=st.floats(0, 1), temperature=st.floats(0.01, 100),
       exploration=st.sampled_from(["epsilon_greedy", "softmax"]))
def test_expected_value_matches_twin(row, epsilon, temperature, exploration):
    code = EXPLORATIONS[exploration]
    got = policy.expected_value(np.array(row), np.uint64(0), len(row), epsilon, temperature, code)
    assert got == ref_policy.expected_value(row, epsilon, temperature, exploration)


@given(row=rows, next_row=rows, r=finite, terminated=st.booleans(), draw=st.integers(0, 2**64 - 1),
       alpha=st.floats(0, 1, exclude_min=True), gamma=st.floats(0, 1))
def test_double_q_update_matches_twin(row, next_row, r, terminated, draw, alpha, gamma):
    n = min(len(row), len(next_row))
    table_a, table_b = [row[:n], next_row[:n]], [next_row[:n], row[:n]]
    q_flat = np.array([table_a, table_b]).reshape(-1)
    td = updates.double_q_update(q_flat, np.uint64(0), n - 1, r, np.uint64(n), terminated,
                                 alpha, gamma, np.uint64(2 * n), np.uint64(draw), n)
    twin_a, twin_b = [list(x) for x in table_a], [list(x) for x in table_b]
    assert td == ref_updates.double_q_update(twin_a, twin_b, 0, n - 1, r, 1, terminated, alpha,
                                             gamma, draw)
    assert q_flat.reshape(2, 2, n).tolist() == [twin_a, twin_b]


# ---------------------------------------------------------------- whole training runs
def _model(env):
    if isinstance(env, fastq.FunctionEnv):
        return ref_envs.FunctionModel(env)
    return ref_envs.TabularModel(env)


def _twin_tables(run, i):
    return [[list(row) for row in run.tables[t, i]] for t in range(run.tables.shape[0])]


def _check_train_matches_twin(algorithm, exploration, env, n_agents, episodes, seed, alpha,
                              epsilon, temperature, gamma, data):
    gamma_per_agent = data.draw(st.lists(gammas, min_size=n_agents, max_size=n_agents)
                                | st.just(gamma))
    run = fastq.train(env, episodes=episodes, agents=n_agents, alpha=alpha, epsilon=epsilon,
                      gamma=np.asarray(gamma_per_agent), seed=seed, algorithm=algorithm,
                      exploration=exploration, temperature=temperature)
    hyper = encode_hyperparameters(n_agents, episodes, alpha, np.asarray(gamma_per_agent),
                                   epsilon, temperature)
    n_tables = 2 if algorithm == "double_q" else 1
    for i in range(n_agents):
        tables = [[[0.0] * env.n_actions for _ in range(env.n_states)] for _ in range(n_tables)]
        stream = ref_rng.seed_stream(seed, i)
        rows = dict(alpha=hyper.alpha[i].tolist(), epsilon=hyper.epsilon[i].tolist(),
                    temperature=hyper.temperature[i].tolist(), gamma=float(hyper.gamma[i]))
        returns, lengths = ref_episodes.train_agent(tables, stream, _model(env), rows, 0,
                                                    episodes, env.max_steps, algorithm,
                                                    exploration)
        assert _twin_tables(run, i) == tables
        assert run.returns[i].tolist() == returns
        assert run.lengths[i].tolist() == lengths
        assert [int(w) for w in run.rng_state[i]] == stream


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
@pytest.mark.parametrize("exploration", sorted(EXPLORATIONS))
@given(env=mdps(max_actions=3, fixed_shape=True), n_agents=st.integers(1, 9),
       episodes=st.integers(1, 12), seed=seeds, alpha=alphas, epsilon=epsilons,
       temperature=temperatures, gamma=gammas, data=st.data())
@settings(max_examples=25)
def test_train_matches_twin(algorithm, exploration, env, n_agents, episodes, seed, alpha,
                            epsilon, temperature, gamma, data):
    """Every rule, on MDPs of one shape (one compilation per rule)."""
    _check_train_matches_twin(algorithm, exploration, env, n_agents, episodes, seed, alpha,
                              epsilon, temperature, gamma, data)


@given(env=mdps(), n_agents=st.integers(1, 9), episodes=st.integers(1, 12), seed=seeds,
       alpha=alphas, epsilon=epsilons, gamma=gammas, data=st.data())
def test_q_learning_matches_twin_on_any_shape(env, n_agents, episodes, seed, alpha, epsilon,
                                              gamma, data):
    """The default rule on every shape (1-4 actions, 1-3 outcomes)."""
    _check_train_matches_twin("q_learning", "epsilon_greedy", env, n_agents, episodes, seed,
                              alpha, epsilon, 1.0, gamma, data)


@pytest.mark.parametrize("algorithm", ["q_learning", "double_q"])
@given(env=mdps(), episodes=st.integers(1, 5), seed=seeds, data=st.data())
def test_evaluate_matches_twin(algorithm, env, episodes, seed, data):
    n_agents = 3
    run = fastq.train(env, episodes=1, agents=n_agents, seed=0, algorithm=algorithm)
    values = data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=run.tables.size,
                                max_size=run.tables.size))
    run.tables[:] = np.reshape(values, run.tables.shape)
    got = run.evaluate(episodes=episodes, seed=seed)
    for i in range(n_agents):
        stream = ref_rng.seed_stream(seed ^ EVALUATION_DOMAIN, i)
        assert got[i] == ref_episodes.evaluate_agent(_twin_tables(run, i), stream,
                                                     ref_envs.TabularModel(env), episodes,
                                                     env.max_steps)


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
@given(env=mdps(max_actions=3, fixed_shape=True), n_agents=st.integers(1, 5),
       n_copies=st.integers(2, 5), episodes=st.integers(1, 12), chunk=st.integers(1, 12),
       seed=seeds, alpha=alphas, epsilon=epsilons, data=st.data())
@settings(max_examples=15)
def test_parallel_envs_match_twin(algorithm, env, n_agents, n_copies, episodes, chunk, seed,
                                  alpha, epsilon, data):
    """train(..., envs=E): every copy acts on the current table, updates in copy order;
    chunked at any size."""
    run = fastq.train(env, episodes=episodes, agents=n_agents, alpha=alpha, epsilon=epsilon,
                      seed=seed, algorithm=algorithm, envs=n_copies, chunk_episodes=chunk)
    hyper = encode_hyperparameters(n_agents, episodes, alpha, 0.99, epsilon, 1.0)
    for i in range(n_agents):
        tables = [[[0.0] * env.n_actions for _ in range(env.n_states)]
                  for _ in range(run.tables.shape[0])]
        stream = ref_rng.seed_stream(seed, i)
        rows = dict(alpha=hyper.alpha[i].tolist(), epsilon=hyper.epsilon[i].tolist(),
                    temperature=hyper.temperature[i].tolist(), gamma=0.99)
        returns, lengths = ref_episodes.train_agent_envs(tables, stream, _model(env), rows,
                                                         episodes, env.max_steps, n_copies,
                                                         algorithm)
        assert _twin_tables(run, i) == tables
        assert run.returns[i].tolist() == returns
        assert run.lengths[i].tolist() == lengths
        assert [int(w) for w in run.rng_state[i]] == stream


def test_run_reports_the_schedule_values_the_kernels_used():
    """Run.hyperparameter: per episode, what the twin's schedule gives."""
    env = fastq.make("Chain-v0", n_states=4)
    epsilon = [fastq.linear(1.0, 0.1, over=0.5), fastq.exponential(0.5, 0.0, decay=0.9), 0.3]
    run = fastq.train(env, episodes=30, agents=3, epsilon=epsilon,
                      alpha=fastq.linear(0.5, 0.1, over=10))
    rows = encode_hyperparameters(3, 30, fastq.linear(0.5, 0.1, over=10), 0.99, epsilon, 1.0)
    for name in ("epsilon", "alpha"):
        table = run.hyperparameter(name)
        for i in range(3):
            assert table[i].tolist() == [
                ref_schedules.schedule_value(getattr(rows, name)[i].tolist(), e)
                for e in range(30)]
    assert run.hyperparameter("epsilon")[0, -1] == pytest.approx(0.1)
    assert run.hyperparameter("alpha")[0, 0] == 0.5


@pytest.mark.parametrize("algorithm, exploration", [("q_learning", "epsilon_greedy"),
                                                    ("double_q", "softmax"),
                                                    ("expected_sarsa", "softmax")])
@given(env=mdps(max_actions=3, fixed_shape=True), n_agents=st.integers(1, 6),
       episodes=st.integers(1, 12), seed=seeds, alpha=alphas, epsilon=epsilons,
       temperature=temperatures, data=st.data())
@settings(max_examples=15)
def test_float32_tables_match_twin(algorithm, exploration, env, n_agents, episodes, seed,
                                   alpha, epsilon, temperature, data):
    """float32 tables: float64 arithmetic, every stored value rounded to float32."""
    run = fastq.train(env, episodes=episodes, agents=n_agents, alpha=alpha, epsilon=epsilon,
                      seed=seed, algorithm=algorithm, exploration=exploration,
                      temperature=temperature, dtype=np.float32)
    assert run.tables.dtype == np.float32
    hyper = encode_hyperparameters(n_agents, episodes, alpha, 0.99, epsilon, temperature)
    for i in range(n_agents):
        tables = [ref_updates.Float32Table([0.0] * env.n_actions for _ in range(env.n_states))
                  for _ in range(run.tables.shape[0])]
        stream = ref_rng.seed_stream(seed, i)
        rows = dict(alpha=hyper.alpha[i].tolist(), epsilon=hyper.epsilon[i].tolist(),
                    temperature=hyper.temperature[i].tolist(), gamma=0.99)
        returns, lengths = ref_episodes.train_agent(tables, stream, _model(env), rows, 0,
                                                    episodes, env.max_steps, algorithm,
                                                    exploration)
        assert _twin_tables(run, i) == [[list(row) for row in t] for t in tables]
        assert run.returns[i].tolist() == returns
        assert [int(w) for w in run.rng_state[i]] == stream
