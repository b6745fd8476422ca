"""Launch the real Prometheus server with a generated configuration.

Targets come from the local cluster's admin API through HTTP service discovery (the bearer
token is read from a credentials file, never written into the config), relabelled to the
`namespace`, `pod`, `service` (the `app` label) and `version` labels a Kubernetes pod scrape
would give. Any other component can add scrape targets by dropping a Prometheus file-SD JSON file
into `<state>/scrape/` (the mesh's proxies, say).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness import process
from harness.errors import CouldNotRun

INSTALL_HINT = "prometheus not found: install it with `apt-get install prometheus`"


@dataclass(frozen=True)
class PrometheusPlan:
    port: int
    admin_port: int
    token_file: Path
    config_file: Path
    data_dir: Path
    file_sd_dir: Path
    log_path: Path
    binary: str = "prometheus"
    scrape_interval: str = "1s"
    sd_refresh_interval: str = "1s"
    retention: str = "1d"


def find_binary(binary: str) -> str:
    """The absolute path of the Prometheus binary, or CouldNotRun saying how to install it."""
    found = shutil.which(binary)
    if found is None:
        raise CouldNotRun(INSTALL_HINT)
    return found


def render_config(plan: PrometheusPlan) -> str:
    """The prometheus.yml text for `plan` (pure)."""

    def copy(meta: str, label: str) -> dict[str, object]:
        return {"source_labels": [f"__meta_harness_{meta}"], "target_label": label}

    config = {
        "global": {
            "scrape_interval": plan.scrape_interval,
            "scrape_timeout": plan.scrape_interval,
            "evaluation_interval": plan.scrape_interval,
        },
        "scrape_configs": [
            {
                "job_name": "pods",
                "http_sd_configs": [
                    {
                        "url": f"http://127.0.0.1:{plan.admin_port}/api/v1/sd",
                        "refresh_interval": plan.sd_refresh_interval,
                        # type is spelled out: 2.42 sends no scheme for http_sd by default
                        "authorization": {
                            "type": "Bearer",
                            "credentials_file": str(plan.token_file),
                        },
                    }
                ],
                "relabel_configs": [
                    copy("namespace", "namespace"),
                    copy("pod", "pod"),
                    copy("app", "service"),
                    copy("version", "version"),
                    copy("deployment", "deployment"),
                    # Argo Rollouts' revision label: empty (so dropped) for plain Deployments
                    copy("pod_template_hash", "rollouts_pod_template_hash"),
                ],
            },
            {
                # the controller's records under kube-state-metrics' names (Ready pods chart);
                # honor_labels keeps their namespace/pod labels, as kube-state-metrics is scraped
                "job_name": "kube-state-metrics",
                "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{plan.admin_port}"]}],
                "authorization": {"type": "Bearer", "credentials_file": str(plan.token_file)},
            },
            {
                # the pods' CPU and memory under cAdvisor's names, as a cluster's kubelet job
                "job_name": "kubelet",
                "honor_labels": True,
                "metrics_path": "/metrics/cadvisor",
                "static_configs": [{"targets": [f"127.0.0.1:{plan.admin_port}"]}],
                "authorization": {"type": "Bearer", "credentials_file": str(plan.token_file)},
            },
            {
                "job_name": "harness",
                "file_sd_configs": [
                    {
                        "files": [str(plan.file_sd_dir / "*.json")],
                        "refresh_interval": plan.sd_refresh_interval,
                    }
                ],
            },
            {
                "job_name": "prometheus",
                "static_configs": [{"targets": [f"127.0.0.1:{plan.port}"]}],
            },
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def start(plan: PrometheusPlan, *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Write the config and start Prometheus as a child that dies with the caller."""
    binary = find_binary(plan.binary)
    plan.data_dir.mkdir(parents=True, exist_ok=True)
    plan.file_sd_dir.mkdir(parents=True, exist_ok=True)
    plan.config_file.write_text(render_config(plan))
    argv = [
        binary,
        f"--config.file={plan.config_file}",
        f"--storage.tsdb.path={plan.data_dir}",
        f"--storage.tsdb.retention.time={plan.retention}",
        f"--web.listen-address=127.0.0.1:{plan.port}",
        "--web.enable-lifecycle",
        "--log.level=warn",
    ]
    return process.spawn(argv, env=env, log_path=plan.log_path)
