"""Imports every command module so that each registers its commands on the root app."""

from harness.cli import chaos  # noqa: F401
