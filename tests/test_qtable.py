"""The textbook façade: choose_action / update equal the twins; fit, save, load."""
import numpy as np
from hypothesis import given, strategies as st

import fastq
from reference import policy as ref_policy, rng as ref_rng, updates as ref_updates
from strategies import seeds


@given(seed=seeds, epsilon=st.floats(0, 1), data=st.data())
def test_choose_action_consumes_the_tables_stream(seed, epsilon, data):
    table = fastq.QTable(3, 4, epsilon=epsilon, seed=seed)
    table.values[:] = data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=12,
                                         max_size=12).map(lambda v: np.reshape(v, (3, 4))))
    stream = ref_rng.seed_stream(seed, 0)
    threshold = int(epsilon * 4294967296.0)
    for s in data.draw(st.lists(st.integers(0, 2), min_size=1, max_size=20)):
        expected = ref_policy.epsilon_greedy(table.values[s].tolist(), ref_rng.next_u64(stream),
                                             threshold)
        assert table.choose_action(s) == expected


@given(transitions=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1),
                                      st.floats(-5, 5), st.integers(0, 3), st.booleans()),
                            min_size=1, max_size=30),
       alpha=st.floats(0, 1, exclude_min=True), gamma=st.floats(0, 1))
def test_update_matches_twin(transitions, alpha, gamma):
    table = fastq.QTable(4, 2, alpha=alpha, gamma=gamma)
    twin = [[0.0, 0.0] for _ in range(4)]
    for s, a, r, s_next, done in transitions:
        td = table.update(s, a, r, s_next, done)
        assert td == ref_updates.q_learning_update(twin, s, a, r, s_next, done, alpha, gamma)
    assert table.values.tolist() == twin


def test_alpha_one_gamma_zero_keeps_last_reward():
    table = fastq.QTable(2, 2, alpha=1.0, gamma=0.0)
    for r in (3.0, -1.5, 0.25):
        table.update(0, 1, r, 1)
    assert table.values[0, 1] == 0.25


def test_termination_cuts_bootstrap_truncation_does_not():
    table = fastq.QTable(2, 1, alpha=1.0, gamma=0.5)
    table.values[1, 0] = 10.0
    assert table.update(0, 0, 1.0, 1, terminated=True) == 1.0
    assert table.values[0, 0] == 1.0
    table.update(0, 0, 1.0, 1, terminated=False)
    assert table.values[0, 0] == 1.0 + 0.5 * 10.0


def test_ties_are_uniform():
    """Chi-square on a zero table: every action equally likely when greedy."""
    table = fastq.QTable(1, 4, epsilon=0.0, seed=0)
    counts = np.bincount([table.choose_action(0) for _ in range(8000)], minlength=4)
    chi2 = ((counts - 2000) ** 2 / 2000).sum()
    assert chi2 < 16.27  # p = 0.001 with 3 degrees of freedom


def test_textbook_loop_learns_the_chain():
    """The README's loop: a QTable stepping the Chain by hand finds 'forward'."""
    env = fastq.make("Chain-v0", n_states=5)
    P, R, terminal, _ = env.to_arrays()
    table = fastq.QTable(env.n_states, env.n_actions, alpha=0.5, gamma=0.9, epsilon=0.2)
    for _ in range(200):
        s = 0
        for _ in range(env.max_steps):
            a = table.choose_action(s)
            s_next = int(P[s, a].argmax())  # the Chain is deterministic
            done = bool(terminal[s, a, s_next])
            table.update(s, a, R[s, a, s_next], s_next, done)
            s = s_next
            if done:
                break
    assert (table.policy()[:-1] == 0).all()
    # the greedy path is visited most: its values reach Q* (exact value iteration)
    np.testing.assert_allclose(table.values[:, 0], env.value_iteration(0.9)[:, 0], atol=1e-6)


def test_save_load_round_trip(tmp_path):
    table = fastq.QTable(5, 3, alpha=fastq.linear(0.5, 0.1, over=100), gamma=0.9,
                         epsilon=fastq.exponential(1.0, 0.05, decay=0.99), seed=4)
    table.fit(fastq.make("Chain-v0", n_states=5), episodes=20)
    table.episode = 7
    table.save(tmp_path / "t.npz")
    loaded = fastq.QTable.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(loaded.values, table.values)
    assert loaded.episode == 7 and loaded.gamma == 0.9 and loaded.seed == 4
    assert [loaded.choose_action(s) for s in range(5) for _ in range(5)] == \
        [table.choose_action(s) for s in range(5) for _ in range(5)]
    assert repr(loaded.alpha) == repr(table.alpha)
