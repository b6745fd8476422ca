"""The severity policy of `harness validate`, written once.

- error: the real system rejects it, or it can never do what it says (a fault that never
  fires, a condition that cannot compile, a subset that does not exist);
- warning: accepted, but probably not what was meant (a rule no request reaches, a deprecated
  field, a default that surprises);
- info: worth knowing (a plugin the local gateway does not reproduce, a check that needs a file
  that was not given).

Findings that are this repository's policy rather than the platform's (literal Secret data,
literal Kong credentials) are errors in our own `deploy/` and warnings elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from harness.mesh.findings import Severity

_OURS = Path(__file__).resolve().parents[2] / "deploy"


def policy_severity(file: str) -> Severity:
    """ERROR for a file of this repository's `deploy/` (or `./deploy/`), WARNING elsewhere."""
    path = Path(file).resolve()
    for root in (_OURS, Path.cwd().resolve() / "deploy"):
        if path.is_relative_to(root):
            return Severity.ERROR
    return Severity.WARNING
