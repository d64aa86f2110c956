"""Fixtures for the adversarial suite: the hostile snapshot served once per session (snapshot API server,
local Prometheus over its metrics, its flow files), and scripted model servers per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.scripted_server import ScriptedModel
from tests.security import adversarial
from tests.security.sec_support import EvilCluster
from tools.contracts.settings import Settings
from tools.flows.connect import open_flow_source
from tools.kubernetes.access import KubeAccess
from tools.prometheus.connect import open_prometheus
from tools.snapshot.server import start_snapshot_server


@pytest.fixture(scope="session")
def evil_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return adversarial.build(tmp_path_factory.mktemp("evil") / "evil-prod")


@pytest.fixture(scope="session")
def evil(evil_dir: Path) -> Iterator[EvilCluster]:
    with start_snapshot_server(evil_dir) as server:
        kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        flows = open_flow_source(Settings(), server.snapshot.flow_files)
        with open_prometheus(Settings(), server.snapshot) as (prometheus, why):
            yield EvilCluster(server, kube, flows, prometheus, why)
        kube.close()


@pytest.fixture
def models() -> Iterator[list[ScriptedModel]]:
    servers: list[ScriptedModel] = []
    yield servers
    for server in servers:
        server.stop()
