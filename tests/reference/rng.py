"""Twin of fastq/kernels/rng.py: xoshiro256++ on Python ints."""
import math

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1
GOLDEN = 0x9E3779B97F4A7C15
AGENT_MIX = 0xD1B54A32D192ED03


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


def next_u64(state):
    """state: a list of four ints, mutated. Returns 64 random bits."""
    s0, s1, s2, s3 = state
    result = (_rotl((s0 + s3) & MASK64, 23) + s0) & MASK64
    t = (s1 << 17) & MASK64
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[:] = [s0, s1, s2, s3]
    return result


def bounded(u32, n):
    return (u32 * n) >> 32


def _splitmix64(x):
    x = (x + GOLDEN) & MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return x, z ^ (z >> 31)


def seed_stream(seed, agent):
    """The four state words of agent ``agent``'s stream."""
    x = ((seed * GOLDEN) & MASK64) ^ ((agent * AGENT_MIX) & MASK64)
    words = []
    for _ in range(4):
        x, w = _splitmix64(x)
        words.append(w)
    return words


def uniform(state):
    return (next_u64(state) >> 11) * (1.0 / 9007199254740992.0)


def integers(state, n):
    return bounded(next_u64(state) >> 32, n)


def normal(state):
    u1 = 1.0 - uniform(state)
    u2 = uniform(state)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
