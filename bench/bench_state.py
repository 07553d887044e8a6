"""Rates and measurements shared by the benchmark modules of one pytest session.

RATES: ``("textbook" | "gymnasium", workload) -> env-steps/s`` and
``("C limit", workload, threads) -> env-steps/s``, filled as the baselines run;
MEASUREMENTS: every :class:`fastq.bench.Measurement` taken, for the summary;
STARTUP: ``(cache, workload, {"import_s": ..., ...})`` from test_startup.py.
"""
RATES: dict = {}
MEASUREMENTS: list = []
STARTUP: list = []
