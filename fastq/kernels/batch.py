"""Batched textbook primitives: one action or one update per agent (VecQTable, QTable)."""
import numpy as np

from ._jit import kernel
from .policy import select_action
from .rng import next_u64
from .updates import DOUBLE_Q, EXPECTED_SARSA, SARSA, double_q_update, \
    expected_sarsa_update, q_learning_update, sarsa_update


@kernel
def _row(q, agent, state):
    """Flat index of Q(agent, state, 0) in the first table of ``q.reshape(-1)``."""
    return np.uint64((agent * q.shape[2] + state) * q.shape[3])


@kernel
def choose_actions(q, rng_state, states, threshold, temperature, n_actions, algorithm,
                   exploration, actions):
    """actions[i] = behaviour-policy action of agent i in states[i]; one draw per agent.

    Double Q-learning acts on the sum of its two tables.
    """
    q_flat = q.reshape(q.size)
    second = np.uint64(q.size // 2) if algorithm == DOUBLE_Q else np.uint64(0)
    for i in range(states.shape[0]):
        actions[i] = select_action(q_flat, _row(q, i, states[i]), second,
                                   next_u64(rng_state[i]), threshold[i], temperature[i],
                                   n_actions, exploration)


@kernel
def update_agents(q, rng_state, agents, states, actions, rewards, next_states, terminated,
                  next_actions, alpha, gamma, epsilon, temperature, n_actions, algorithm,
                  exploration, td_errors):
    """Apply transition j to the table of agent agents[j], in order j = 0, 1, ...

    Hyperparameters are per agent. Random draws: Double Q-learning's coin, one
    per transition from the agent's stream; none otherwise.
    """
    q_flat = q.reshape(q.size)
    second = np.uint64(q.size // 2)
    for j in range(states.shape[0]):
        i = agents[j]
        row, next_row = _row(q, i, states[j]), _row(q, i, next_states[j])
        if algorithm == DOUBLE_Q:
            td_errors[j] = double_q_update(q_flat, row, actions[j], rewards[j], next_row,
                                           terminated[j], alpha[i], gamma[i], second,
                                           next_u64(rng_state[i]), n_actions)
        elif algorithm == SARSA:
            td_errors[j] = sarsa_update(q_flat, row, actions[j], rewards[j], next_row,
                                        next_actions[j], terminated[j], alpha[i], gamma[i])
        elif algorithm == EXPECTED_SARSA:
            td_errors[j] = expected_sarsa_update(q_flat, row, actions[j], rewards[j], next_row,
                                                 terminated[j], alpha[i], gamma[i], epsilon[i],
                                                 temperature[i], n_actions, exploration)
        else:
            td_errors[j] = q_learning_update(q_flat, row, actions[j], rewards[j], next_row,
                                             terminated[j], alpha[i], gamma[i], n_actions)
