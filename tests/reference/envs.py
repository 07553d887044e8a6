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
