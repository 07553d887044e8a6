"""Environments: finite MDPs held as arrays, the built-ins, and the Gymnasium adapter."""
from .function import FunctionEnv
from .registry import ENVS, describe, make
from .tabular import KernelEnv, TabularEnv
from .toy_text import random_mdp

__all__ = ["FunctionEnv", "TabularEnv", "KernelEnv", "make", "random_mdp", "describe", "ENVS"]
