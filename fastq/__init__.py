"""fastq: vectorized tabular Q-learning, thousands of agents at once in Numba kernels."""
from . import rng
from .engine import train
from .run import Run
from .envs import FunctionEnv, TabularEnv, make, random_mdp
from .qtable import QTable, VecQTable
from .schedules import constant, exponential, linear
from .sweeps import load_sweep, loguniform, sweep, uniform

__version__ = "0.1.0"

__all__ = ["FunctionEnv", "QTable", "Run", "TabularEnv", "VecQTable", "constant", "exponential", "linear",
           "load_sweep", "loguniform", "make", "random_mdp", "rng", "sweep", "train", "uniform"]
