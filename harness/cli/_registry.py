"""Imports every command module so that each registers its commands on the root app."""

from harness.cli import (
    chaos,  # noqa: F401
    cluster,  # noqa: F401  (up, status, logs, down)
    validate,  # noqa: F401
)
