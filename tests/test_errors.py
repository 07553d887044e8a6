"""Bad input: a ValueError/TypeError naming the parameter, before any kernel runs."""
import numpy as np
import pytest

import fastq

ENV = fastq.make("FrozenLake-v1")


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(alpha=1.5), ValueError, ["alpha", "(0, 1]", "1.5"]),
    (dict(alpha=0.0), ValueError, ["alpha", "(0, 1]"]),
    (dict(gamma=-0.1), ValueError, ["gamma", "[0, 1]", "-0.1"]),
    (dict(epsilon=2), ValueError, ["epsilon", "[0, 1]"]),
    (dict(epsilon=float("nan")), ValueError, ["epsilon", "nan"]),
    (dict(alpha="big"), TypeError, ["alpha"]),
    (dict(episodes=0), ValueError, ["episodes", ">= 1", "0"]),
    (dict(episodes=2.5), TypeError, ["episodes", "2.5"]),
    (dict(agents=-3), ValueError, ["agents", "-3"]),
    (dict(agents=4, alpha=[0.1, 0.2]), ValueError, ["alpha", "(4,)", "(2,)"]),
    (dict(agents=2, gamma=[0.5, 1.5]), ValueError, ["gamma", "1.5", "index 1"]),
    (dict(seed=-1), ValueError, ["seed", "-1"]),
    (dict(seed=1.0), TypeError, ["seed"]),
    (dict(algorithm="q_lerning"), ValueError, ["algorithm", "q_lerning", "q_learning"]),
    (dict(max_steps=0), ValueError, ["max_steps", "0"]),
    (dict(step_cap=0), ValueError, ["step_cap"]),
    (dict(chunk_episodes=0), ValueError, ["chunk_episodes"]),
    (dict(q_init=np.zeros((3, 3))), ValueError, ["q_init", "(3, 3)"]),
    (dict(q_init=float("inf")), ValueError, ["q_init"]),
    (dict(epsilon=fastq.linear(1.0, 1.2, over=10)), ValueError, ["epsilon", "end", "1.2"]),
])
def test_train_rejects(kwargs, error, words):
    kwargs = dict(dict(episodes=5), **kwargs)
    with pytest.raises(error) as info:
        fastq.train(ENV, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_train_rejects_non_env():
    with pytest.raises(TypeError, match="env must be a fastq TabularEnv"):
        fastq.train("FrozenLake-v1", episodes=5)


@pytest.mark.parametrize("call, error, words", [
    (lambda q: q.choose_action(16), ValueError, ["s", "[0, 16)", "16"]),
    (lambda q: q.choose_action(-1), ValueError, ["s", "-1"]),
    (lambda q: q.choose_action(1.5), TypeError, ["s"]),
    (lambda q: q.update(0, 4, 1.0, 1), ValueError, ["a", "[0, 4)", "4"]),
    (lambda q: q.update(0, 1, float("nan"), 1), ValueError, ["r", "nan"]),
    (lambda q: q.update(0, 1, 1.0, 99), ValueError, ["s_next", "99"]),
    (lambda q: q.update(0, 1, 1.0, 2, terminated="yes"), TypeError, ["terminated"]),
    (lambda q: q.fit(fastq.make("Taxi-v4"), 3), ValueError, ["500 states", "16"]),
    (lambda q: q.fit(ENV, 0), ValueError, ["episodes"]),
])
def test_qtable_rejects(call, error, words):
    table = fastq.QTable(16, 4)
    with pytest.raises(error) as info:
        call(table)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("kwargs, words", [
    (dict(n_states=0, n_actions=2), ["n_states", ">= 1"]),
    (dict(n_states=2, n_actions=2, alpha=2.0), ["alpha"]),
    (dict(n_states=2, n_actions=2, gamma=1.01), ["gamma"]),
    (dict(n_states=2, n_actions=2, epsilon=-0.5), ["epsilon"]),
])
def test_qtable_constructor_rejects(kwargs, words):
    with pytest.raises(ValueError) as info:
        fastq.QTable(**kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("make, error, words", [
    (lambda: fastq.linear(1.0, 0.1, over=0), ValueError, ["over"]),
    (lambda: fastq.linear(1.0, 0.1, over=1.5), ValueError, ["over", "(0, 1]"]),
    (lambda: fastq.linear(1.0, 0.1, over="half"), TypeError, ["over"]),
    (lambda: fastq.exponential(1.0, 0.1, decay=1.5), ValueError, ["decay"]),
    (lambda: fastq.constant(float("nan")), ValueError, ["value"]),
])
def test_schedules_reject(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_evaluate_rejects():
    run = fastq.train(ENV, episodes=2)
    with pytest.raises(ValueError, match="episodes"):
        run.evaluate(episodes=0)
    with pytest.raises(ValueError, match="seed"):
        run.evaluate(seed=-2)


def test_no_time_limit_is_capped_with_a_warning():
    env = fastq.make("CliffWalking-v1")
    with pytest.warns(RuntimeWarning, match="safety cap of 50"):
        run = fastq.train(env, episodes=3, agents=2, epsilon=0.0, step_cap=50,
                          q_init=np.tile([0.0, 0.0, 0.0, 1.0], (48, 1)))  # always 'left'
    assert (run.lengths == 50).all()
