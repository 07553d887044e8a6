"""Episode loops: many independent agents, each owning its rows of every array.

Agents run in small groups advanced in lockstep (one step of each agent of the
group in turn), so the CPU overlaps their independent dependency chains; the
parallel driver spreads groups over threads with ``prange``. An agent's
results depend only on its own inputs and stream, never on the group, the
thread or the chunk of episodes it ran in.
"""
from typing import NamedTuple

import numba
import numpy as np

from ._jit import kernel
from ._stack import stack_empty
from .envs import initial_state, is_stochastic, outcome_index, sample_initial_state, \
    sample_outcome
from .policy import epsilon_greedy, row_of
from .rng import next_u64, xoshiro
from .schedules import schedule_value
from .updates import q_learning_update

GROUP_SIZE = 4


class Hyperparameters(NamedTuple):
    """Per-agent hyperparameters: alpha, epsilon float64 (n_agents, 4) encoded
    schedules (see schedules.py); gamma float64 (n_agents,)."""

    alpha: np.ndarray
    epsilon: np.ndarray
    gamma: np.ndarray


@kernel
def _epsilon_threshold(hyper, agent, episode):
    return np.uint64(schedule_value(hyper.epsilon[agent], episode) * 4294967296.0)


@kernel
def _episodes_one_group(q, rng_state, env, hyper, returns, lengths, first_agent, n_lanes,
                        first_episode, end_episode, max_steps, n_actions, n_outcomes):
    """Run episodes [first_episode, end_episode) of agents first_agent .. +n_lanes.

    The agents advance in lockstep, one step each in turn; their per-episode
    state lives in small stack arrays. Random draws per agent, in order: at
    each episode start the initial state (if several are possible), then per
    step the action (one draw, epsilon_greedy) and the outcome (one draw if
    the pair is stochastic). Mutates q, rng_state, returns, lengths in the
    agents' rows only.
    """
    q_flat = q.reshape(q.size)
    n_states = np.uint64(q.shape[1])
    random_start = env.init_state.shape[0] > 1
    w0 = stack_empty(GROUP_SIZE, np.uint64)
    w1 = stack_empty(GROUP_SIZE, np.uint64)
    w2 = stack_empty(GROUP_SIZE, np.uint64)
    w3 = stack_empty(GROUP_SIZE, np.uint64)
    table = stack_empty(GROUP_SIZE, np.uint64)  # flat offset of the agent's table
    state = stack_empty(GROUP_SIZE, np.uint64)
    steps = stack_empty(GROUP_SIZE, np.int64)
    episode = stack_empty(GROUP_SIZE, np.int64)
    ret = stack_empty(GROUP_SIZE, np.float64)
    epsilon_threshold = stack_empty(GROUP_SIZE, np.uint64)
    alpha = stack_empty(GROUP_SIZE, np.float64)
    gamma = stack_empty(GROUP_SIZE, np.float64)
    n_running = 0
    for g in range(GROUP_SIZE):
        agent = first_agent + g
        episode[g] = end_episode  # lanes beyond n_lanes stay finished
        if g < n_lanes and first_episode < end_episode:
            w0[g], w1[g] = rng_state[agent, 0], rng_state[agent, 1]
            w2[g], w3[g] = rng_state[agent, 2], rng_state[agent, 3]
            table[g] = np.uint64(agent) * n_states
            gamma[g] = hyper.gamma[agent]
            episode[g] = first_episode
            n_running += 1
            epsilon_threshold[g] = _epsilon_threshold(hyper, agent, first_episode)
            alpha[g] = schedule_value(hyper.alpha[agent], first_episode)
            steps[g] = 0
            ret[g] = 0.0
            state[g] = env.init_state[0]
            if random_start:
                draw, w0[g], w1[g], w2[g], w3[g] = xoshiro(w0[g], w1[g], w2[g], w3[g])
                state[g] = initial_state(env, draw)
    while n_running > 0:
        for g in range(GROUP_SIZE):
            if episode[g] == end_episode:
                continue
            s = state[g]
            row = (table[g] + s) * np.uint64(n_actions)
            draw, w0[g], w1[g], w2[g], w3[g] = xoshiro(w0[g], w1[g], w2[g], w3[g])
            a = epsilon_greedy(q_flat, row, draw, epsilon_threshold[g], n_actions)
            pair = s * np.uint64(n_actions) + np.uint64(a)
            o = 0
            if is_stochastic(env, pair, n_outcomes):
                draw, w0[g], w1[g], w2[g], w3[g] = xoshiro(w0[g], w1[g], w2[g], w3[g])
                o = outcome_index(env, pair, draw, n_outcomes)
            s_next = np.uint64(env.next_state[pair, o])
            r = env.reward[pair, o]
            terminated = env.terminated[pair, o]
            q_learning_update(q_flat, row, a, r, (table[g] + s_next) * np.uint64(n_actions),
                              terminated, alpha[g], gamma[g], n_actions)
            steps[g] += 1
            ret[g] += r
            state[g] = s_next
            if terminated or steps[g] >= max_steps:
                agent = first_agent + g
                e = episode[g]
                returns[agent, e] = ret[g]
                lengths[agent, e] = steps[g]
                episode[g] = e + 1
                steps[g] = 0
                ret[g] = 0.0
                if e + 1 == end_episode:
                    n_running -= 1
                    rng_state[agent, 0], rng_state[agent, 1] = w0[g], w1[g]
                    rng_state[agent, 2], rng_state[agent, 3] = w2[g], w3[g]
                else:
                    epsilon_threshold[g] = _epsilon_threshold(hyper, agent, e + 1)
                    alpha[g] = schedule_value(hyper.alpha[agent], e + 1)
                    state[g] = env.init_state[0]
                    if random_start:
                        draw, w0[g], w1[g], w2[g], w3[g] = xoshiro(w0[g], w1[g], w2[g], w3[g])
                        state[g] = initial_state(env, draw)


@kernel
def _run_groups(q, rng_state, env, hyper, returns, lengths, group, first_episode,
                end_episode, max_steps, n_actions, n_outcomes):
    first = group * GROUP_SIZE
    _episodes_one_group(q, rng_state, env, hyper, returns, lengths, first,
                        min(GROUP_SIZE, q.shape[0] - first), first_episode, end_episode,
                        max_steps, n_actions, n_outcomes)


@kernel
def run_episodes_serial(q, rng_state, env, hyper, returns, lengths, first_episode,
                        end_episode, max_steps, n_actions, n_outcomes):
    """Train every agent (q: (n_agents, S, A)) for episodes [first_episode, end_episode).

    n_actions and n_outcomes are compile-time constants (one specialisation
    per environment shape). returns, lengths: (n_agents, >= end_episode).
    """
    numba.literally(n_actions)
    numba.literally(n_outcomes)
    for group in range((q.shape[0] + GROUP_SIZE - 1) // GROUP_SIZE):
        _run_groups(q, rng_state, env, hyper, returns, lengths, group, first_episode,
                    end_episode, max_steps, n_actions, n_outcomes)


@kernel(parallel=True)
def run_episodes_parallel(q, rng_state, env, hyper, returns, lengths, first_episode,
                          end_episode, max_steps, n_actions, n_outcomes):
    """run_episodes_serial with groups of agents spread over threads (prange)."""
    numba.literally(n_actions)
    numba.literally(n_outcomes)
    for group in numba.prange((q.shape[0] + GROUP_SIZE - 1) // GROUP_SIZE):
        _run_groups(q, rng_state, env, hyper, returns, lengths, group, first_episode,
                    end_episode, max_steps, n_actions, n_outcomes)


@kernel
def _evaluate_one_agent(q, rng, env, agent, n_episodes, max_steps, n_actions, n_outcomes):
    """Mean return of the greedy policy (ties at random) over n_episodes.

    Random draws, in order: initial state, then per step the action (one
    draw, epsilon 0) and the outcome.
    """
    q_flat = q.reshape(q.size)
    total = 0.0
    for _ in range(n_episodes):
        s = sample_initial_state(env, rng)
        for _ in range(max_steps):
            a = epsilon_greedy(q_flat, row_of(q, agent, s), next_u64(rng), np.uint64(0),
                               n_actions)
            pair = s * n_actions + a
            o = sample_outcome(env, pair, rng, n_outcomes)
            total += env.reward[pair, o]
            if env.terminated[pair, o]:
                break
            s = env.next_state[pair, o]
    return total / n_episodes


@kernel(parallel=True)
def evaluate_greedy(q, rng_state, env, n_episodes, max_steps, n_actions, n_outcomes, out):
    """out[i] = mean greedy return of agent i (rng_state: the evaluation streams)."""
    numba.literally(n_actions)
    numba.literally(n_outcomes)
    for agent in numba.prange(q.shape[0]):
        out[agent] = _evaluate_one_agent(q, rng_state[agent], env, agent, n_episodes,
                                         max_steps, n_actions, n_outcomes)
