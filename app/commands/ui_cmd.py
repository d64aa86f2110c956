"""`kubewhy demo` and `kubewhy ui`: run the Streamlit chat page (on 127.0.0.1 unless told) until Ctrl-C.

The page runs as a `streamlit run app/ui/main.py` subprocess in its own process group; the cluster it
reads is passed in the environment (``KUBEWHY_SNAPSHOT``, ``KUBEWHY_CONTEXT``, ``KUBEWHY_KUBECONFIG``), the
settings' own names. Stopping sends the page SIGTERM, which shuts Streamlit down and closes the session
(snapshot API server, local Prometheus); whatever is still left in the group after that is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import EXIT_SOURCE_FAILED, ContextOption, KubeconfigOption, SnapshotOption, fail

MAIN = Path(__file__).resolve().parents[1] / "ui" / "main.py"
HOST = "127.0.0.1"
DEFAULT_PORT = 8501
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

PortOption = Annotated[
    int, typer.Option("--port", "-p", help="Port to listen on (0 = any free port)", min=0, max=65535)
]
HostOption = Annotated[
    str,
    typer.Option(
        "--host",
        help="Address to listen on. auto (the image's default): 127.0.0.1 when KUBEWHY_AUTH_HEADER is "
        "trusted (the sign-in proxy is a sidecar in the pod), else 0.0.0.0",
    ),
]
NoBrowserOption = Annotated[bool, typer.Option("--no-browser", help="Print the URL; do not open a browser")]


def demo_command(port: PortOption = DEFAULT_PORT, no_browser: NoBrowserOption = False) -> None:
    """The chat page on the bundled demo cluster (a snapshot with its own Prometheus); no API key needed."""
    from app.demo import SHOP_SNAPSHOT

    env = {"KUBEWHY_SNAPSHOT": str(SHOP_SNAPSHOT), "KUBEWHY_CONTEXT": None, "KUBEWHY_KUBECONFIG": None}
    serve_page(env, port, open_browser=not no_browser, what="the demo cluster shop-prod")


def ui_command(
    port: PortOption = DEFAULT_PORT,
    snapshot: SnapshotOption = None,
    context: ContextOption = None,
    kubeconfig: KubeconfigOption = None,
    no_browser: NoBrowserOption = False,
    host: HostOption = HOST,
) -> None:
    """The chat page on a snapshot (--snapshot) or a live cluster (--context, default: the settings' or the
    kubeconfig's current context)."""
    env: dict[str, str | None] = {}
    if snapshot is not None:
        if not snapshot.exists():
            fail(f"--snapshot {snapshot}: no such file or directory")
        if context is not None:
            fail("--snapshot and --context: pass one of them")
        env.update(KUBEWHY_SNAPSHOT=str(snapshot.resolve()), KUBEWHY_CONTEXT=None)
    if kubeconfig is not None:
        if not Path(kubeconfig).is_file():
            fail(f"--kubeconfig {kubeconfig}: no such file")
        env["KUBEWHY_KUBECONFIG"] = str(Path(kubeconfig).resolve())
    if context is not None:
        _check_context(context, kubeconfig)
        env.update(KUBEWHY_CONTEXT=context, KUBEWHY_SNAPSHOT=None)
    what = (
        f"snapshot {snapshot}"
        if snapshot
        else (f"context {context}" if context else "the configured cluster")
    )
    serve_page(env, port, open_browser=not no_browser, what=what, host=_listen_address(host))


def _listen_address(host: str) -> str:
    """The address to listen on; refused (one line, exit 2) when it would expose a trusted sign-in header."""
    from tools.contracts.settings import ConfigError, Settings

    try:
        settings = Settings.load()
    except ConfigError as exc:
        fail(str(exc))
    if host == "auto":
        host = "127.0.0.1" if settings.auth_header and not settings.auth_proxy_in_front else "0.0.0.0"
    problem = settings.open_bind_problem(host)
    if problem:
        fail(f"--host {host}: {problem}")
    return host


def serve_page(
    env_changes: dict[str, str | None], port: int, open_browser: bool, what: str, host: str = HOST
) -> None:
    """Start the page, print its URL once it answers, open a browser, and stop everything on Ctrl-C."""
    port = _free_port(host) if port == 0 else _check_port(port, host)
    env = dict(os.environ)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    url = f"http://{host}:{port}"
    local = f"http://{HOST if host in ('0.0.0.0', '::') else host}:{port}"
    process = subprocess.Popen(
        streamlit_command(port, host),
        env=env,
        stdout=_stderr(),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Ctrl-C and a plain `kill` stop the same way, even when started with SIGINT ignored (`cmd &`).
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not _wait_ready(local, process):
            code = process.poll()
            why = (
                f"exited with status {code}"
                if code is not None
                else f"did not answer in {READY_TIMEOUT_S:.0f}s"
            )
            fail(f"the page server {why}; see the messages above", EXIT_SOURCE_FAILED)
        typer.echo(f"kubewhy is ready on {what}: {url}")
        typer.echo("Press Ctrl-C to stop.", err=True)
        if open_browser:
            webbrowser.open(url)
        process.wait()
    except KeyboardInterrupt:
        typer.echo("stopping…", err=True)
    finally:
        stop(process)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


PRIMARY_COLOR = "#2563eb"


def streamlit_command(port: int, host: str = HOST) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(MAIN),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
        "--theme.primaryColor",  # focus rings and accents in blue: Streamlit's red reads as an error
        PRIMARY_COLOR,
    ]


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the page (it closes its session: API server, Prometheus), then clear its process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
    _signal_group(process.pid, signal.SIGKILL)  # anything its children left behind


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _check_port(port: int, host: str = HOST) -> int:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            fail(f"--port {port}: the port is in use on {host}; pass another one (0 = any free port)")
    return port


def _free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _check_context(context: str, kubeconfig: str | None) -> None:
    from kubernetes.config import list_kube_config_contexts

    try:
        contexts, _ = list_kube_config_contexts(config_file=kubeconfig)
    except Exception as exc:
        fail(f"--context {context}: cannot read the kubeconfig ({exc})")
    names = sorted(c["name"] for c in contexts)
    if context not in names:
        fail(f"--context {context}: no such context in the kubeconfig (known: {', '.join(names) or 'none'})")


def _stderr() -> int | None:
    """Streamlit's own messages go to our stderr; stdout carries only the URL line."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
