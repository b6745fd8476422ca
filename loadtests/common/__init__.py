"""Helpers shared by the locustfiles: credentials, tokens, failure recording, the HTTP user.

Only `client` (`LeanHttpUser`) imports locust; the other helpers do not, so they are unit-tested
in-process (tests/load/test_units.py) and `client` in a fresh interpreter (test_lean_client.py).
"""
