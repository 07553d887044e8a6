"""Random numbers for user kernels (FunctionEnv), on the agent's own stream.

Call these from ``@numba.njit`` code with the ``rng`` argument fastq passes;
they draw from the agent's xoshiro256++ stream, so results stay determined by
(seed, agent index).
"""
from .kernels.rng import integers, normal, uniform

__all__ = ["integers", "normal", "uniform"]
