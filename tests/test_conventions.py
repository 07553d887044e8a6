"""Conventions checked by the suite: kernel flags, and the extra passes of STYLE.md
(the kernels run as plain Python, and with bounds checking) give the same bits."""
import importlib
import os
import pkgutil
import subprocess
import sys

import pytest
from numba.core.dispatcher import Dispatcher

import fastq
import fastq.kernels


def _dispatchers():
    for info in pkgutil.iter_modules(fastq.kernels.__path__):
        module = importlib.import_module(f"fastq.kernels.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Dispatcher) and value.__module__ == module.__name__:
                yield f"{info.name}.{name}", value


def test_every_kernel_is_cached_nogil_and_exact():
    kernels = dict(_dispatchers())
    assert len(kernels) > 30
    for name, dispatcher in kernels.items():
        options = dispatcher.targetoptions
        assert options.get("cache") is True or dispatcher._cache.__class__.__name__ != \
            "NullCache", name
        assert options.get("nogil") is True, name
        assert not options.get("fastmath"), name
        assert not options.get("parallel"), name


def test_every_kernel_module_has_a_twin_or_an_external_check():
    twins = {info.name for info in pkgutil.iter_modules([os.path.join(
        os.path.dirname(__file__), "reference")])}
    kernels = {info.name for info in pkgutil.iter_modules(fastq.kernels.__path__)}
    checked_elsewhere = {"_jit", "_stack", "batch", "optimality"}  # see test_vecqtable,
    assert kernels - checked_elsewhere <= twins                   # test_optimality


SCRIPT = """
import hashlib, warnings
import numpy as np
import fastq
warnings.simplefilter("ignore")
h = hashlib.sha256()
env = fastq.random_mdp(5, 3, seed=1, n_outcomes=2)
env = fastq.TabularEnv.from_arrays(*env.to_arrays()[:3], initial=np.full(5, 0.2), max_steps=9)
for algorithm in ("q_learning", "double_q", "sarsa", "expected_sarsa"):
    for kwargs in (dict(), dict(envs=2, exploration="softmax", dtype=np.float32)):
        run = fastq.train(env, episodes=6, agents=5, seed=3, algorithm=algorithm,
                          epsilon=fastq.linear(1.0, 0.1, over=0.5), **kwargs)
        for array in (run.tables, run.returns, run.lengths, run.rng_state,
                      run.evaluate(episodes=3, seed=4)):
            h.update(np.ascontiguousarray(array).tobytes())
vec = fastq.VecQTable(3, 5, 3, algorithm="double_q", seed=2)
h.update(vec.choose_actions([0, 1, 4]).tobytes())
h.update(vec.update([0, 1, 4], [2, 0, 1], [1.0, -1.0, 0.5], [1, 2, 3], [False, True, False]))
print(h.hexdigest())
"""


def _digest(extra_env):
    env = dict(os.environ, **extra_env)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


@pytest.fixture(scope="module")
def compiled_digest():
    return _digest({})


def test_kernels_as_plain_python_give_the_same_bits(compiled_digest):
    """NUMBA_DISABLE_JIT=1: the kernels' Python source itself is exact (the coverage pass)."""
    assert _digest({"NUMBA_DISABLE_JIT": "1"}) == compiled_digest


def test_kernels_with_bounds_checking_give_the_same_bits(compiled_digest, tmp_path):
    """NUMBA_BOUNDSCHECK=1 with a cold cache: no index out of bounds anywhere."""
    assert _digest({"NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}) == \
        compiled_digest
