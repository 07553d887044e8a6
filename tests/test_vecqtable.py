"""VecQTable: batched primitives equal per-agent QTables and the twins; Run <-> VecQTable."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fastq
from reference import policy as ref_policy, rng as ref_rng, updates as ref_updates

ALGORITHMS = ["q_learning", "double_q", "sarsa", "expected_sarsa"]


def _transitions(data, n_agents, n_states, n_actions):
    def ints(upper):
        return np.array(data.draw(st.lists(st.integers(0, upper - 1), min_size=n_agents,
                                           max_size=n_agents)))
    rewards = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=n_agents,
                                          max_size=n_agents)))
    done = np.array(data.draw(st.lists(st.booleans(), min_size=n_agents, max_size=n_agents)))
    return ints(n_states), ints(n_actions), rewards, ints(n_states), done, ints(n_actions)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("exploration", ["epsilon_greedy", "softmax"])
@given(seed=st.integers(0, 2**32), epsilon=st.floats(0, 1), data=st.data())
@settings(max_examples=10)
def test_vec_equals_qtables_fed_the_same_data(algorithm, exploration, seed, epsilon, data):
    n_agents, n_states, n_actions = 5, 4, 3
    kwargs = dict(alpha=0.5, gamma=0.9, epsilon=epsilon, seed=seed, algorithm=algorithm,
                  exploration=exploration, temperature=0.7)
    vec = fastq.VecQTable(n_agents, n_states, n_actions, **kwargs)
    singles = [fastq.QTable(n_states, n_actions, stream_id=i, **kwargs) for i in range(n_agents)]
    for _ in range(6):
        s, a, r, s_next, done, a_next = _transitions(data, n_agents, n_states, n_actions)
        assert vec.choose_actions(s).tolist() == [q.choose_action(x) for q, x in zip(singles, s)]
        td = vec.update(s, a, r, s_next, done, next_actions=a_next)
        expected = [q.update(*t, a_next=a2 if algorithm == "sarsa" else None)
                    for q, *t, a2 in zip(singles, s, a, r, s_next, done, a_next)]
        assert td.tolist() == expected
    for i, q in enumerate(singles):
        np.testing.assert_array_equal(vec.tables[:, i], q.tables)


@pytest.mark.parametrize("exploration", ["epsilon_greedy", "softmax"])
@given(seed=st.integers(0, 2**32), epsilon=st.floats(0, 1), temperature=st.floats(0.05, 20),
       data=st.data())
@settings(max_examples=20)
def test_choose_actions_match_twin(exploration, seed, epsilon, temperature, data):
    vec = fastq.VecQTable(4, 3, 5, epsilon=epsilon, seed=seed, exploration=exploration,
                          temperature=temperature)
    vec.tables[:] = np.reshape(data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]),
                                                  min_size=60, max_size=60)), vec.tables.shape)
    states = np.array(data.draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)))
    streams = [ref_rng.seed_stream(seed, i) for i in range(4)]
    expected = [ref_policy.select_action(vec.tables[0, i, s].tolist(),
                                         ref_rng.next_u64(streams[i]),
                                         int(epsilon * 4294967296.0), temperature, exploration)
                for i, s in enumerate(states)]
    assert vec.choose_actions(states).tolist() == expected


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@given(data=st.data(), epsilon=st.floats(0, 1))
@settings(max_examples=20)
def test_update_matches_twin(algorithm, data, epsilon):
    vec = fastq.VecQTable(3, 4, 2, alpha=0.5, gamma=0.8, epsilon=epsilon, seed=1,
                          algorithm=algorithm)
    twins = [[[[0.0, 0.0] for _ in range(4)] for _ in range(len(vec.tables))] for _ in range(3)]
    streams = [ref_rng.seed_stream(1, i) for i in range(3)]
    for _ in range(5):
        s, a, r, s_next, done, a_next = _transitions(data, 3, 4, 2)
        td = vec.update(s, a, r, s_next, done, next_actions=a_next)
        for i in range(3):
            args = (s[i], a[i], r[i], s_next[i])
            if algorithm == "q_learning":
                want = ref_updates.q_learning_update(twins[i][0], *args, done[i], 0.5, 0.8)
            elif algorithm == "double_q":
                want = ref_updates.double_q_update(twins[i][0], twins[i][1], *args, done[i], 0.5,
                                                   0.8, ref_rng.next_u64(streams[i]))
            elif algorithm == "sarsa":
                want = ref_updates.sarsa_update(twins[i][0], *args, a_next[i], done[i], 0.5, 0.8)
            else:
                want = ref_updates.expected_sarsa_update(twins[i][0], *args, done[i], 0.5, 0.8,
                                                         epsilon, 1.0, "epsilon_greedy")
            assert td[i] == want
    for i in range(3):
        assert vec.tables[:, i].tolist() == twins[i]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_warm_start_continues_exactly(algorithm):
    """train(200) == train(100) then VecQTable.fit(100): streams and tables carry over."""
    env = fastq.make("FrozenLake-v1")
    whole = fastq.train(env, episodes=200, agents=6, seed=5, algorithm=algorithm)
    first = fastq.train(env, episodes=100, agents=6, seed=5, algorithm=algorithm)
    vec = first.to_vec_qtable()
    second = vec.fit(env, episodes=100)
    np.testing.assert_array_equal(vec.tables, whole.tables)
    np.testing.assert_array_equal(second.returns, whole.returns[:, 100:])
    assert np.shares_memory(second.tables, vec.tables)
    assert not np.shares_memory(vec.tables, first.tables)


def test_update_batch_applies_transitions_in_order():
    batch = fastq.QTable(3, 2, alpha=0.5, gamma=0.9)
    one_by_one = fastq.QTable(3, 2, alpha=0.5, gamma=0.9)
    s, a, r, s_next = [0, 0, 1, 0], [1, 1, 0, 1], [1.0, 2.0, -1.0, 0.5], [1, 0, 2, 1]
    done = [False, False, True, False]
    td = batch.update_batch(s, a, r, s_next, done)
    assert td.tolist() == [one_by_one.update(*t) for t in zip(s, a, r, s_next, done)]
    np.testing.assert_array_equal(batch.values, one_by_one.values)


def test_double_q_values_are_the_mean_of_both_tables():
    vec = fastq.VecQTable(2, 3, 2, algorithm="double_q")
    vec.tables[0] = 1.0
    vec.tables[1] = 3.0
    np.testing.assert_array_equal(vec.values, np.full((2, 3, 2), 2.0))


@pytest.mark.parametrize("call, error, words", [
    (lambda v: v.choose_actions([0, 1]), ValueError, ["states", "(3,)", "(2,)"]),
    (lambda v: v.choose_actions([0, 1, 9]), ValueError, ["states", "[0, 4)", "9"]),
    (lambda v: v.update([0, 0, 0], [0, 0, 2], [0, 0, 0], [0, 0, 0], [0, 0, 0]), ValueError,
     ["actions", "[0, 2)", "2"]),
    (lambda v: v.update([0, 0, 0], [0, 0, 0], [0, np.nan, 0], [0, 0, 0], [0, 0, 0]), ValueError,
     ["rewards", "nan"]),
    (lambda v: v.update([0, 0, 0], [0, 0, 0], [0, 0], [0, 0, 0], [0, 0, 0]), ValueError,
     ["rewards", "(3,)"]),
    (lambda v: v.fit(fastq.make("Taxi-v4"), 3), ValueError, ["500 states"]),
])
def test_bad_input(call, error, words):
    vec = fastq.VecQTable(3, 4, 2)
    with pytest.raises(error) as info:
        call(vec)
    for word in words:
        assert word in str(info.value)


def test_sarsa_needs_next_actions():
    vec = fastq.VecQTable(2, 3, 2, algorithm="sarsa")
    with pytest.raises(ValueError, match="next_actions is required for SARSA"):
        vec.update([0, 0], [0, 1], [1.0, 1.0], [1, 2], [False, True])


def test_fraction_schedules_need_a_run_length_outside_fit():
    vec = fastq.VecQTable(2, 3, 2, epsilon=fastq.linear(1.0, 0.1, over=0.5))
    with pytest.raises(ValueError, match="fraction of the run"):
        vec.choose_actions([0, 0])
    vec.epsilon = fastq.linear(1.0, 0.0, over=10)
    vec.episode = 10  # epsilon has reached 0: greedy, ties at random
    vec.tables[0, :, 0, 1] = 1.0
    assert vec.choose_actions([0, 0]).tolist() == [1, 1]
