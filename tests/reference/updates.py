"""Twin of fastq/kernels/updates.py: the Bellman updates of Sutton & Barto."""


def q_learning_update(q, state, action, reward, next_state, terminated, alpha, gamma):
    """q: list of rows (lists), mutated. Returns the TD error."""
    discount = 0.0 if terminated else gamma
    target = reward + discount * max(q[next_state])
    td_error = target - q[state][action]
    q[state][action] = q[state][action] + alpha * td_error
    return td_error
