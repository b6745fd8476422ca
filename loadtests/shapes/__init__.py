"""Load shapes: one `LoadTestShape` per file; add one with `-f locustfile.py,shapes/<name>.py`.

`timeline` holds the pure arithmetic (no locust import, unit-tested in-process); `_shape` holds
the locust glue (command-line options, the abstract base class).
"""
