"""Ground truth while learning: distance to Q* and the greedy policy's exact value gap."""
import numpy as np

from ._jit import kernel


@kernel
def _greedy_value(tables, agent, env_offsets, probs, next_states, rewards, terminated, state,
                  values, gamma, n_actions):
    """Backup of V at ``state`` under the greedy policy of the agent's tables (the sum
    of its tables), ties shared equally: the policy fastq's evaluation follows."""
    best = -np.inf
    for a in range(n_actions):
        value = 0.0
        for t in range(tables.shape[0]):
            value += tables[t, agent, state, a]
        best = max(best, value)
    total, n_ties = 0.0, 0
    for a in range(n_actions):
        value = 0.0
        for t in range(tables.shape[0]):
            value += tables[t, agent, state, a]
        if value == best:
            n_ties += 1
            pair = state * n_actions + a
            for o in range(env_offsets[pair], env_offsets[pair + 1]):
                cont = 0.0 if terminated[o] else gamma
                total += probs[o] * (rewards[o] + cont * values[next_states[o]])
    return total / n_ties


@kernel
def measure_optimality(tables, first_agent, end_agent, env_offsets, probs, next_states,
                       rewards, terminated, initial, gamma, q_star, v_star_start, star_of,
                       values, tol, max_iter, q_error, value_gap):
    """For agents [first_agent, end_agent): q_error[i] = max |Q_i - Q*|, value_gap[i] =
    V*(s0) - V^pi_i(s0) with s0 ~ initial and pi_i greedy in Q_i (ties shared).

    V^pi by iterative policy evaluation, warm-started from ``values[i]`` (kept
    for the next call), until successive sweeps differ by less than tol; NaN if
    that takes more than max_iter sweeps (gamma = 1 and a policy that never
    terminates). ``star_of[i]`` picks agent i's Q* (one per distinct gamma).
    Mutates values, q_error, value_gap; no random draws.
    """
    n_tables, n_states, n_actions = tables.shape[0], tables.shape[2], tables.shape[3]
    for i in range(first_agent, end_agent):
        star = star_of[i]
        error = 0.0
        for s in range(n_states):
            for a in range(n_actions):
                q = 0.0
                for t in range(n_tables):
                    q += tables[t, i, s, a]
                error = max(error, abs(q / n_tables - q_star[star, s, a]))
        q_error[i] = error
        v = values[i]
        converged = False
        for _ in range(max_iter):
            change = 0.0
            for s in range(n_states):
                new = _greedy_value(tables, i, env_offsets, probs, next_states, rewards,
                                    terminated, s, v, gamma[i], n_actions)
                change = max(change, abs(new - v[s]))
                v[s] = new
            if change < tol:
                converged = True
                break
        start = 0.0
        for s in range(n_states):
            start += initial[s] * v[s]
        value_gap[i] = v_star_start[star] - start if converged else np.nan
