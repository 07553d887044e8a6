"""Twin of fastq/kernels/envs.py, reading the TabularEnv's CSR arrays directly."""
from .rng import MASK32, bounded, next_u64

TWO_32 = 1 << 32


def thresholds(env, pair):
    """32-bit cumulative thresholds of the pair's outcomes (the last one is 2**32)."""
    lo, hi = int(env.offsets[pair]), int(env.offsets[pair + 1])
    total, out = 0.0, []
    for j in range(lo, hi - 1):
        total += float(env.probs[j])
        out.append(min(TWO_32, round(total * TWO_32)))
    return out + [TWO_32]


def sample_outcome(env, pair, rng):
    """Index (within the pair) of the sampled outcome; one draw unless deterministic."""
    thr = thresholds(env, pair)
    if thr[0] == TWO_32:
        return 0
    u = next_u64(rng) & MASK32
    return sum(1 for t in thr if u >= t)


def outcome(env, pair, index):
    j = int(env.offsets[pair]) + index
    return int(env.next_states[j]), float(env.rewards[j]), bool(env.terminated[j])


def sample_initial_state(alias, rng):
    """alias = (states, aliases, thresholds) lists; one draw unless one state."""
    states, aliases, thr = alias
    if len(states) == 1:
        return states[0]
    draw = next_u64(rng)
    i = bounded(draw & MASK32, len(states))
    return states[i] if (draw >> 32) < thr[i] else aliases[i]


class TabularModel:
    """A TabularEnv as the twins step it: reset(rng) and step(s, a, rng) on list streams."""

    def __init__(self, env):
        k = env.kernel_arrays()
        self.env, self.n_actions = env, env.n_actions
        self.alias = (k.init_state.tolist(), k.init_alias.tolist(), k.init_threshold.tolist())

    def reset(self, rng):
        return sample_initial_state(self.alias, rng)

    def step(self, s, a, rng):
        pair = s * self.n_actions + a
        return outcome(self.env, pair, sample_outcome(self.env, pair, rng))


class FunctionModel:
    """A FunctionEnv's own functions, run as plain Python on the same stream."""

    def __init__(self, env):
        import numpy as np

        self.env, self.n_actions, self._np = env, env.n_actions, np

    def _call(self, fn, rng, *args):
        words = self._np.array(rng, dtype=self._np.uint64)
        result = fn(*args, words)
        rng[:] = [int(w) for w in words]
        return result

    def reset(self, rng):
        return int(self._call(self.env.reset.py_func, rng))

    def step(self, s, a, rng):
        s_next, r, terminated = self._call(self.env.step.py_func, rng, s, a)
        return int(s_next), float(r), bool(terminated)
