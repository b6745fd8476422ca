"""Imports every command module so that each registers its commands on the root app."""

from harness.cli import chaos  # noqa: F401
from harness.cli import cluster  # noqa: F401  (up, status, logs, down)
from harness.cli import validate  # noqa: F401
