"""Locustfiles and load shapes. Each file runs alone with plain `locust -f`; nothing here is
imported by the harness process (it starts Locust in a process of its own)."""
