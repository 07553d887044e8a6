"""Twin of fastq/kernels/episodes.py: one agent, one episode after another."""
from .envs import outcome, sample_initial_state, sample_outcome
from .policy import epsilon_greedy
from .rng import next_u64
from .schedules import schedule_value
from .updates import q_learning_update


def train_agent(q, rng, env, alias, alpha_schedule, epsilon_schedule, gamma, first_episode,
                end_episode, max_steps):
    """Q-learning episodes [first_episode, end_episode) of one agent.

    q: list of rows, rng: list of 4 ints (both mutated). Returns (returns, lengths).
    """
    n_actions = len(q[0])
    returns, lengths = [], []
    for episode in range(first_episode, end_episode):
        epsilon_threshold = int(schedule_value(epsilon_schedule, episode) * 4294967296.0)
        alpha = schedule_value(alpha_schedule, episode)
        s = sample_initial_state(alias, rng)
        total, steps = 0.0, 0
        while True:
            a = epsilon_greedy(q[s], next_u64(rng), epsilon_threshold)
            pair = s * n_actions + a
            s_next, r, terminated = outcome(env, pair, sample_outcome(env, pair, rng))
            q_learning_update(q, s, a, r, s_next, terminated, alpha, gamma)
            steps += 1
            total += r
            if terminated or steps >= max_steps:
                break
            s = s_next
        returns.append(total)
        lengths.append(steps)
    return returns, lengths


def evaluate_agent(q, rng, env, alias, n_episodes, max_steps):
    """Mean return of the greedy policy (epsilon 0: the draw still picks ties)."""
    n_actions = len(q[0])
    total = 0.0
    for _ in range(n_episodes):
        s = sample_initial_state(alias, rng)
        for _ in range(max_steps):
            a = epsilon_greedy(q[s], next_u64(rng), 0)
            pair = s * n_actions + a
            s_next, r, terminated = outcome(env, pair, sample_outcome(env, pair, rng))
            total += r
            if terminated:
                break
            s = s_next
    return total / n_episodes
