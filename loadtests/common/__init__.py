"""Helpers shared by the locustfiles: credentials, tokens and failure recording.

Nothing in this package imports locust, so the helpers are unit-tested in-process.
"""
