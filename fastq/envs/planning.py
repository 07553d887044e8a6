"""Exact dynamic programming on a TabularEnv's known model (the tests' ground truth)."""
from __future__ import annotations

import numpy as np

from .. import _validate


def bellman_backup(env, q: np.ndarray, gamma: float, v_next: np.ndarray | None = None) -> np.ndarray:
    """One backup ``sum_o p_o (r_o + gamma (1 - term_o) V(s'_o))`` for every pair, (S, A).

    ``V`` defaults to ``max_a q`` (the optimality operator); pass ``v_next``
    to evaluate another policy.
    """
    v = q.max(axis=1) if v_next is None else v_next
    per_outcome = env.probs * (env.rewards + gamma * ~env.terminated * v[env.next_states])
    return np.add.reduceat(per_outcome, env.offsets[:-1]).reshape(env.n_states, env.n_actions)


def value_iteration(env, gamma: float, tol: float = 1e-10, max_iter: int = 1_000_000) -> np.ndarray:
    """Optimal action values Q* (S, A) by value iteration (Sutton & Barto eq. 4.10)."""
    gamma = _validate.real("gamma", gamma, 0.0, 1.0)
    tol = _validate.real("tol", tol, 0.0, np.inf, low_open=True)
    max_iter = _validate.count("max_iter", max_iter)
    q = np.zeros((env.n_states, env.n_actions))
    for _ in range(max_iter):
        q_new = bellman_backup(env, q, gamma)
        if np.max(np.abs(q_new - q)) < tol:
            return q_new
        q = q_new
    raise RuntimeError(f"value iteration did not converge within {max_iter} iterations "
                       f"(gamma={gamma}); with gamma = 1 every policy must reach a terminal state")


def policy_values(env, policy: np.ndarray, gamma: float) -> np.ndarray:
    """V^pi (S,) of a deterministic policy (S,) by solving the linear Bellman system."""
    S = env.n_states
    pair = np.arange(S) * env.n_actions + policy
    P = np.zeros((S, S))
    r = np.zeros(S)
    for s in range(S):
        lo, hi = env.offsets[pair[s]], env.offsets[pair[s] + 1]
        cont = ~env.terminated[lo:hi]
        np.add.at(P[s], env.next_states[lo:hi][cont], env.probs[lo:hi][cont])
        r[s] = env.probs[lo:hi] @ env.rewards[lo:hi]
    return np.linalg.solve(np.eye(S) - gamma * P, r)
