"""Sweeps on executors: process pools and a Dask cluster give the local bits; lost chunks
are recomputed."""
import concurrent.futures as cf
import multiprocessing
import os

import numpy as np
import pytest

import fastq

FL = fastq.make("FrozenLake-v1")
GRID = {"alpha": [0.1, 0.5], "gamma": [0.9, 0.99], "epsilon": [0.05, 0.2]}
KW = dict(seeds=3, episodes=150, chunk_agents=6, eval_episodes=30, seed=2, progress=False)


def assert_same(a, b):
    ta = {k: np.asarray(v) for k, v in a.table.items()}
    tb = {k: np.asarray(v) for k, v in b.table.items()}
    assert list(ta) == list(tb)
    for k in ta:
        if k != "seconds":
            assert np.array_equal(ta[k], tb[k]), k
    assert np.array_equal(a.curves, b.curves)


@pytest.fixture(scope="module")
def local():
    return fastq.sweep(FL, GRID, **KW)


FORKSERVER = multiprocessing.get_context("forkserver")


def test_process_pool_equals_local(local, recwarn):
    with cf.ProcessPoolExecutor(2, mp_context=FORKSERVER) as pool:
        assert_same(fastq.sweep(FL, GRID, executor=pool, **KW), local)
        pids = set(pool.map(_pid, range(4)))
    assert os.getpid() not in pids
    assert not [w for w in recwarn if "executor" in str(w.message)]  # nothing fell back


def _pid(_):
    return os.getpid()


def test_a_forking_pool_is_refused_before_any_work(local):
    from fastq.sweeps.execute import _openmp_started

    if not _openmp_started():
        pytest.skip("only Numba's GNU OpenMP layer kills forked children")
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool, \
            pytest.raises(ValueError, match="forks.*get_context\\('forkserver'\\)"):
        fastq.sweep(FL, GRID, executor=pool, **KW)
    with pytest.raises(TypeError, match="executor must be a concurrent.futures.Executor"):
        fastq.sweep(FL, GRID, executor=4, **KW)


class FlakyExecutor(cf.Executor):
    """Runs tasks in a thread, but the first submission of some chunks fails as if its
    worker had died (the future carries the error)."""

    def __init__(self, lose, always=False):
        self.pool = cf.ThreadPoolExecutor(1)
        self.lose, self.always, self.submitted = set(lose), always, []

    def submit(self, fn, task):
        self.submitted.append((task.chunk, task.attempt))
        if task.chunk in self.lose and (self.always or task.attempt == 0):
            future = cf.Future()
            future.set_exception(ConnectionResetError(f"worker running chunk {task.chunk} died"))
            return future
        return self.pool.submit(fn, task)

    def shutdown(self, wait=True, **kwargs):
        self.pool.shutdown(wait)


def test_a_lost_chunk_is_recomputed(local, tmp_path):
    flaky = FlakyExecutor(lose={1, 3})
    with pytest.warns(RuntimeWarning) as record:
        res = fastq.sweep(FL, GRID, executor=flaky, out=tmp_path / "s", **KW)
    flaky.shutdown()
    assert sorted(str(w.message)[:30] for w in record) == ["chunk 1 was lost on the execut",
                                                            "chunk 3 was lost on the execut"]
    assert "recomputing it (attempt 2 of 3)" in str(record[0].message)
    assert sorted(flaky.submitted) == [(0, 0), (1, 0), (1, 1), (2, 0), (3, 0), (3, 1)]
    assert_same(res, local)
    assert_same(fastq.load_sweep(tmp_path / "s"), local)


def test_a_chunk_that_keeps_failing_stops_the_sweep(tmp_path):
    flaky = FlakyExecutor(lose={2}, always=True)
    with pytest.warns(RuntimeWarning), \
            pytest.raises(RuntimeError, match="chunk 2 failed 2 times.*worker running chunk 2"):
        fastq.sweep(FL, GRID, executor=flaky, retries=1, out=tmp_path / "s", **KW)
    flaky.shutdown()
    assert (tmp_path / "s" / "manifest.json").exists()  # finished chunks stay for resume


def _die(*args):
    os._exit(3)  # the worker process disappears, as with a crash or an OOM kill


class DyingPool(cf.ProcessPoolExecutor):
    """The first task kills its worker: the pool breaks and refuses every later task."""

    def submit(self, fn, *args, **kwargs):
        first = not getattr(self, "started", False)
        self.started = True
        return super().submit(_die if first else fn, *args, **kwargs)


def test_a_broken_process_pool_falls_back_to_this_process(local):
    with DyingPool(2, mp_context=FORKSERVER) as pool, \
            pytest.warns(RuntimeWarning, match="recomputing|refused"):
        res = fastq.sweep(FL, GRID, executor=pool, **KW)
    assert_same(res, local)


def test_dask_local_cluster_equals_local(local, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = fastq.sweep(FL, GRID, executor=client.get_executor(), **KW)
        assert_same(res, local)
        workers = client.run(os.getpid)
        assert len(workers) == 2 and os.getpid() not in workers.values()
        # the CLI's --dask ADDRESS runs on the same cluster
        from fastq import cli

        out = tmp_path / "cli"
        status = cli.main(["sweep", "FrozenLake-v1", "--alpha", "0.1,0.5", "--gamma",
                           "0.9,0.99", "--epsilon", "0.05,0.2", "--seeds", "3", "--episodes",
                           "150", "--chunk-agents", "6", "--eval-episodes", "30", "--seed",
                           "2", "--out", str(out), "--no-progress", "--dask",
                           cluster.scheduler_address])
        assert status == 0
        assert_same(fastq.load_sweep(out), local)
