"""harness: prove that a microservice system keeps its SLOs under load and under failure.

The public API is deliberately small; everything else is reached through the CLI
(`harness --help`) or through the sub-packages named in docs/architecture.md.
"""

from harness.errors import (
    BadInput,
    CouldNotJudge,
    CouldNotRun,
    HarnessError,
    Interrupted,
)

__version__ = "0.1.0"

__all__ = [
    "BadInput",
    "CouldNotJudge",
    "CouldNotRun",
    "HarnessError",
    "Interrupted",
    "__version__",
]
