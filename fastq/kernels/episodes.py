"""Episode loops: many independent agents, each owning its rows of every array.

Agents run in small groups advanced in lockstep (one step of each agent of the
group in turn), so the CPU overlaps their independent dependency chains. The
kernels release the GIL and take a range of agents: the engine spreads
disjoint ranges over threads. An agent's
results depend only on its own inputs and stream, never on the group, the
thread or the chunk of episodes it ran in.

``q`` holds the agents' tables as float (n_tables, n_agents, S, A): one table,
or two for Double Q-learning (the second at offset ``second`` in the flat view).
"""
from typing import NamedTuple

import numba
import numpy as np

from ._jit import kernel
from ._stack import borrow, stack_empty
from .envs import env_reset, env_step
from .policy import epsilon_greedy, select_action
from .rng import xoshiro
from .schedules import schedule_value
from .updates import DOUBLE_Q, SARSA, learn

GROUP_SIZE = 4


class EnvCopies(NamedTuple):
    """Each agent's parallel environment copies, kept between chunks of episodes.

    episode int64 (n_agents, E): the episode a copy is running (-1: idle);
    state, steps, action int64 (n_agents, E) (action: SARSA's next action);
    ret float64 (n_agents, E); next_episode int64 (n_agents,): the next
    episode number to start.
    """

    episode: np.ndarray
    state: np.ndarray
    steps: np.ndarray
    action: np.ndarray
    ret: np.ndarray
    next_episode: np.ndarray


class Hyperparameters(NamedTuple):
    """Per-agent hyperparameters: alpha, epsilon, temperature float64 (n_agents, 4)
    encoded schedules (see schedules.py); gamma float64 (n_agents,)."""

    alpha: np.ndarray
    epsilon: np.ndarray
    temperature: np.ndarray
    gamma: np.ndarray


@kernel
def _second_table(q, algorithm):
    """Flat distance from table 0 to table 1 (0 unless Double Q-learning)."""
    if algorithm == DOUBLE_Q:
        return np.uint64(q.size // 2)
    return np.uint64(0)


@kernel(inline="always")
def _episode_values(hyper, agent, episode):
    """(epsilon, epsilon * 2**32, temperature, alpha) of an agent's episode."""
    epsilon = schedule_value(hyper.epsilon[agent], episode)
    return (epsilon, np.uint64(epsilon * 4294967296.0),
            schedule_value(hyper.temperature[agent], episode),
            schedule_value(hyper.alpha[agent], episode))


@kernel(inline="always")
def _begin_episode(env, hyper, agent, episode, q_flat, table, w0, w1, w2, w3, n_actions,
                   algorithm, exploration):
    """An agent's per-episode values, its start state and (SARSA) first action.

    Random draws: the start state (env_reset), then SARSA's first action.
    """
    epsilon, threshold, temperature, alpha = _episode_values(hyper, agent, episode)
    state, w0, w1, w2, w3 = env_reset(env, w0, w1, w2, w3)
    action = np.int64(0)
    if algorithm == SARSA:
        draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
        action = select_action(q_flat, (table + state) * np.uint64(n_actions), np.uint64(0),
                               draw, threshold, temperature, n_actions, exploration)
    return state, action, epsilon, threshold, temperature, alpha, w0, w1, w2, w3


@kernel
def _episodes_one_group(q, rng_state, env, hyper, returns, lengths, record_stride,
                        first_agent, n_lanes, first_episode, end_episode, max_steps,
                        n_actions, n_outcomes, algorithm, exploration):
    """Run episodes [first_episode, end_episode) of agents first_agent .. +n_lanes.

    The agents advance in lockstep, one step each in turn; their per-episode
    values live in small stack arrays. Random draws per agent, in order: at
    each episode start those of _begin_episode; then per step the action
    (one draw; SARSA instead draws the next action after the outcome, unless
    terminated), the outcome (env_step), and Double Q's coin (one draw).
    Episode e's return and length are added to column e // record_stride.
    Mutates q, rng_state, returns, lengths in the agents' rows only.
    """
    if first_episode >= end_episode:
        return
    q_flat = borrow(q.reshape(q.size))
    n_states = np.uint64(q.shape[2])
    second = _second_table(q, algorithm)
    w0 = stack_empty(GROUP_SIZE, np.uint64)
    w1 = stack_empty(GROUP_SIZE, np.uint64)
    w2 = stack_empty(GROUP_SIZE, np.uint64)
    w3 = stack_empty(GROUP_SIZE, np.uint64)
    table = stack_empty(GROUP_SIZE, np.uint64)  # agent * n_states: the table's first row
    state = stack_empty(GROUP_SIZE, np.uint64)
    action = stack_empty(GROUP_SIZE, np.int64)  # SARSA's next action
    steps = stack_empty(GROUP_SIZE, np.int64)
    episode = stack_empty(GROUP_SIZE, np.int64)
    ret = stack_empty(GROUP_SIZE, np.float64)
    epsilon = stack_empty(GROUP_SIZE, np.float64)
    threshold = stack_empty(GROUP_SIZE, np.uint64)  # epsilon * 2**32
    temperature = stack_empty(GROUP_SIZE, np.float64)
    alpha = stack_empty(GROUP_SIZE, np.float64)
    gamma = stack_empty(GROUP_SIZE, np.float64)
    n_running = 0
    for g in range(GROUP_SIZE):
        agent = first_agent + g
        episode[g] = end_episode  # lanes beyond n_lanes stay finished
        if g < n_lanes:
            table[g] = np.uint64(agent) * n_states
            gamma[g] = hyper.gamma[agent]
            episode[g] = first_episode
            steps[g] = 0
            ret[g] = 0.0
            n_running += 1
            (state[g], action[g], epsilon[g], threshold[g], temperature[g], alpha[g],
             w0[g], w1[g], w2[g], w3[g]) = _begin_episode(
                env, hyper, agent, first_episode, q_flat, table[g], rng_state[agent, 0],
                rng_state[agent, 1], rng_state[agent, 2], rng_state[agent, 3], n_actions,
                algorithm, exploration)
    while n_running > 0:
        for g in range(GROUP_SIZE):
            if episode[g] == end_episode:
                continue
            s = state[g]
            row = (table[g] + s) * np.uint64(n_actions)
            if algorithm == SARSA:
                a = action[g]
            else:
                draw, w0[g], w1[g], w2[g], w3[g] = xoshiro(w0[g], w1[g], w2[g], w3[g])
                a = select_action(q_flat, row, second, draw, threshold[g], temperature[g],
                                  n_actions, exploration)
            s_next, r, terminated, w0[g], w1[g], w2[g], w3[g] = env_step(
                env, s, a, w0[g], w1[g], w2[g], w3[g], n_actions, n_outcomes)
            next_row = (table[g] + s_next) * np.uint64(n_actions)
            action[g], w0[g], w1[g], w2[g], w3[g] = learn(
                q_flat, row, a, r, next_row, terminated, alpha[g], gamma[g], epsilon[g],
                threshold[g], temperature[g], second, w0[g], w1[g], w2[g], w3[g], n_actions,
                exploration, algorithm)
            steps[g] += 1
            ret[g] += r
            state[g] = s_next
            if terminated or steps[g] >= max_steps:
                agent = first_agent + g
                e = episode[g]
                column = e if record_stride == 1 else e // record_stride
                returns[agent, column] += ret[g]
                lengths[agent, column] += steps[g]
                episode[g] = e + 1
                steps[g] = 0
                ret[g] = 0.0
                if e + 1 == end_episode:
                    n_running -= 1
                else:
                    (state[g], action[g], epsilon[g], threshold[g], temperature[g], alpha[g],
                     w0[g], w1[g], w2[g], w3[g]) = _begin_episode(
                        env, hyper, agent, e + 1, q_flat, table[g], w0[g], w1[g], w2[g],
                        w3[g], n_actions, algorithm, exploration)
    for g in range(n_lanes):
        agent = first_agent + g
        rng_state[agent, 0], rng_state[agent, 1] = w0[g], w1[g]
        rng_state[agent, 2], rng_state[agent, 3] = w2[g], w3[g]


@kernel
def run_episodes(q, rng_state, env, hyper, returns, lengths, record_stride, first_agent,
                 end_agent, first_episode, end_episode, max_steps, n_actions, n_outcomes,
                 algorithm, exploration):
    """Train agents [first_agent, end_agent) for episodes [first_episode, end_episode).

    n_actions, n_outcomes, algorithm and exploration are compile-time
    constants (one specialisation per environment shape and rule). Releases
    the GIL: the engine runs disjoint agent ranges on several threads.
    """
    numba.literally(n_actions)
    numba.literally(n_outcomes)
    numba.literally(algorithm)
    numba.literally(exploration)
    for first in range(first_agent, end_agent, GROUP_SIZE):
        _episodes_one_group(q, rng_state, env, hyper, returns, lengths, record_stride, first,
                            min(GROUP_SIZE, end_agent - first), first_episode, end_episode,
                            max_steps, n_actions, n_outcomes, algorithm, exploration)


@kernel
def _episodes_one_agent_envs(q, rng_state, env, hyper, returns, lengths, record_stride, agent,
                             copies, end_episode, n_episodes, max_steps, n_actions, n_outcomes,
                             algorithm, exploration):
    """Run one agent's E environment copies until its episodes < end_episode are done.

    At every step all running copies choose their actions on the agent's
    current table (in copy order, one draw each), then each copy in order
    steps and applies its update (the draws of env_step and learn); a copy
    whose episode ends starts the agent's next episode number while any
    remain (the draws of _begin_episode). Episodes are numbered in the order
    they start. Copy state persists in ``copies`` between calls, so chunked
    equals unchunked.
    """
    q_flat = borrow(q.reshape(q.size))
    table = np.uint64(agent) * np.uint64(q.shape[2])
    second = _second_table(q, algorithm)
    n_copies = copies.episode.shape[1]
    epsilon = np.empty(n_copies)
    threshold = np.empty(n_copies, np.uint64)
    temperature = np.empty(n_copies)
    alpha = np.empty(n_copies)
    gamma = hyper.gamma[agent]
    w0, w1, w2, w3 = rng_state[agent, 0], rng_state[agent, 1], rng_state[agent, 2], \
        rng_state[agent, 3]
    episode, state, steps = copies.episode[agent], copies.state[agent], copies.steps[agent]
    action, ret = copies.action[agent], copies.ret[agent]
    for c in range(n_copies):
        if copies.next_episode[agent] == 0:  # the first call starts the copies
            episode[c] = -1
            if c < n_episodes:
                episode[c] = c
                steps[c] = 0
                ret[c] = 0.0
                (s0, action[c], epsilon[c], threshold[c], temperature[c], alpha[c],
                 w0, w1, w2, w3) = _begin_episode(env, hyper, agent, c, q_flat, table, w0, w1, w2,
                                                  w3, n_actions, algorithm, exploration)
                state[c] = np.int64(s0)
        elif episode[c] >= 0:
            epsilon[c], threshold[c], temperature[c], alpha[c] = _episode_values(
                hyper, agent, episode[c])
    if copies.next_episode[agent] == 0:
        copies.next_episode[agent] = min(n_copies, n_episodes)
    while True:
        running = False
        for c in range(n_copies):
            running |= 0 <= episode[c] < end_episode
        if not running:
            break
        if algorithm != SARSA:
            for c in range(n_copies):
                if episode[c] >= 0:
                    draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
                    action[c] = select_action(
                        q_flat, (table + np.uint64(state[c])) * np.uint64(n_actions), second,
                        draw, threshold[c], temperature[c], n_actions, exploration)
        for c in range(n_copies):
            if episode[c] < 0:
                continue
            s = np.uint64(state[c])
            row = (table + s) * np.uint64(n_actions)
            s_next, r, terminated, w0, w1, w2, w3 = env_step(env, s, action[c], w0, w1, w2, w3,
                                                             n_actions, n_outcomes)
            action[c], w0, w1, w2, w3 = learn(
                q_flat, row, action[c], r, (table + s_next) * np.uint64(n_actions), terminated,
                alpha[c], gamma, epsilon[c], threshold[c], temperature[c], second, w0, w1, w2,
                w3, n_actions, exploration, algorithm)
            steps[c] += 1
            ret[c] += r
            state[c] = np.int64(s_next)
            if terminated or steps[c] >= max_steps:
                e = episode[c]
                returns[agent, e // record_stride] += ret[c]
                lengths[agent, e // record_stride] += steps[c]
                episode[c] = -1
                e = copies.next_episode[agent]
                if e < n_episodes:
                    copies.next_episode[agent] = e + 1
                    episode[c] = e
                    steps[c] = 0
                    ret[c] = 0.0
                    (s0, action[c], epsilon[c], threshold[c], temperature[c], alpha[c],
                     w0, w1, w2, w3) = _begin_episode(env, hyper, agent, e, q_flat, table, w0, w1,
                                                      w2, w3, n_actions, algorithm, exploration)
                    state[c] = np.int64(s0)
    rng_state[agent, 0], rng_state[agent, 1] = w0, w1
    rng_state[agent, 2], rng_state[agent, 3] = w2, w3


@kernel
def run_episodes_envs(q, rng_state, env, hyper, returns, lengths, record_stride, first_agent,
                      end_agent, copies, end_episode, n_episodes, max_steps, n_actions,
                      n_outcomes, algorithm, exploration):
    """run_episodes for agents with several environment copies each (``copies``):
    advance agents [first_agent, end_agent) until their episodes < end_episode are done."""
    numba.literally(n_actions)
    numba.literally(n_outcomes)
    numba.literally(algorithm)
    numba.literally(exploration)
    for agent in range(first_agent, end_agent):
        _episodes_one_agent_envs(q, rng_state, env, hyper, returns, lengths, record_stride,
                                 agent, copies, end_episode, n_episodes, max_steps, n_actions,
                                 n_outcomes, algorithm, exploration)


@kernel
def _evaluate_one_agent(q, rng_state, env, agent, n_episodes, max_steps, n_actions,
                        n_outcomes, algorithm):
    """Mean return of the greedy policy (ties at random) over n_episodes.

    Random draws, in order: per episode the start state, then per step the
    action (one draw, epsilon 0) and the outcome.
    """
    q_flat = borrow(q.reshape(q.size))
    second = _second_table(q, algorithm)
    table = np.uint64(agent) * np.uint64(q.shape[2])
    w0, w1, w2, w3 = rng_state[agent, 0], rng_state[agent, 1], rng_state[agent, 2], \
        rng_state[agent, 3]
    total = 0.0
    for _ in range(n_episodes):
        s, w0, w1, w2, w3 = env_reset(env, w0, w1, w2, w3)
        for _ in range(max_steps):
            draw, w0, w1, w2, w3 = xoshiro(w0, w1, w2, w3)
            a = epsilon_greedy(q_flat, (table + s) * np.uint64(n_actions), second, draw,
                               np.uint64(0), n_actions)
            s, r, terminated, w0, w1, w2, w3 = env_step(env, s, a, w0, w1, w2, w3, n_actions,
                                                        n_outcomes)
            total += r
            if terminated:
                break
    rng_state[agent, 0], rng_state[agent, 1] = w0, w1
    rng_state[agent, 2], rng_state[agent, 3] = w2, w3
    return total / n_episodes


@kernel
def evaluate_greedy(q, rng_state, env, first_agent, end_agent, n_episodes, max_steps, out,
                    n_actions, n_outcomes, algorithm):
    """out[i] = mean greedy return of agent i in [first_agent, end_agent) (rng_state:
    the evaluation streams)."""
    numba.literally(n_actions)
    numba.literally(n_outcomes)
    numba.literally(algorithm)
    for agent in range(first_agent, end_agent):
        out[agent] = _evaluate_one_agent(q, rng_state, env, agent, n_episodes, max_steps,
                                         n_actions, n_outcomes, algorithm)
