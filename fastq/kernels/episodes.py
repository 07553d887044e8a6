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
from .envs import sample_initial_state, sample_outcome
from .policy import epsilon_greedy
from .rng import next_u64
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

    Random draws per agent, in order: at each episode start the initial state
    (sample_initial_state); at each step the action (one draw, epsilon_greedy),
    then the outcome (sample_outcome). Mutates q, rng_state, returns, lengths
    in the agents' rows only.
    """
    rng = np.empty((n_lanes, 4), np.uint64)
    state = np.empty(n_lanes, np.int64)
    steps = np.empty(n_lanes, np.int64)
    episode = np.empty(n_lanes, np.int64)
    ret = np.empty(n_lanes)
    epsilon_threshold = np.empty(n_lanes, np.uint64)
    alpha = np.empty(n_lanes)
    n_running = 0
    for g in range(n_lanes):
        agent = first_agent + g
        for w in range(4):
            rng[g, w] = rng_state[agent, w]
        steps[g] = 0
        ret[g] = 0.0
        episode[g] = first_episode
        if first_episode < end_episode:
            epsilon_threshold[g] = _epsilon_threshold(hyper, agent, first_episode)
            alpha[g] = schedule_value(hyper.alpha[agent], first_episode)
            state[g] = sample_initial_state(env, rng[g])
            n_running += 1
    while n_running > 0:
        for g in range(n_lanes):
            if episode[g] == end_episode:
                continue
            agent = first_agent + g
            s = state[g]
            a = epsilon_greedy(q, agent, s, next_u64(rng[g]), epsilon_threshold[g], n_actions)
            pair = s * n_actions + a
            o = sample_outcome(env, pair, rng[g], n_outcomes)
            s_next = env.next_state[pair, o]
            r = env.reward[pair, o]
            terminated = env.terminated[pair, o]
            q_learning_update(q, agent, s, a, r, s_next, terminated, alpha[g],
                              hyper.gamma[agent], n_actions)
            steps[g] += 1
            ret[g] += r
            if terminated or steps[g] >= max_steps:
                e = episode[g]
                returns[agent, e] = ret[g]
                lengths[agent, e] = steps[g]
                episode[g] = e + 1
                steps[g] = 0
                ret[g] = 0.0
                if e + 1 == end_episode:
                    n_running -= 1
                else:
                    epsilon_threshold[g] = _epsilon_threshold(hyper, agent, e + 1)
                    alpha[g] = schedule_value(hyper.alpha[agent], e + 1)
                    state[g] = sample_initial_state(env, rng[g])
            else:
                state[g] = s_next
    for g in range(n_lanes):
        for w in range(4):
            rng_state[first_agent + g, w] = rng[g, w]


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
    total = 0.0
    for _ in range(n_episodes):
        s = sample_initial_state(env, rng)
        for _ in range(max_steps):
            a = epsilon_greedy(q, agent, s, next_u64(rng), np.uint64(0), n_actions)
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
