"""Bellman updates, one function per algorithm; each returns the TD error."""
from ._jit import kernel
from .policy import row_max


@kernel
def q_learning_update(q, agent, state, action, reward, next_state, terminated, alpha, gamma,
                      n_actions):
    """Q(s,a) += alpha * (r + gamma * (1 - terminated) * max_a' Q(s',a') - Q(s,a)).

    Sutton & Barto eq. 6.8. Termination cuts the bootstrap; truncation (the
    time limit) does not, so callers pass terminated only for true terminals.
    Mutates ``q[agent, state, action]``; no random draws.
    """
    discount = 0.0 if terminated else gamma
    target = reward + discount * row_max(q, agent, next_state, n_actions)
    td_error = target - q[agent, state, action]
    q[agent, state, action] = q[agent, state, action] + alpha * td_error
    return td_error


@kernel
def update_agents(q, states, actions, rewards, next_states, terminated, alpha, gamma,
                  n_actions, td_errors):
    """Apply transition i to agent i's table, for every i (the batched textbook update)."""
    for i in range(states.shape[0]):
        td_errors[i] = q_learning_update(q, i, states[i], actions[i], rewards[i],
                                         next_states[i], terminated[i], alpha[i], gamma[i],
                                         n_actions)
