"""Spreading agents over threads: the kernels release the GIL, agents own their rows."""
from __future__ import annotations

import concurrent.futures

import numba

from .kernels.episodes import GROUP_SIZE

_POOL: list = [None, 0]  # a ThreadPoolExecutor and its size, made on first use


def thread_count() -> int:
    """Threads for the kernels: numba.set_num_threads() if it was called, else
    NUMBA_NUM_THREADS. (Asking Numba directly would start its threading layer,
    which fastq does not use and which breaks process pools that fork.)"""
    from numba.np.ufunc import parallel

    if parallel._is_initialized:
        return numba.get_num_threads()
    return numba.config.NUMBA_NUM_THREADS


def over_agents(work, n_agents: int) -> bool:
    """Run ``work(first, end)`` over disjoint blocks covering agents [0, n_agents).

    The kernels release the GIL, so blocks run in parallel on thread_count()
    threads (several blocks per thread balance the load). Every block
    finishes even if Ctrl-C arrives meanwhile; returns whether it did.
    Results never depend on the blocks: agents own their rows.
    """
    threads = min(thread_count(), -(-n_agents // GROUP_SIZE))
    try:
        if threads <= 1:
            work(0, n_agents)
            return False
        group = GROUP_SIZE
        size = group * max(1, -(-n_agents // (group * 4 * threads)))
        if _POOL[1] != threads:
            if _POOL[0] is not None:
                _POOL[0].shutdown()
            _POOL[:] = [concurrent.futures.ThreadPoolExecutor(threads, "fastq"), threads]
        futures = [_POOL[0].submit(work, first, min(first + size, n_agents))
                   for first in range(0, n_agents, size)]
    except KeyboardInterrupt:
        return True
    interrupted = False
    while True:
        try:
            for future in futures:
                future.result()
            return interrupted
        except KeyboardInterrupt:
            interrupted = True
