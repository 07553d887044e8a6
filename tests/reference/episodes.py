"""Twin of fastq/kernels/episodes.py: one agent, one episode after another."""
from .policy import epsilon_greedy, select_action
from .rng import next_u64
from .schedules import schedule_value
from .updates import double_q_update, expected_sarsa_update, q_learning_update, sarsa_update


def action_values(tables, s):
    """The values the agent acts on: its table's row, or the sum of Double Q's two."""
    if len(tables) == 1:
        return tables[0][s]
    return [x + y for x, y in zip(tables[0][s], tables[1][s])]


def train_agent(tables, rng, model, hyper, first_episode, end_episode, max_steps,
                algorithm="q_learning", exploration="epsilon_greedy"):
    """Episodes [first_episode, end_episode) of one agent.

    tables: list of one (two for double_q) Q tables as lists of rows; rng: list
    of 4 ints (both mutated); model: reference.envs.TabularModel or
    FunctionModel. hyper: dict of schedule rows alpha, epsilon, temperature and
    the float gamma. Returns (returns, lengths).
    """
    gamma = hyper["gamma"]
    q = tables[0]
    returns, lengths = [], []
    for episode in range(first_episode, end_episode):
        epsilon = schedule_value(hyper["epsilon"], episode)
        threshold = int(epsilon * 4294967296.0)
        temperature = schedule_value(hyper["temperature"], episode)
        alpha = schedule_value(hyper["alpha"], episode)
        s = model.reset(rng)
        if algorithm == "sarsa":
            a = select_action(q[s], next_u64(rng), threshold, temperature, exploration)
        total, steps = 0.0, 0
        while True:
            if algorithm != "sarsa":
                a = select_action(action_values(tables, s), next_u64(rng), threshold,
                                  temperature, exploration)
            s_next, r, terminated = model.step(s, a, rng)
            if algorithm == "q_learning":
                q_learning_update(q, s, a, r, s_next, terminated, alpha, gamma)
            elif algorithm == "double_q":
                double_q_update(tables[0], tables[1], s, a, r, s_next, terminated, alpha, gamma,
                                next_u64(rng))
            elif algorithm == "sarsa":
                a_next = 0
                if not terminated:
                    a_next = select_action(q[s_next], next_u64(rng), threshold, temperature,
                                           exploration)
                sarsa_update(q, s, a, r, s_next, a_next, terminated, alpha, gamma)
                a = a_next
            else:
                expected_sarsa_update(q, s, a, r, s_next, terminated, alpha, gamma, epsilon,
                                      temperature, exploration)
            steps += 1
            total += r
            s = s_next
            if terminated or steps >= max_steps:
                break
        returns.append(total)
        lengths.append(steps)
    return returns, lengths


def evaluate_agent(tables, rng, model, n_episodes, max_steps):
    """Mean return of the greedy policy (epsilon 0: the draw still picks ties)."""
    total = 0.0
    for _ in range(n_episodes):
        s = model.reset(rng)
        for _ in range(max_steps):
            a = epsilon_greedy(action_values(tables, s), next_u64(rng), 0)
            s, r, terminated = model.step(s, a, rng)
            total += r
            if terminated:
                break
    return total / n_episodes


def train_agent_envs(tables, rng, model, hyper, n_episodes, max_steps, n_copies,
                     algorithm="q_learning", exploration="epsilon_greedy"):
    """One agent with n_copies environment copies (train(..., envs=n_copies)).

    At every step the running copies all choose actions on the current table
    (copy order), then each copy in order steps and learns; a copy whose
    episode ends starts the next episode number while any remain. Returns
    (returns, lengths) indexed by episode number.
    """
    q, gamma = tables[0], hyper["gamma"]
    returns, lengths = [None] * n_episodes, [None] * n_episodes
    copies = []  # dicts: episode, state, steps, ret, action and that episode's values

    def begin(episode):
        epsilon = schedule_value(hyper["epsilon"], episode)
        copy = dict(episode=episode, epsilon=epsilon, threshold=int(epsilon * 4294967296.0),
                    temperature=schedule_value(hyper["temperature"], episode),
                    alpha=schedule_value(hyper["alpha"], episode), steps=0, ret=0.0, action=0)
        copy["state"] = model.reset(rng)
        if algorithm == "sarsa":
            copy["action"] = select_action(q[copy["state"]], next_u64(rng), copy["threshold"],
                                           copy["temperature"], exploration)
        return copy

    for c in range(n_copies):
        copies.append(begin(c) if c < n_episodes else None)
    next_episode = min(n_copies, n_episodes)
    while any(copy is not None for copy in copies):
        if algorithm != "sarsa":
            for copy in copies:
                if copy is not None:
                    copy["action"] = select_action(action_values(tables, copy["state"]),
                                                   next_u64(rng), copy["threshold"],
                                                   copy["temperature"], exploration)
        for c, copy in enumerate(copies):
            if copy is None:
                continue
            s, a = copy["state"], copy["action"]
            s_next, r, terminated = model.step(s, a, rng)
            if algorithm == "q_learning":
                q_learning_update(q, s, a, r, s_next, terminated, copy["alpha"], gamma)
            elif algorithm == "double_q":
                double_q_update(tables[0], tables[1], s, a, r, s_next, terminated,
                                copy["alpha"], gamma, next_u64(rng))
            elif algorithm == "sarsa":
                a_next = 0
                if not terminated:
                    a_next = select_action(q[s_next], next_u64(rng), copy["threshold"],
                                           copy["temperature"], exploration)
                sarsa_update(q, s, a, r, s_next, a_next, terminated, copy["alpha"], gamma)
                copy["action"] = a_next
            else:
                expected_sarsa_update(q, s, a, r, s_next, terminated, copy["alpha"], gamma,
                                      copy["epsilon"], copy["temperature"], exploration)
            copy["steps"] += 1
            copy["ret"] += r
            copy["state"] = s_next
            if terminated or copy["steps"] >= max_steps:
                returns[copy["episode"]] = copy["ret"]
                lengths[copy["episode"]] = copy["steps"]
                copies[c] = None
                if next_episode < n_episodes:
                    copies[c] = begin(next_episode)
                    next_episode += 1
    return returns, lengths
