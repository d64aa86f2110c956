from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.snapshot.fixtures import build_snapshot
from tools.snapshot.server import SnapshotServer, start_snapshot_server

KUBECTL = "/usr/bin/kubectl"


@pytest.fixture(scope="session")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_snapshot(tmp_path_factory.mktemp("snapshot") / "shop")


@pytest.fixture(scope="module")
def server(snapshot_dir: Path) -> Iterator[SnapshotServer]:
    with start_snapshot_server(snapshot_dir) as running:
        yield running


KubectlRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def kubectl(server: SnapshotServer, tmp_path_factory: pytest.TempPathFactory) -> KubectlRunner:
    """Run the real kubectl against the served snapshot (own discovery cache, no ~/.kube)."""
    cache = tmp_path_factory.mktemp("kubectl-cache")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [KUBECTL, "--kubeconfig", str(server.kubeconfig_path), "--cache-dir", str(cache), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    return run
