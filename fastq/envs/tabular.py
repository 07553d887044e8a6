"""TabularEnv: a finite MDP held as flat arrays, ready for the kernels.

Every (state, action) pair owns a run of outcomes ``(probability, next state,
reward, terminated)`` stored in CSR form: the outcomes of pair ``s * A + a``
are ``offsets[s * A + a]`` to ``offsets[s * A + a + 1]``. This is Gymnasium's
``env.unwrapped.P`` as arrays; duplicate next states are kept as separate
outcomes, exactly as Gymnasium lists them.
"""
from __future__ import annotations

import numpy as np

from .. import _validate
from ..kernels.envs import KernelEnv

TWO_32 = 1 << 32


class TabularEnv:
    """A finite MDP with known dynamics, shared read-only by all agents.

    Build one with :func:`fastq.make`, :meth:`from_arrays`,
    :meth:`from_transitions` or :meth:`from_gymnasium`.

    Attributes
    ----------
    n_states, n_actions : int
    max_steps : int or None
        Time limit (truncation, which bootstraps); None means no limit.
    offsets : int64 (S*A + 1,)
    probs, rewards : float64 (n_outcomes_total,)
    next_states : int64 (n_outcomes_total,)
    terminated : bool (n_outcomes_total,)
    initial : float64 (S,)
        Initial-state distribution.
    """

    def __init__(self, n_states, n_actions, offsets, probs, next_states, rewards, terminated,
                 initial, max_steps=None, name=None):
        self.n_states = _validate.count("n_states", n_states)
        self.n_actions = _validate.count("n_actions", n_actions)
        self.max_steps = _validate.optional_count("max_steps", max_steps)
        self.name = name or "TabularEnv"
        n_pairs = self.n_states * self.n_actions
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        if self.offsets.shape != (n_pairs + 1,) or self.offsets[0] != 0 \
                or np.any(np.diff(self.offsets) < 1):
            raise ValueError("offsets must be increasing from 0 with one run of >= 1 outcome "
                             f"per (state, action) pair, shape ({n_pairs + 1},)")
        n_total = int(self.offsets[-1])
        self.probs = _validate.real_array("probabilities", probs, ndim=1)
        self.rewards = _validate.real_array("rewards", rewards, ndim=1)
        self.next_states = _validate.index_array("next states", next_states, self.n_states)
        self.terminated = _validate.bool_array("terminated", terminated, (n_total,))
        for name_, arr in (("probabilities", self.probs), ("rewards", self.rewards),
                           ("next states", self.next_states)):
            if arr.shape != (n_total,):
                raise ValueError(f"{name_} must have shape ({n_total},) (one per outcome); "
                                 f"got shape {arr.shape}")
        if np.any(self.probs < 0):
            i = int(np.flatnonzero(self.probs < 0)[0])
            raise ValueError(f"probabilities must be >= 0; got {self.probs[i]!r} at outcome {i}")
        sums = np.add.reduceat(self.probs, self.offsets[:-1])
        bad = np.abs(sums - 1.0) > 1e-9
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            s, a = divmod(i, self.n_actions)
            raise ValueError(f"transition probabilities of (state {s}, action {a}) must sum to 1 "
                             f"(within 1e-9); got {sums[i]!r}")
        self.initial = _initial_distribution(initial, self.n_states)
        self._kernel = None

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_transitions(cls, P, n_states=None, n_actions=None, initial=None, max_steps=None,
                         name=None):
        """From Gymnasium's format ``P[s][a] = [(prob, next_state, reward, terminated), ...]``.

        Outcomes of probability 0 are dropped; the others keep their order.
        """
        if n_states is None:
            n_states = len(P)
        if n_actions is None:
            n_actions = len(P[0])
        offsets = [0]
        rows = []
        for s in range(n_states):
            for a in range(n_actions):
                try:
                    outcomes = P[s][a]
                except (KeyError, IndexError):
                    raise ValueError(f"P has no entry for (state {s}, action {a})") from None
                kept = [tuple(o[:4]) for o in outcomes if o[0] != 0]
                if not kept:
                    raise ValueError(f"P[{s}][{a}] has no outcome of positive probability")
                rows.extend(kept)
                offsets.append(len(rows))
        p, ns, r, d = zip(*rows)
        return cls(n_states, n_actions, offsets, p, ns, r, [bool(x) for x in d],
                   0 if initial is None else initial, max_steps, name)

    @classmethod
    def from_arrays(cls, P, R, terminal=None, initial=None, max_steps=None, name=None):
        """From dense arrays.

        Parameters
        ----------
        P : float (S, A, S)
            Transition probabilities; each ``P[s, a]`` sums to 1.
        R : float (S, A) or (S, A, S)
            Reward of taking a in s (or of the transition s, a -> s').
        terminal : bool (S,) or (S, A, S), optional
            (S,): a transition into such a state terminates; (S, A, S): per
            transition. Default: nothing terminates.
        initial : int or float (S,), optional
            Start state, or initial-state distribution. Default state 0.
        max_steps : int, optional
            Time limit (truncation). Default none.

        Example
        -------
        >>> P = np.zeros((2, 1, 2)); P[0, 0, 1] = P[1, 0, 1] = 1.0
        >>> env = fastq.TabularEnv.from_arrays(P, R=[[0.0], [1.0]], terminal=[False, True])
        """
        P = _validate.real_array("P", P, ndim=3)
        S, A, S2 = P.shape
        if S2 != S or S == 0 or A == 0:
            raise ValueError(f"P must have shape (S, A, S) with S, A >= 1; got shape {P.shape}")
        if (P < 0).any():
            i = tuple(int(x) for x in np.argwhere(P < 0)[0])
            raise ValueError(f"P must be >= 0; got {P[i]!r} at index {i}")
        sums = P.sum(axis=2)
        if (np.abs(sums - 1.0) > 1e-9).any():
            s, a = (int(x) for x in np.argwhere(np.abs(sums - 1.0) > 1e-9)[0])
            raise ValueError(f"P[{s}, {a}] must sum to 1 (within 1e-9); got {sums[s, a]!r}")
        R = _validate.real_array("R", R)
        if R.shape == (S, A):
            R = np.broadcast_to(R[:, :, None], (S, A, S))
        elif R.shape != (S, A, S):
            raise ValueError(f"R must have shape ({S}, {A}) or ({S}, {A}, {S}); got shape {R.shape}")
        if terminal is None:
            terminal = np.zeros((S, A, S), bool)
        else:
            terminal = np.asarray(terminal)
            if terminal.shape == (S,):
                terminal = np.broadcast_to(_validate.bool_array("terminal", terminal, (S,)),
                                           (S, A, S))
            elif terminal.shape == (S, A, S):
                terminal = _validate.bool_array("terminal", terminal, (S, A, S))
            else:
                raise ValueError(f"terminal must have shape ({S},) or ({S}, {A}, {S}); "
                                 f"got shape {terminal.shape}")
        s_idx, a_idx, ns_idx = np.nonzero(P)  # C order: grouped by pair, next states ascending
        counts = np.bincount(s_idx * A + a_idx, minlength=S * A)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        return cls(S, A, offsets, P[s_idx, a_idx, ns_idx], ns_idx, R[s_idx, a_idx, ns_idx],
                   terminal[s_idx, a_idx, ns_idx], 0 if initial is None else initial,
                   max_steps, name)

    @classmethod
    def from_gymnasium(cls, env, max_steps="auto"):
        """From any Gymnasium env with a tabular model (``env.unwrapped.P``), e.g. toy_text.

        The time limit is the env's ``TimeLimit`` (``spec.max_episode_steps``)
        unless ``max_steps`` is given (None: no limit).
        """
        from .gymnasium import transitions_of

        return cls.from_transitions(**transitions_of(env, max_steps))

    # ---------------------------------------------------------------- views
    @property
    def n_outcomes(self) -> int:
        """The largest number of outcomes of any (state, action) pair."""
        return int(np.diff(self.offsets).max())

    def to_arrays(self):
        """Dense ``(P, R, terminal, initial)``: P, R, terminal (S, A, S), initial (S,).

        Outcomes into the same next state are merged: probabilities add, R is
        their probability-weighted mean reward, terminal is true if any is.
        """
        S, A = self.n_states, self.n_actions
        pair = np.repeat(np.arange(S * A), np.diff(self.offsets))
        flat = pair * S + self.next_states
        P = np.bincount(flat, self.probs, S * A * S)
        pr = np.bincount(flat, self.probs * self.rewards, S * A * S)
        R = np.divide(pr, P, out=np.zeros_like(P), where=P > 0)
        term = np.zeros(S * A * S, bool)
        term[flat[self.terminated]] = True
        shape = (S, A, S)
        return P.reshape(shape), R.reshape(shape), term.reshape(shape), self.initial.copy()

    def kernel_arrays(self) -> KernelEnv:
        """The padded arrays the kernels read (built once, then cached)."""
        if self._kernel is None:
            self._kernel = _kernel_layout(self)
        return self._kernel

    def with_max_steps(self, max_steps) -> "TabularEnv":
        """The same dynamics with another time limit (None: no limit)."""
        env = object.__new__(TabularEnv)
        env.__dict__.update(self.__dict__)
        env.max_steps = _validate.optional_count("max_steps", max_steps)
        return env

    def value_iteration(self, gamma: float, tol: float = 1e-10, max_iter: int = 1_000_000):
        """Exact optimal action values Q* (S, A) of the discounted MDP.

        Bellman optimality backups until successive iterates differ by less
        than ``tol`` (sup norm). The time limit is ignored (infinite-horizon
        discounted values), as in the textbook definition of Q*.
        """
        from .planning import value_iteration

        return value_iteration(self, gamma, tol, max_iter)

    def __repr__(self):
        limit = "no time limit" if self.max_steps is None else f"max_steps={self.max_steps}"
        return (f"<{self.name}: {self.n_states} states, {self.n_actions} actions, "
                f"{self.n_outcomes} max outcomes, {limit}>")


def _initial_distribution(initial, n_states: int) -> np.ndarray:
    if np.ndim(initial) == 0:
        s = _validate.index_array("initial", initial, n_states)
        dist = np.zeros(n_states)
        dist[int(s)] = 1.0
        return dist
    dist = _validate.real_array("initial", initial, ndim=1)
    if dist.shape != (n_states,):
        raise ValueError(f"initial must be a state or a distribution of shape ({n_states},); "
                         f"got shape {dist.shape}")
    if (dist < 0).any() or abs(dist.sum() - 1.0) > 1e-9:
        raise ValueError(f"initial must be non-negative and sum to 1 (within 1e-9); "
                         f"got sum {dist.sum()!r}")
    return dist


def _kernel_layout(env: TabularEnv) -> KernelEnv:
    """Pad the CSR outcomes to K per pair and quantise probabilities to 32 bits."""
    S, A, K = env.n_states, env.n_actions, env.n_outcomes
    counts = np.diff(env.offsets)
    pair = np.repeat(np.arange(S * A), counts)
    slot = np.arange(len(pair)) - env.offsets[pair]
    next_state = np.empty((S * A, K), np.int64)
    reward = np.empty((S * A, K), np.float64)
    terminated = np.empty((S * A, K), np.bool_)
    # padding repeats each pair's last outcome (never selected: its threshold is 2**32)
    last = env.offsets[1:] - 1
    next_state[:] = env.next_states[last][:, None]
    reward[:] = env.rewards[last][:, None]
    terminated[:] = env.terminated[last][:, None]
    next_state[pair, slot] = env.next_states
    reward[pair, slot] = env.rewards
    terminated[pair, slot] = env.terminated
    probs = np.zeros((S * A, K))
    probs[pair, slot] = env.probs
    cum = np.cumsum(probs, axis=1)  # sequential within each pair
    thresholds = np.minimum(np.round(cum[:, :max(K - 1, 1)] * TWO_32), TWO_32).astype(np.uint64)
    # a pair's last outcome and the padding after it can never be exceeded
    thresholds[np.arange(max(K - 1, 1))[None, :] >= counts[:, None] - 1] = TWO_32
    init_state, init_alias, init_threshold = alias_table(env.initial)
    return KernelEnv(thresholds, next_state, reward, terminated,
                     init_state, init_alias, init_threshold)


def alias_table(dist: np.ndarray):
    """Walker/Vose alias table over the support of ``dist``, thresholds in 32 bits.

    Sampling: ``i = (u32 * M) >> 32`` from one 32-bit uniform, then state
    ``i`` if another 32-bit uniform is below ``threshold[i]``, else ``alias[i]``.
    A distribution uniform over its support gets every threshold 2**32.
    """
    support = np.flatnonzero(dist > 0)
    m = len(support)
    p = dist[support] / dist[support].sum()
    state = support.astype(np.int64)
    alias = state.copy()
    threshold = np.full(m, TWO_32, np.uint64)
    if np.allclose(p, 1.0 / m, rtol=0, atol=1e-12):
        return state, alias, threshold
    scaled = p * m
    small = [i for i in range(m) if scaled[i] < 1.0]
    large = [i for i in range(m) if scaled[i] >= 1.0]
    while small and large:
        i, j = small.pop(), large.pop()
        threshold[i] = np.uint64(min(TWO_32, round(scaled[i] * TWO_32)))
        alias[i] = state[j]
        scaled[j] -= 1.0 - scaled[i]
        (small if scaled[j] < 1.0 else large).append(j)
    return state, alias, threshold
