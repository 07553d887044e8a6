"""Bellman updates, one function per algorithm; each returns the TD error."""
import numpy as np

from ._jit import kernel
from .policy import row_max, row_of


@kernel
def q_learning_update(q_flat, row, action, reward, next_row, terminated, alpha, gamma,
                      n_actions):
    """Q(s,a) += alpha * (r + gamma * (1 - terminated) * max_a' Q(s',a') - Q(s,a)).

    Sutton & Barto eq. 6.8; ``row``/``next_row`` address Q(s, 0) and Q(s', 0) in
    the flat table. Termination cuts the bootstrap; truncation (the time
    limit) does not, so callers pass terminated only for true terminals.
    Mutates Q(s, a); no random draws.
    """
    discount = 0.0 if terminated else gamma
    target = reward + discount * row_max(q_flat, next_row, n_actions)
    i = row + np.uint64(action)
    td_error = target - q_flat[i]
    q_flat[i] = q_flat[i] + alpha * td_error
    return td_error


@kernel
def update_agents(q, states, actions, rewards, next_states, terminated, alpha, gamma,
                  n_actions, td_errors):
    """Apply transition i to agent i's table, for every i (the batched textbook update)."""
    q_flat = q.reshape(q.size)
    for i in range(states.shape[0]):
        td_errors[i] = q_learning_update(q_flat, row_of(q, i, states[i]), actions[i],
                                         rewards[i], row_of(q, i, next_states[i]),
                                         terminated[i], alpha[i], gamma[i], n_actions)
