"""`harness load`: Locust in a process of its own, its CSV files read back as records.

The harness process never imports locust (it monkey-patches the interpreter with gevent); the
CSVs are read with the standard library (`stats.py`, into `harness.contracts.locust`).
"""

from harness.load.options import LoadOptions, parse_duration
from harness.load.runner import LoadResult, LoadRun, run_load

__all__ = ["LoadOptions", "LoadResult", "LoadRun", "parse_duration", "run_load"]
