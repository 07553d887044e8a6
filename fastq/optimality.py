"""Ground truth while training: distance to Q* and the greedy policy's exact value gap."""
from __future__ import annotations

import numpy as np

from . import _validate
from ._threads import over_agents
from .envs.tabular import TabularEnv
from .kernels.optimality import measure_optimality


class OptimalityTracker:
    """Measures max |Q - Q*| and the greedy value gap every ``every`` episodes
    (run.optimality: ``episodes`` (P,), ``q_error`` and ``value_gap`` (agents, P))."""

    def __init__(self, run, gammas, every):
        if not isinstance(run.env, TabularEnv):
            raise TypeError("track_optimality needs a TabularEnv (a known model); "
                            f"got {type(run.env).__name__}")
        if every is True:
            every = max(1, run.n_episodes // 100)
        self.every = _validate.count("track_optimality", every)
        self.run, self.gammas = run, gammas
        unique, self.star_of = np.unique(gammas, return_inverse=True)
        try:
            self.q_star = np.stack([run.env.value_iteration(g) for g in unique])
        except RuntimeError as error:
            raise ValueError(f"track_optimality: {error}") from None
        self.v_star_start = self.q_star.max(axis=2) @ run.env.initial
        self.values = self.q_star.max(axis=2)[self.star_of]  # warm start: V*
        points = -(-run.n_episodes // self.every)
        run.optimality = dict(episodes=np.zeros(0, np.int64),
                              q_error=np.full((run.n_agents, points), np.nan),
                              value_gap=np.full((run.n_agents, points), np.nan))

    def measure(self, episodes_done):
        """Record the measurement after ``episodes_done`` episodes (all agents)."""
        run, env = self.run, self.run.env
        j = len(run.optimality["episodes"])
        q_error, value_gap = np.empty(run.n_agents), np.empty(run.n_agents)

        def block(first, end):
            measure_optimality(run.tables, first, end, env.offsets, env.probs, env.next_states,
                               env.rewards, env.terminated, env.initial, self.gammas,
                               self.q_star, self.v_star_start, self.star_of, self.values,
                               1e-10, 100_000, q_error, value_gap)

        over_agents(block, run.n_agents)
        run.optimality["q_error"][:, j] = q_error
        run.optimality["value_gap"][:, j] = value_gap
        run.optimality["episodes"] = np.append(run.optimality["episodes"], episodes_done)
