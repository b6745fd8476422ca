"""`harness validate`: the traps of the original config are found; ours is clean."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.mesh.findings import Finding, Severity
from harness.validate.lint import lint

ROOT = Path(__file__).resolve().parents[2]
TRAPS = Path(__file__).parent / "fixtures" / "traps.yaml"


def fields(findings: list[Finding], severity: Severity | None = None) -> set[tuple[str, str]]:
    return {(f.obj, f.field) for f in findings if severity is None or f.severity is severity}


def test_every_trap_is_reported_with_object_field_and_fix():
    found = lint([TRAPS])
    errors = fields(found, Severity.ERROR)
    kong = "ConfigMap/kong-configuration"
    assert (
        "DestinationRule/user-service",
        "spec.subsets[0].trafficPolicy.circuitBreaker",
    ) in errors
    assert ("VirtualService/order-service", "spec.http[0].fault.abort.percent") in errors
    assert ("VirtualService/user-service", "spec.http[2]") in errors  # after a catch-all
    assert ("VirtualService/user-service", "spec.http[2].fault.delay.percentage") in errors
    assert ("VirtualService/user-service", "spec.http[2].fault.abort.percentage") in errors
    assert ("VirtualService/user-service", "spec.http[2].route[0].destination.subset") in errors
    assert (kong, "data.kong.yml.plugins[0].name") in errors  # request-id
    assert (kong, "data.kong.yml.services[0].plugins[1].config.size_unit") in errors
    warnings = fields(found, Severity.WARNING)
    # a literal credential is this repository's rule: an error in deploy/ only
    assert (kong, "data.kong.yml.consumers[0].keyauth_credentials[0].key") in warnings
    assert (kong, "data.kong.yml.services[0].plugins[0].config.claims_to_verify") in warnings
    assert (kong, "data.kong.yml._format_version") in warnings
    assert all(f.fix and f.file.endswith("traps.yaml") for f in found)
    size = next(f for f in found if f.field.endswith("size_unit"))
    assert "1073741824 bytes" in size.message


def test_deprecated_consecutive_errors_is_a_warning(tmp_path):
    path = tmp_path / "dr.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\n"
        "spec:\n  host: d\n  trafficPolicy:\n    outlierDetection: {consecutiveErrors: 3}\n"
    )
    found = lint([path])
    assert [(f.severity, f.field) for f in found] == [
        (Severity.WARNING, "spec.trafficPolicy.outlierDetection.consecutiveErrors")
    ]


def test_the_shipped_manifests_have_no_errors():
    found = lint([ROOT / "deploy" / "kubernetes"])
    assert [f.render() for f in found if f.severity is Severity.ERROR] == []


@pytest.mark.integration  # runs the CLI in a child interpreter
def test_cli_exit_codes(harness_cli, tmp_path):
    bad = subprocess.run(
        [*harness_cli, "validate", str(TRAPS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2
    assert "circuitBreaker" in bad.stdout and "Traceback" not in bad.stderr
    warn_only = tmp_path / "w.yaml"
    warn_only.write_text(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\n"
        "spec:\n  host: d\n  trafficPolicy:\n    outlierDetection: {consecutiveErrors: 3}\n"
    )
    ok = subprocess.run(
        [*harness_cli, "validate", str(warn_only)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert ok.returncode == 0 and "warning:" in ok.stdout
    missing = subprocess.run(
        [*harness_cli, "validate", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr


WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: user-service}
spec:
  template:
    metadata: {labels: {app: user-service, version: v1}}
    spec:
      containers:
      - name: app
        image: harness/user-service:latest
---
apiVersion: v1
kind: Service
metadata: {name: user-service}
spec: {selector: {app: user-service}}
---
apiVersion: v1
kind: Service
metadata: {name: ghost}
spec: {selector: {app: ghost}}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: user-service}
spec:
  host: user-service
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"""


def test_workload_joins_and_kubernetes_lints(tmp_path):
    path = tmp_path / "all.yaml"
    path.write_text(WORKLOADS)
    found = {(f.severity, f.obj, f.field) for f in lint([path])}
    c = "spec.template.spec.containers[0]"
    assert (Severity.WARNING, "Secret/creds", "data") in found  # outside our deploy/
    assert (Severity.WARNING, "Service/ghost", "spec.selector") in found
    assert (Severity.WARNING, "Deployment/user-service", f"{c}.image") in found
    assert (Severity.WARNING, "Deployment/user-service", f"{c}.readinessProbe") in found
    assert (Severity.WARNING, "DestinationRule/user-service", "spec.subsets[1].labels") in found
    assert (Severity.WARNING, "DestinationRule/user-service", "spec.subsets[0].labels") not in found
    assert (Severity.WARNING, "Service/user-service", "spec.selector") not in found


def test_hosts_that_name_no_service(tmp_path):
    path = tmp_path / "hosts.yaml"
    path.write_text(
        WORKLOADS
        + """\
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: typo}
spec:
  hosts: [usr-service]
  http:
  - route:
    - destination: {host: usr-service}
"""
    )
    found = {(f.severity, f.obj, f.field) for f in lint([path])}
    assert (Severity.WARNING, "VirtualService/typo", "spec.hosts[0]") in found
