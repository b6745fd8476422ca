"""Prometheus: the typed HTTP client (`client.py`)."""
