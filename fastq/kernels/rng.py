"""Per-agent random streams: xoshiro256++ with explicit uint64 state.

Each agent owns a row ``rng_state[agent, 0:4]``; nothing here touches a global
generator, so a stream depends only on ``(seed, agent index)``. Decisions use
32-bit halves of one 64-bit output compared with integer thresholds (no float
conversion, no division): a probability p is the threshold ``uint64(p * 2**32)``.
"""
import numpy as np

from ._jit import kernel

MASK32 = np.uint64(0xFFFFFFFF)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
AGENT_MIX = np.uint64(0xD1B54A32D192ED03)
TWO_32 = np.uint64(1 << 32)


@kernel
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@kernel
def xoshiro(s0, s1, s2, s3):
    """One xoshiro256++ step on the four state words: (64 random bits, new words)."""
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    return result, s0, s1, s2, _rotl(s3, 45)


@kernel
def next_u64(state):
    """Advance one stream held as uint64 (4,) (mutated) and return 64 random bits."""
    result, state[0], state[1], state[2], state[3] = xoshiro(state[0], state[1], state[2],
                                                              state[3])
    return result


@kernel
def bounded(u32, n):
    """An integer in [0, n) from a 32-bit uniform (Lemire's multiply-shift)."""
    return (u32 * np.uint64(n)) >> np.uint64(32)


@kernel
def _splitmix64(x):
    z = x + GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x + GOLDEN, z ^ (z >> np.uint64(31))


@kernel
def seed_streams(seed, first_agent, rng_state):
    """Fill ``rng_state`` (uint64 (n, 4)) with the streams of agents first_agent.. .

    Agent i's stream is four splitmix64 outputs from ``seed * GOLDEN ^ i * AGENT_MIX``,
    so it depends on (seed, i) only, never on how many agents share the batch.
    """
    for j in range(rng_state.shape[0]):
        x = np.uint64(seed) * GOLDEN ^ np.uint64(first_agent + j) * AGENT_MIX
        for w in range(4):
            x, rng_state[j, w] = _splitmix64(x)


@kernel
def uniform(state):
    """A float64 uniform in [0, 1) (53 random bits) from one draw."""
    return np.float64(next_u64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def integers(state, n):
    """An integer uniform in [0, n) for 1 <= n <= 2**32, from one draw (high 32 bits)."""
    return np.int64(bounded(next_u64(state) >> np.uint64(32), n))


@kernel
def normal(state):
    """A standard normal deviate from two draws (Box-Muller, cosine branch)."""
    u1 = 1.0 - uniform(state)  # (0, 1]: log is finite
    u2 = uniform(state)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
