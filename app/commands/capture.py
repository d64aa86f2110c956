"""`kubewhy snapshot capture --out DIR`: write a snapshot of a live cluster (read-only, secrets stripped)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import EXIT_SOURCE_FAILED, ContextOption, KubeconfigOption, fail


def snapshot_capture(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write (must not exist or be empty)")],
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    namespace: Annotated[
        list[str] | None,
        typer.Option("--namespace", "-n", help="Only these namespaces (repeat the option); default: all"),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Cluster name in snapshot.yaml")] = None,
    max_log_pods: Annotated[
        int, typer.Option("--max-log-pods", min=0, help="Unhealthy pods whose logs are kept")
    ] = 200,
    log_lines: Annotated[
        int, typer.Option("--log-lines", min=1, help="Last lines kept per container log")
    ] = 1000,
) -> None:
    """Capture a snapshot from a live cluster: every standard kind, events, and logs of unhealthy pods.

    Progress goes to stderr. Secret values are never written (only names and key names).
    """
    from tools.contracts.settings import Settings
    from tools.kubernetes.access import KubeAccess, KubeError
    from tools.kubernetes.capture import CaptureLimits, capture_snapshot

    settings = Settings.load(context=context, kubeconfig=kubeconfig)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"--out {out}: already exists and is not an empty directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot create the folder: {exc.strerror or exc}")
    if settings.kubeconfig and not Path(settings.kubeconfig).is_file():
        fail(f"--kubeconfig {settings.kubeconfig}: no such file")
    try:
        kube = KubeAccess.from_kubeconfig(settings.kubeconfig, settings.context)
    except KubeError as exc:
        fail(str(exc))
    try:
        summary = capture_snapshot(
            kube,
            out,
            name=name,
            namespaces=list(namespace) if namespace else None,
            limits=CaptureLimits(max_log_pods=max_log_pods, log_lines=log_lines),
            progress=lambda message: typer.echo(f"… {message}", err=True),
        )
    except KubeError as exc:
        fail(f"capture failed: {exc}", EXIT_SOURCE_FAILED)
    except OSError as exc:
        fail(f"capture failed: cannot write {exc.filename or out}: {exc.strerror or exc}", EXIT_SOURCE_FAILED)
    finally:
        kube.close()
    for problem in summary.skipped:
        typer.echo(f"warning: {problem}", err=True)
    typer.echo(str(summary.root))
