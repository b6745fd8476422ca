"""`harness load`: Locust in a process of its own, its CSV history read back as client-side SLIs.

The harness process never imports locust (it monkey-patches the interpreter with gevent); pandas
is imported only where the CSVs are read.
"""

from harness.load.options import LoadOptions, parse_duration
from harness.load.runner import LoadResult, LoadRun, run_load

__all__ = ["LoadOptions", "LoadResult", "LoadRun", "parse_duration", "run_load"]
