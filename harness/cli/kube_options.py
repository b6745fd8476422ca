"""The options that name a Kubernetes cluster, shared by every command with --target kubernetes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

KubeconfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--kubeconfig", help="kubernetes: kubeconfig file (default $KUBECONFIG, ~/.kube/config)."
    ),
]
ContextOpt = Annotated[
    str | None,
    typer.Option("--context", help="kubernetes: kubeconfig context (default: the current one)."),
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option(
        "--namespace", "-n", help="kubernetes: namespace (default: the context's, else default)."
    ),
]
