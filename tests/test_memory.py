"""Memory: bounded records and float32 tables (checked by allocations, not timing)."""
import tracemalloc

import numpy as np
import pytest

import fastq


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_peak_memory_of_a_large_batch_is_its_tables(dtype):
    """record='mean': the peak of a whole train() call stays within 1.2x the Q tables."""
    env = fastq.make("Taxi-v4")
    fastq.train(env, episodes=2, agents=8, record="mean", dtype=dtype)  # compile first
    agents = 4000
    table_bytes = agents * env.n_states * env.n_actions * np.dtype(dtype).itemsize
    tracemalloc.start()
    try:
        run = fastq.train(env, episodes=3, agents=agents, record="mean", dtype=dtype)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.tables.nbytes == table_bytes
    assert peak < 1.2 * table_bytes
    assert run.returns.shape == (agents, 1)


@pytest.mark.parametrize("record, columns, final_from", [("episodes", 100, 90),
                                                         ("every:30", 4, 90), ("mean", 1, 0)])
def test_records_are_bounded_and_exact(record, columns, final_from):
    env = fastq.make("FrozenLake-v1")
    full = fastq.train(env, episodes=100, agents=5, seed=1)
    run = fastq.train(env, episodes=100, agents=5, seed=1, record=record)
    assert run.return_sums.shape == (5, columns)
    np.testing.assert_array_equal(run.q, full.q)  # recording never changes training
    stride = 100 // columns if record != "every:30" else 30
    for c in range(columns):
        block = full.returns[:, c * stride:(c + 1) * stride]
        np.testing.assert_allclose(run.returns[:, c], block.mean(axis=1), rtol=1e-12)
    assert run.steps == full.steps
    # the last 10% of episodes, or the smallest whole blocks that cover them
    np.testing.assert_allclose(run.final_return(), full.returns[:, final_from:].mean(axis=1),
                               rtol=1e-12)


def test_record_none_keeps_only_totals():
    run = fastq.train(fastq.make("FrozenLake-v1"), episodes=50, agents=3, record="none")
    assert run.returns is None and run.lengths is None and run.steps > 0
    with pytest.raises(ValueError, match="record='none'"):
        run.final_return()


def test_float32_halves_the_tables_and_still_learns():
    env = fastq.make("FrozenLake-v1")
    run = fastq.train(env, episodes=5000, agents=16, alpha=0.05, dtype=np.float32,
                      epsilon=fastq.linear(1.0, 0.05, over=0.5))
    assert run.q.dtype == np.float32 and run.q.nbytes == 16 * 16 * 4 * 4
    assert run.evaluate(1000).mean() > 0.5


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(record="every:0"), ValueError, ["record", "every:0"]),
    (dict(record="sometimes"), ValueError, ["record", "sometimes"]),
    (dict(dtype=np.int64), TypeError, ["dtype", "float32"]),
    (dict(envs=0), ValueError, ["envs"]),
])
def test_bad_record_dtype_envs(kwargs, error, words):
    with pytest.raises(error) as info:
        fastq.train(fastq.make("FrozenLake-v1"), episodes=5, **kwargs)
    for word in words:
        assert word in str(info.value)
