"""fastq: vectorized tabular Q-learning, thousands of agents at once in Numba kernels."""
from . import rng
from .engine import Run, train
from .envs import TabularEnv, make, random_mdp
from .qtable import QTable, VecQTable
from .schedules import constant, exponential, linear

__version__ = "0.1.0"

__all__ = ["QTable", "Run", "TabularEnv", "VecQTable", "constant", "exponential", "linear",
           "make", "random_mdp", "rng", "train"]
