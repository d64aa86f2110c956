"""`kubewhy demo` / `kubewhy ui` refuse bad input with one clear line and exit 2, before starting anything."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

KUBEWHY = [sys.executable, "-m", "app.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBEWHY_LLM": "none"}
    return subprocess.run([*KUBEWHY, *args], capture_output=True, text=True, timeout=60, env=env)


def test_a_missing_snapshot_is_bad_input(tmp_path):
    result = run("ui", "--snapshot", str(tmp_path / "nope"), "--no-browser")
    assert result.returncode == 2
    assert result.stderr.strip() == f"kubewhy: --snapshot {tmp_path / 'nope'}: no such file or directory"
    assert result.stdout == ""


def test_a_busy_port_is_bad_input():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("demo", "--port", str(port), "--no-browser")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"kubewhy: --port {port}: the port is in use on 127.0.0.1; pass another one (0 = any free port)"
    )


def test_an_unknown_context_names_the_known_ones(tmp_path: Path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: prod, context: {cluster: c, user: u}},\n"
        "           {name: staging, context: {cluster: c, user: u}}]\n"
    )
    result = run("ui", "--context", "dev", "--kubeconfig", str(kubeconfig), "--no-browser")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "kubewhy: --context dev: no such context in the kubeconfig (known: prod, staging)"
    )
