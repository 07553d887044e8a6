"""Running chunks: in this process, or on any ``concurrent.futures.Executor``.

An executor (``ProcessPoolExecutor``, a Dask ``Client.get_executor()``, ...)
receives :class:`~fastq.sweeps.chunk.Task` objects and returns their arrays;
results are the same bits as a local run because every agent's numbers depend
only on its config, its seed index and the sweep seed. A chunk whose future
fails (its worker died, a Dask ``KilledWorker``, a broken pool) is submitted
again up to ``retries`` times, and computed here if the executor cannot take
it any more. ``on_done(result)`` is called in this process as each chunk
finishes (it writes the chunk file when ``out=`` is set).
"""
from __future__ import annotations

import concurrent.futures as cf
import time
import warnings

from .chunk import run_chunk


def check_executor(executor) -> None:
    """None or a ``concurrent.futures.Executor`` (TypeError otherwise)."""
    if executor is not None and not isinstance(executor, cf.Executor):
        raise TypeError(f"executor must be a concurrent.futures.Executor (a "
                        f"ProcessPoolExecutor, a Dask client.get_executor(), ...); "
                        f"got {type(executor).__name__}")


def check_fork(executor) -> None:
    """Refuse, before any work, a process pool whose workers would be killed.

    A ``ProcessPoolExecutor`` that forks copies this process after Numba's
    GNU OpenMP threads started, and Numba terminates such children (OpenMP is
    not fork-safe): every chunk would be lost. Processes started with
    ``spawn`` or ``forkserver`` are fine.
    """
    context = getattr(executor, "_mp_context", None)
    if isinstance(executor, cf.ProcessPoolExecutor) and context is not None \
            and context.get_start_method() == "fork" and _openmp_started():
        raise ValueError("executor: this ProcessPoolExecutor forks, and Numba terminates "
                         "forked children of a process whose OpenMP threads have started; "
                         "create it with mp_context=multiprocessing.get_context('forkserver') "
                         "(or 'spawn')")


def _openmp_started() -> bool:
    import numba

    try:
        return numba.threading_layer() == "omp"
    except ValueError:  # no parallel kernel has run yet in this process
        return False


class Progress:
    """A tqdm bar over agents (rate: agents/s, with ETA), or nothing."""

    def __init__(self, enabled, total_agents, done_agents, n_chunks, done_chunks):
        self.bar = None
        self.chunks, self.done = n_chunks, done_chunks
        if not enabled or done_agents >= total_agents:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # progress is on by default: no tqdm, no bar
            return
        self.bar = tqdm(total=total_agents, initial=done_agents, unit="agent",
                        desc="sweep", dynamic_ncols=True)
        self.bar.set_postfix_str(self._chunks())

    def _chunks(self):
        return f"chunk {self.done}/{self.chunks}"

    def update(self, n_agents):
        self.done += 1
        if self.bar is not None:
            self.bar.update(n_agents)
            self.bar.set_postfix_str(self._chunks())

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run_local(tasks, on_done, progress):
    for task in tasks:
        result = run_chunk(task)
        on_done(result)
        progress.update(len(task.config_ids) * task.seeds)
        if result["interrupted"]:
            raise KeyboardInterrupt


def run_on(executor: cf.Executor, tasks, on_done, progress, retries: int):
    """Submit every task; collect results as they finish; retry lost chunks."""
    pending = {}

    def submit(task):
        try:
            pending[executor.submit(run_chunk, task)] = task
        except Exception as exc:  # noqa: BLE001  (a broken or shut-down executor)
            warnings.warn(f"the executor refused chunk {task.chunk} ({type(exc).__name__}: "
                          f"{exc}); computing it in this process", RuntimeWarning,
                          stacklevel=4)
            result = run_chunk(task)
            on_done(result)
            progress.update(len(task.config_ids) * task.seeds)

    try:
        for task in tasks:
            submit(task)
        while pending:
            finished, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
            for future in finished:
                task = pending.pop(future)
                try:
                    result = future.result()
                except (ValueError, TypeError):
                    raise  # a bug or bad input: recomputing would fail again
                except (Exception, cf.CancelledError) as exc:  # noqa: BLE001
                    if task.attempt >= retries:
                        raise RuntimeError(f"chunk {task.chunk} failed {task.attempt + 1} "
                                           f"times on the executor; last error: "
                                           f"{type(exc).__name__}: {exc}") from exc
                    warnings.warn(f"chunk {task.chunk} was lost on the executor "
                                  f"({type(exc).__name__}: {exc}); recomputing it "
                                  f"(attempt {task.attempt + 2} of {retries + 1})",
                                  RuntimeWarning, stacklevel=3)
                    time.sleep(0.1 * (task.attempt + 1))
                    submit(task._replace(attempt=task.attempt + 1))
                    continue
                on_done(result)
                progress.update(len(task.config_ids) * task.seeds)
    finally:
        for future in pending:
            future.cancel()
