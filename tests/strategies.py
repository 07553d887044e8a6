"""Hypothesis strategies: small valid MDPs and hyperparameters."""
import numpy as np
from hypothesis import strategies as st

import fastq


@st.composite
def mdps(draw, max_states=8, max_actions=4, max_outcomes=3, max_steps=st.integers(1, 30),
         fixed_shape=False):
    """A random TabularEnv: <= 8 states, <= 4 actions, <= 3 outcomes per pair (duplicate
    next states allowed, deterministic pairs common), some terminal transitions, and an
    initial distribution that is one state, uniform over a set, or arbitrary.

    fixed_shape: exactly max_actions actions and max_outcomes outcomes at most (pair
    (0, 0) has that many), so the kernels compile once for the whole strategy.
    """
    n_states = draw(st.integers(1, max_states))
    n_actions = max_actions if fixed_shape else draw(st.integers(1, max_actions))
    rewards = st.one_of(st.integers(-3, 3).map(float),
                        st.floats(-10, 10, allow_nan=False, width=64))
    P = {}
    for s in range(n_states):
        P[s] = {}
        for a in range(n_actions):
            k = max_outcomes if fixed_shape and s == a == 0 else \
                draw(st.integers(1, max_outcomes))
            weights = draw(st.lists(st.integers(1, 20), min_size=k, max_size=k))
            total = sum(weights)
            P[s][a] = [(w / total, draw(st.integers(0, n_states - 1)), draw(rewards),
                        draw(st.booleans() if draw(st.booleans()) else st.just(False)))
                       for w in weights]
    kind = draw(st.sampled_from(["one", "uniform", "any"]))
    if kind == "one":
        initial = draw(st.integers(0, n_states - 1))
    else:
        support = draw(st.lists(st.integers(0, n_states - 1), min_size=1, unique=True))
        weights = np.zeros(n_states)
        for s in support:
            weights[s] = 1.0 if kind == "uniform" else draw(st.integers(1, 9))
        initial = weights / weights.sum()
    return fastq.TabularEnv.from_transitions(P, n_states, n_actions, initial=initial,
                                             max_steps=draw(max_steps))


def schedules(low, high, low_open=False):
    """A constant, linear or exponential schedule (or a plain float) within [low, high]."""
    values = st.floats(low, high, allow_nan=False, exclude_min=low_open)
    return st.one_of(
        values,
        values.map(fastq.constant),
        st.builds(fastq.linear, values, values, st.integers(1, 20)),
        st.builds(fastq.linear, values, values, st.floats(0.01, 1.0)),
        st.builds(fastq.exponential, values, values, st.floats(0.5, 1.0, exclude_min=True)),
    )


alphas = schedules(0.0, 1.0, low_open=True)
epsilons = schedules(0.0, 1.0)
gammas = st.floats(0.0, 1.0, allow_nan=False)
seeds = st.integers(0, 2**64 - 1)
temperatures = schedules(0.05, 50.0, low_open=True)
