"""Prometheus: the launcher of the real server (`server`) and, later, its HTTP client."""
