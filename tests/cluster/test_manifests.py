"""Reading manifests and deploy/local: what the local target runs, and clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cluster.local.localconfig import load_local_config, materialize_secrets
from harness.cluster.local.manifests import load_manifests
from harness.cluster.local.podspec import command_for, pod_env
from harness.cluster.local.probes import ProbeCounter, Verdict
from harness.errors import ConfigError
from tests.cluster.conftest import FIXTURES


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "k8s"
    folder.mkdir(exist_ok=True)
    (folder / "app.yaml").write_text(text)
    return folder


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v3}}
    spec:
      containers:
        - name: web
          image: registry.local:5000/harness/web:2.1
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
"""


def test_fixture_manifests_load_with_kubernetes_defaults() -> None:
    m = load_manifests(FIXTURES / "kubernetes")
    names = sorted(d.name for d in m.deployments)
    assert names == [
        "backend",
        "crasher",
        "echo",
        "never-starts",
        "slow",
    ]  # the VirtualService is not ours: skipped
    echo = next(d for d in m.deployments if d.name == "echo")
    assert (echo.app, echo.version, echo.replicas, echo.service_account) == (
        "echo",
        "v1",
        2,
        "echo",
    )
    assert echo.container.liveness is not None and echo.container.liveness.failure_threshold == 2
    assert echo.container.liveness.timeout == 1.0  # Kubernetes default
    assert echo.container.readiness is not None and echo.container.readiness.port == "http"
    assert {s.name for s in m.services} == {"echo", "backend"}


def test_defaults_and_image_repository(tmp_path: Path) -> None:
    web = load_manifests(_write(tmp_path, DEPLOYMENT)).deployments[0]
    assert web.replicas == 1 and web.namespace == "default"
    assert web.container.image_repository == "registry.local:5000/harness/web"
    probe = web.container.readiness
    assert probe is not None
    assert (probe.period, probe.failure_threshold, probe.success_threshold) == (10.0, 3, 1)
    again = load_manifests(_write(tmp_path, DEPLOYMENT)).deployments[0]
    assert again.template_hash == web.template_hash  # pod names stay recognisable


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("spec:\n  selector", "spec:\n  replicas: -1\n  selector"), "spec.replicas"),
        (("version: v3}", "version: v3, app: other}"), "spec.template.metadata.labels"),
        (("httpGet: {path: /ready, port: 8080}", "exec: {command: [true]}"), "readinessProbe"),
        (("containerPort: 8080", "containerPort: http"), "ports[0].containerPort"),
        (
            (
                "readinessProbe",
                "livenessProbe: {tcpSocket: {port: 1}, successThreshold: 2}\n"
                "          readinessProbe",
            ),
            "livenessProbe.successThreshold",
        ),
    ],
)
def test_a_wrong_field_is_named(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    folder = _write(tmp_path, DEPLOYMENT.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_manifests(folder)
    assert err.value.file == str(folder / "app.yaml")
    assert field in err.value.field and "Deployment web" in err.value.field


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    folder = _write(tmp_path, "kind: Deployment\n  bad: [indent\n")
    with pytest.raises(ConfigError, match=r"app\.yaml"):
        load_manifests(folder)


def test_environment_resolution_and_forced_local_values(tmp_path: Path) -> None:
    """envFrom < env; $(VAR) expanded; PORT/HOST/DATA_DIR belong to the local target."""
    m = load_manifests(FIXTURES / "kubernetes")
    config = load_local_config(FIXTURES / "local")
    secrets = materialize_secrets(config, tmp_path)
    echo = next(d for d in m.deployments if d.name == "echo")
    cmd = command_for(echo, m, config, secrets=secrets, listeners=[], state=tmp_path, python="py")
    assert cmd.argv == ("py", "-m", "app") and cmd.cwd.endswith("fixtures/local/..")
    assert cmd.env["GREETING_TWICE"] == "hello hello"
    assert cmd.env["API_KEY"] == secrets[("default", "echo-secret")]["api-key"]
    env = pod_env(
        cmd,
        echo,
        pod="echo-x",
        port=20005,
        ports={"8080": 20005, "http": 20005},
        data_dir=tmp_path / "data",
        state=tmp_path,
    )
    assert (env["PORT"], env["HOST"], env["POD_NAME"]) == ("20005", "127.0.0.1", "echo-x")
    # generated once, then kept: a restarted stack keeps its database passwords
    assert materialize_secrets(config, tmp_path) == secrets
    key_file = tmp_path / "secrets" / "echo-secret" / "api-key"  # a Secret-volume layout
    assert key_file.read_text() == cmd.env["API_KEY"]
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_probe_counter_needs_consecutive_results() -> None:
    """Verdicts flip only after `failureThreshold` / `successThreshold` in a row."""
    m = load_manifests(FIXTURES / "kubernetes")
    live = next(d for d in m.deployments if d.name == "echo").container.liveness
    assert live is not None and live.failure_threshold == 2
    c = ProbeCounter()
    for ok in (False, True, False):  # interrupted failures never add up
        c = c.observe(ok, live)
    assert c.verdict is Verdict.SUCCESS
    c = c.observe(False, live)
    assert c.verdict is Verdict.FAILURE and c.failures == 2


def test_service_ports_are_stable_and_a_taken_pinned_port_names_its_setting() -> None:
    """Same manifests, same free ports -> same Service addresses; a taken pin is PortInUse."""
    import socket

    from harness.cluster.local.service_address import plan_listeners
    from harness.errors import PortInUse
    from harness.process import free_port

    services = load_manifests(FIXTURES / "kubernetes").services
    base = free_port()
    low, high = base, min(base + 50, 65535)

    def plan(pinned: dict[str, int]) -> list[tuple[str, int]]:
        listeners = plan_listeners(
            services,
            port_range=(low, high),
            pinned=pinned,
            pinned_setting=lambda s: f"--{s}-port",
            taken=set(),
        )
        return [(x.service, x.listen_port) for x in listeners]

    first = plan({})
    assert first == plan({}) and [s for s, _ in first] == ["backend", "echo"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        with pytest.raises(PortInUse) as err:
            plan({"echo": taken})
    assert err.value.port == taken and err.value.setting == "--echo-port"
