"""Prometheus: the typed HTTP client (`client`) and the launcher of the real server (`server`)."""
