"""Imports every command module so that each registers its commands on the root app."""

from harness.cli import (  # noqa: F401  (imported for their registration side effect)
    analyze,
    chaos,
    cluster,
    load,
    report,
    run,
    validate,
)
