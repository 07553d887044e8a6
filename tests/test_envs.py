"""TabularEnv, the built-in environments and exact planning (no Gymnasium needed here)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastq.envs import ENVS, TabularEnv, describe, make, random_mdp
from fastq.envs.planning import bellman_backup, policy_values
from fastq.envs.tabular import alias_table
from fastq.envs.toy_text import chain, cliff_walking, frozen_lake, taxi

TWO_32 = 2**32
GAMMAS = [0.0, 0.5, 0.9, 0.99]


@st.composite
def dense_mdps(draw):
    """(P, R, terminal, initial) dense arrays: <= 6 states, <= 4 actions, some zeros in P."""
    n_states, n_actions = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    support = rng.random((n_states, n_actions, n_states)) < 0.5
    somewhere = rng.integers(n_states, size=(n_states, n_actions))  # every row gets an outcome
    support[np.arange(n_states)[:, None], np.arange(n_actions), somewhere] = True
    P = rng.random(support.shape) * support
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=P.shape)
    terminal = rng.random(P.shape) < 0.3
    initial = int(rng.integers(n_states))
    if draw(st.booleans()):
        initial = rng.dirichlet(np.ones(n_states))
    return P, R, terminal, initial


def outcomes(env, s, a):
    """The CSR outcomes of (s, a) as a list of (prob, next state, reward, terminated)."""
    lo, hi = env.offsets[s * env.n_actions + a], env.offsets[s * env.n_actions + a + 1]
    return list(zip(env.probs[lo:hi].tolist(), env.next_states[lo:hi].tolist(),
                    env.rewards[lo:hi].tolist(), env.terminated[lo:hi].tolist()))


def chain_v_star(n_states, gamma):
    k = n_states - 1 - np.arange(n_states)  # steps to the end, always going forward
    return (1 - gamma**k) / (1 - gamma)


# ---------------------------------------------------------------- array round trips
@settings(max_examples=60, deadline=None)
@given(dense_mdps())
def test_from_arrays_to_arrays_round_trip(mdp):
    P, R, terminal, initial = mdp
    env = TabularEnv.from_arrays(P, R, terminal=terminal, initial=initial, max_steps=7)
    P2, R2, term2, init2 = env.to_arrays()
    assert np.array_equal(P2, P)
    np.testing.assert_allclose(R2, np.where(P > 0, R, 0.0), rtol=1e-12, atol=1e-12)
    assert np.array_equal(term2, terminal & (P > 0))
    expected_initial = np.eye(len(P))[initial] if np.ndim(initial) == 0 else initial
    assert np.array_equal(init2, expected_initial)
    again = TabularEnv.from_arrays(P2, R2, terminal=term2, initial=init2)
    for name in ("offsets", "probs", "next_states", "terminated"):
        assert np.array_equal(getattr(again, name), getattr(env, name)), name
    np.testing.assert_allclose(again.rewards, env.rewards, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(dense_mdps())
def test_from_arrays_broadcasts_state_rewards_and_terminal_states(mdp):
    P, R, terminal, _ = mdp
    env = TabularEnv.from_arrays(P, R[:, :, 0], terminal=terminal[0, 0])
    _, R2, term2, init2 = env.to_arrays()
    np.testing.assert_allclose(R2, np.where(P > 0, R[:, :, :1], 0.0), rtol=1e-12, atol=1e-12)
    assert np.array_equal(term2, terminal[0, 0][None, None, :] & (P > 0))
    assert init2[0] == 1.0 and env.max_steps is None


def test_from_transitions_keeps_order_and_duplicates_and_drops_zeros():
    P = {0: {0: [(0.5, 1, 1.0, False), (0.0, 0, 9.0, False), (0.25, 1, 3.0, True),
                 (0.25, 0, -1.0, False)],
             1: [(1.0, 0, 0.0, False)]},
         1: {0: [(1.0, 1, 0.0, True)], 1: [(1.0, 1, 0.0, True)]}}
    env = TabularEnv.from_transitions(P, initial=[0.5, 0.5], max_steps=3, name="tiny")
    assert outcomes(env, 0, 0) == [(0.5, 1, 1.0, False), (0.25, 1, 3.0, True),
                                   (0.25, 0, -1.0, False)]
    assert env.n_outcomes == 3 and env.max_steps == 3 and env.name == "tiny"
    P2, R2, term2, _ = env.to_arrays()  # duplicates merge: probabilities add, rewards average
    assert P2[0, 0].tolist() == [0.25, 0.75] and R2[0, 0, 1] == pytest.approx(5 / 3)
    assert term2[0, 0].tolist() == [False, True]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1),
       st.sampled_from(["dirichlet", "skewed", "sparse", "uniform"]))
def test_alias_table_implies_the_distribution(m, seed, kind):
    rng = np.random.default_rng(seed)
    dist = {"dirichlet": rng.dirichlet(np.ones(m)), "uniform": np.full(m, 1.0 / m),
            "skewed": rng.dirichlet(np.full(m, 0.05)),
            "sparse": rng.dirichlet(np.ones(m)) * (rng.random(m) < 0.5)}[kind]
    if dist.sum() == 0:
        dist[0] = 1.0
    dist /= dist.sum()
    state, alias, threshold = alias_table(dist)
    M = len(state)
    implied = np.zeros(m)
    for i in range(M):  # column i is picked by the u32 with (u32 * M) >> 32 == i
        n_i = -(-(i + 1) * TWO_32 // M) + (-i * TWO_32 // M)  # ceil((i+1)2^32/M) - ceil(i 2^32/M)
        t = int(threshold[i])
        assert 0 <= t <= TWO_32
        implied[state[i]] += n_i * t / TWO_32**2
        implied[alias[i]] += n_i * (TWO_32 - t) / TWO_32**2
    assert np.all(np.abs(implied - dist) <= 2**-31)
    assert set(state.tolist()) == set(np.flatnonzero(dist > 0).tolist())


@pytest.mark.parametrize("env", [
    random_mdp(7, 3, seed=2, n_outcomes=4), random_mdp(5, 2, seed=3, n_outcomes=1),
    make("FrozenLake-v1"), make("Taxi-v4", is_rainy=True), make("Chain-v0"),
    make("CliffWalkingSlippery-v1")], ids=lambda e: e.name)
def test_kernel_arrays_padding_and_thresholds(env):
    k = env.kernel_arrays()
    n_pairs, K = env.n_states * env.n_actions, env.n_outcomes
    assert k.thresholds.shape == (n_pairs, max(K - 1, 1)) and k.thresholds.dtype == np.uint64
    assert k.next_state.shape == k.reward.shape == k.terminated.shape == (n_pairs, K)
    assert env.kernel_arrays() is k  # cached
    for pair in range(n_pairs):
        lo, hi = env.offsets[pair], env.offsets[pair + 1]
        c, th = hi - lo, k.thresholds[pair].astype(object)
        assert all(a <= b for a, b in zip(th[:-1], th[1:])), "thresholds must be non-decreasing"
        assert all(t == TWO_32 for t in th[c - 1:]), "last real threshold and padding are 2**32"
        if c == 1:
            assert th[0] == TWO_32
        edges = np.array([0, *th[:c - 1], TWO_32], dtype=np.float64)
        assert np.all(np.abs(np.diff(edges) / TWO_32 - env.probs[lo:hi]) <= 2**-31)
        assert k.next_state[pair, :c].tolist() == env.next_states[lo:hi].tolist()
        assert k.reward[pair, :c].tolist() == env.rewards[lo:hi].tolist()
        assert k.terminated[pair, :c].tolist() == env.terminated[lo:hi].tolist()
        assert np.all(k.next_state[pair, c:] == env.next_states[hi - 1])
    assert np.all(k.init_state >= 0) and np.all(k.init_state < env.n_states)


# ---------------------------------------------------------------- planning
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("gamma", GAMMAS)
def test_value_iteration_is_a_bellman_fixed_point(seed, gamma):
    env = random_mdp(12, 3, seed=seed, n_outcomes=4, terminal_fraction=0.2)
    q = env.value_iteration(gamma)
    assert np.max(np.abs(bellman_backup(env, q, gamma) - q)) <= 1e-8
    if gamma == 0.0:
        expected = np.add.reduceat(env.probs * env.rewards, env.offsets[:-1])
        np.testing.assert_allclose(q.ravel(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_states", [2, 3, 10])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_chain_q_star_closed_form(n_states, gamma):
    # Forward pays 1 a step until the end, anything else pays <= 0 and delays it:
    # V*(s) = sum_{i<k} gamma^i = (1 - gamma^k) / (1 - gamma), k = n_states - 1 - s.
    v = chain_v_star(n_states, gamma)
    q = make("Chain-v0", n_states=n_states).value_iteration(gamma)
    s = np.arange(n_states - 1)
    np.testing.assert_allclose(q[s, 0], v[s], atol=1e-9)
    np.testing.assert_allclose(q[s, 1], -1 + gamma * v[np.maximum(s - 1, 0)], atol=1e-9)
    np.testing.assert_allclose(q[s, 2], gamma * v[s], atol=1e-9)
    assert np.all(q[-1] == 0)


def test_frozen_lake_4x4_success_probability_is_14_17():
    # The known optimum of the slippery 4x4 lake without discount or time limit.
    q = make("FrozenLake-v1").value_iteration(1.0, tol=1e-13)
    assert q[0].max() == pytest.approx(14 / 17, abs=1e-9)


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_policy_values(gamma):
    env = random_mdp(10, 3, seed=5, terminal_fraction=0.2)
    q = env.value_iteration(gamma)
    greedy = q.argmax(axis=1)
    np.testing.assert_allclose(policy_values(env, greedy, gamma), q.max(axis=1), atol=1e-8)
    policy = np.random.default_rng(0).integers(env.n_actions, size=env.n_states)
    v = policy_values(env, policy, gamma)
    backup = bellman_backup(env, np.zeros((env.n_states, env.n_actions)), gamma, v_next=v)
    np.testing.assert_allclose(backup[np.arange(env.n_states), policy], v, atol=1e-10)
    ch = make("Chain-v0", n_states=6)
    last = ch.n_states - 1
    np.testing.assert_allclose(policy_values(ch, np.zeros(6, int), gamma)[:last],
                               chain_v_star(6, gamma)[:last], atol=1e-12)
    np.testing.assert_allclose(policy_values(ch, np.full(6, 2), gamma), 0.0, atol=1e-12)
    np.testing.assert_allclose(policy_values(ch, np.ones(6, int), gamma)[:last], -1 / (1 - gamma))


# ---------------------------------------------------------------- built-ins
@pytest.mark.parametrize("env_id, size, limit", [
    ("FrozenLake-v1", (16, 4), 100), ("FrozenLake8x8-v1", (64, 4), 200),
    ("Taxi-v4", (500, 6), 200), ("Taxi-v3", (500, 6), 200),
    ("CliffWalking-v1", (48, 4), None), ("CliffWalking-v0", (48, 4), None),
    ("CliffWalkingSlippery-v1", (48, 4), None), ("Chain-v0", (10, 3), 100)])
def test_make_sizes_limits_and_names(env_id, size, limit):
    env = make(env_id)
    assert (env.n_states, env.n_actions, env.max_steps, env.name) == (*size, limit, env_id)
    assert make(env_id, max_steps=None).max_steps is None
    assert make(env_id, max_steps=17).max_steps == 17


@pytest.mark.parametrize("alias, target", [("Taxi-v3", "Taxi-v4"),
                                           ("CliffWalking-v0", "CliffWalking-v1")])
def test_aliases_have_the_same_dynamics(alias, target):
    a, b = make(alias), make(target)
    for name in ("offsets", "probs", "next_states", "rewards", "terminated", "initial"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.max_steps == b.max_steps


def test_frozen_lake_options():
    assert make("FrozenLake-v1", map_name="8x8").n_states == 64
    assert make("FrozenLake-v1", map_name="8x8").max_steps == 100  # as Gymnasium registers it
    assert make("FrozenLake-v1", is_slippery=False).n_outcomes == 1
    env = frozen_lake(desc=["SFS", "HFG"], success_rate=0.5, reward_schedule=(2, -1, 0.5))
    assert env.initial.tolist() == [0.5, 0, 0.5, 0, 0, 0]
    # slips in Gymnasium's order: action - 1, action, action + 1 (0 left, 1 down, 2 right, 3 up)
    assert outcomes(env, 1, 1) == [(0.25, 0, 0.5, False), (0.5, 4, 0.5, False),
                                   (0.25, 2, 0.5, False)]
    assert outcomes(env, 0, 1) == [(0.25, 0, 0.5, False), (0.5, 3, -1.0, True),
                                   (0.25, 1, 0.5, False)]
    assert outcomes(env, 5, 0) == [(1.0, 5, 0.0, True)]  # goal and holes are absorbing
    assert frozen_lake(success_rate=1.0).n_outcomes == 1  # zero-probability slips dropped


def test_taxi_rules():
    env = taxi()
    def s(row, col, passenger, dest): return ((row * 5 + col) * 5 + passenger) * 4 + dest
    assert outcomes(env, s(0, 0, 0, 1), 4) == [(1.0, s(0, 0, 4, 1), -1.0, False)]  # pickup at R
    assert outcomes(env, s(0, 1, 0, 1), 4) == [(1.0, s(0, 1, 0, 1), -10.0, False)]  # nobody here
    assert outcomes(env, s(0, 4, 4, 1), 5) == [(1.0, s(0, 4, 1, 1), 20.0, True)]  # delivered at G
    assert outcomes(env, s(4, 0, 4, 1), 5) == [(1.0, s(4, 0, 2, 1), -1.0, False)]  # left at Y
    assert outcomes(env, s(0, 1, 4, 1), 2) == [(1.0, s(0, 1, 4, 1), -1.0, False)]  # wall east
    assert np.count_nonzero(env.initial) == 300 and env.n_outcomes == 1
    rainy = taxi(is_rainy=True, rainy_probability=0.6)
    assert outcomes(rainy, s(2, 2, 0, 1), 0) == [(0.6, s(3, 2, 0, 1), -1.0, False),
                                                 (0.2, s(2, 3, 0, 1), -1.0, False),
                                                 (0.2, s(2, 1, 0, 1), -1.0, False)]
    blocked = outcomes(rainy, s(0, 1, 0, 1), 2)  # a blocked move does not drift either
    assert [o[1] for o in blocked] == [s(0, 1, 0, 1)] * 3
    assert taxi(is_rainy=True, rainy_probability=1.0).n_outcomes == 1


def test_cliff_walking_rules():
    env = cliff_walking()
    assert outcomes(env, 36, 1) == [(1.0, 36, -100.0, False)]  # into the cliff: back to start
    assert outcomes(env, 35, 2) == [(1.0, 47, -1.0, True)]
    assert env.initial[36] == 1.0
    slippery = cliff_walking(is_slippery=True)
    assert outcomes(slippery, 25, 2) == [(1 / 3, 26, -1.0, False), (1 / 3, 36, -100.0, False),
                                         (1 / 3, 24, -1.0, False)]  # right, down, left


def test_chain_rules():
    env = chain(n_states=3)
    assert outcomes(env, 0, 0) == [(1.0, 1, 1.0, False)]
    assert outcomes(env, 0, 1) == [(1.0, 0, -1.0, False)]
    assert outcomes(env, 0, 2) == [(1.0, 0, 0.0, False)]
    assert outcomes(env, 1, 0) == [(1.0, 2, 1.0, True)]
    assert all(outcomes(env, 2, a) == [(1.0, 2, 0.0, True)] for a in range(3))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 6), st.integers(0, 2**64 - 1),
       st.floats(0, 1))
def test_random_mdp(n_states, n_actions, n_outcomes, seed, fraction):
    kwargs = dict(seed=seed, n_outcomes=n_outcomes, terminal_fraction=fraction)
    env = random_mdp(n_states, n_actions, **kwargs)
    again = random_mdp(n_states, n_actions, **kwargs)
    for name in ("offsets", "probs", "next_states", "rewards", "terminated", "initial"):
        assert np.array_equal(getattr(env, name), getattr(again, name)), name
    k = min(n_outcomes, n_states)
    nxt = env.next_states.reshape(-1, k)
    assert np.all(np.diff(env.offsets) == k)
    assert all(len(set(row)) == k for row in nxt.tolist())
    terminal = {int(t) for t in env.next_states[env.terminated]}
    assert 0 not in terminal and env.initial[0] == 1.0
    assert np.array_equal(env.terminated, np.isin(env.next_states, sorted(terminal)))


def test_random_mdp_seeds_and_terminal_count():
    a, b = random_mdp(50, 4, seed=0), random_mdp(50, 4, seed=1)
    assert not np.array_equal(a.next_states, b.next_states)
    env = random_mdp(50, 4, seed=0, n_outcomes=50)  # every state is a next state of every pair
    assert len(set(env.next_states[env.terminated].tolist())) == 5
    assert np.all(np.sort(env.next_states.reshape(-1, 50), axis=1) == np.arange(50))


def test_envs_table_and_describe():
    rows = describe()
    assert [r.id for r in rows] == list(ENVS)
    assert ("Chain-v0", 10, 3, "no", 100, None) in rows
    assert ("FrozenLake8x8-v1", 64, 4, "yes", 200, "FrozenLake8x8-v1") in rows
    for entry in ENVS.values():
        assert entry.id and entry.description and callable(entry.builder)


# ---------------------------------------------------------------- error messages
def _good_arrays():
    P = np.zeros((2, 1, 2)); P[0, 0, 1] = P[1, 0, 1] = 1.0
    return P, np.zeros((2, 1))


@pytest.mark.parametrize("change, error, match", [
    (lambda P, R: (P * 0.5, R, {}), ValueError, r"P\[0, 0\] must sum to 1"),
    (lambda P, R: (P - 0.5, R, {}), ValueError, r"P must be >= 0"),
    (lambda P, R: (P[0], R, {}), ValueError, r"P must have 3 dimensions"),
    (lambda P, R: (P[:, :, :1], R, {}), ValueError, r"P must have shape \(S, A, S\)"),
    (lambda P, R: (P.astype(object), R, {}), TypeError, r"P must be an array of real numbers"),
    (lambda P, R: (P, R + np.nan, {}), ValueError, r"R must be finite; got .*nan"),
    (lambda P, R: (P, R[:1], {}), ValueError, r"R must have shape"),
    (lambda P, R: (P, R, {"terminal": [True]}), ValueError, r"terminal must have shape"),
    (lambda P, R: (P, R, {"terminal": [0.5, 1]}), TypeError, r"terminal must be booleans"),
    (lambda P, R: (P, R, {"initial": 2}), ValueError, r"initial must be integers in \[0, 2\)"),
    (lambda P, R: (P, R, {"initial": [0.5, 0.6]}), ValueError, r"initial must be non-negative"),
    (lambda P, R: (P, R, {"initial": [1.0]}), ValueError, r"initial must be a state or a distrib"),
    (lambda P, R: (P, R, {"max_steps": 0}), ValueError, r"max_steps must be an integer >= 1"),
])
def test_from_arrays_errors(change, error, match):
    P, R, kwargs = change(*_good_arrays())
    with pytest.raises(error, match=match):
        TabularEnv.from_arrays(P, R, **kwargs)


@pytest.mark.parametrize("P, error, match", [
    ({0: {0: [(0.5, 0, 0.0, False)]}}, ValueError,
     r"probabilities of \(state 0, action 0\) must sum to 1"),
    ({0: {0: [(1.5, 0, 0.0, False), (-0.5, 0, 0.0, False)]}}, ValueError,
     r"probabilities must be >= 0"),
    ({0: {0: [(1.0, 0, float("nan"), False)]}}, ValueError, r"rewards must be finite"),
    ({0: {0: [(1.0, 3, 0.0, False)]}}, ValueError, r"next states must be integers in \[0, 1\)"),
    ({0: {0: [(0.0, 0, 0.0, False)]}}, ValueError, r"P\[0\]\[0\] has no outcome of positive prob"),
    ({0: {}}, ValueError, r"P has no entry for \(state 0, action 0\)"),
])
def test_from_transitions_errors(P, error, match):
    with pytest.raises(error, match=match):
        TabularEnv.from_transitions(P, n_states=1, n_actions=1)


def test_make_errors():
    message = r"^unknown environment 'FrozenLake-v9'; did you mean 'FrozenLake-v1'\?$"
    with pytest.raises(ValueError, match=message):
        make("FrozenLake-v9")
    with pytest.raises(ValueError, match=r"unknown environment 'Pong'; known: 'FrozenLake-v1'"):
        make("Pong")
    with pytest.raises(TypeError, match=r"environment id must be a string"):
        make(3)
    message = (r"make\('Taxi-v4'\) got unexpected keyword argument 'render_mode'; "
               r"allowed: is_rainy, rainy_probability, fickle_passenger, max_steps")
    with pytest.raises(TypeError, match=message):
        make("Taxi-v4", render_mode="human")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'is_slippery'"):
        make("Chain-v0", is_slippery=True)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"desc": ["SFF", "FH"]}, ValueError, r"desc must be rectangular: row 1 has 2 letters"),
    ({"desc": ["SFX", "FHG"]}, ValueError, r"desc letters must be in 'SFHG'; got 'X' at row 0, c"),
    ({"desc": ["FFF", "FHG"]}, ValueError, r"desc must contain at least one 'S'"),
    ({"desc": []}, ValueError, r"desc must have at least one row"),
    ({"desc": "SFFG"}, TypeError, r"desc must be a list of strings"),
    ({"desc": [["S", "G"]]}, TypeError, r"desc rows must be strings"),
    ({"map_name": "16x16"}, ValueError, r"unknown map_name '16x16'; allowed: '4x4', '8x8'"),
    ({"is_slippery": "yes"}, TypeError, r"is_slippery must be True or False"),
    ({"success_rate": 1.5}, ValueError, r"success_rate must be in \[0, 1\]; got 1.5"),
    ({"reward_schedule": (1, 0)}, ValueError, r"reward_schedule must have 3 numbers"),
    ({"max_steps": -1}, ValueError, r"max_steps must be an integer >= 1"),
])
def test_frozen_lake_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make("FrozenLake-v1", **kwargs)


@pytest.mark.parametrize("call, error, match", [
    (lambda: make("Taxi-v4", fickle_passenger=True), ValueError, r"fickle_passenger=True is not"),
    (lambda: make("Taxi-v4", rainy_probability=-0.1), ValueError, r"rainy_probability must be in"),
    (lambda: make("CliffWalking-v1", is_slippery=1), TypeError, r"is_slippery must be True or"),
    (lambda: make("Chain-v0", n_states=1), ValueError, r"n_states must be an integer >= 2; got 1"),
    (lambda: make("Chain-v0", n_states=2.0), TypeError, r"n_states must be an integer"),
    (lambda: random_mdp(0, 2), ValueError, r"n_states must be an integer >= 1; got 0"),
    (lambda: random_mdp(3, 2, seed=-1), ValueError, r"seed must be an integer in \[0, 2\*\*64\)"),
    (lambda: random_mdp(3, 2, n_outcomes=0), ValueError, r"n_outcomes must be an integer >= 1"),
    (lambda: random_mdp(3, 2, terminal_fraction=2), ValueError, r"terminal_fraction must be in"),
    (lambda: random_mdp(3, 2, reward_scale=np.inf), ValueError, r"reward_scale must be finite"),
])
def test_builder_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
