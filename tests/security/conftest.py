"""Fixtures for the adversarial suite: the hostile snapshot served once per session (snapshot API server,
local Prometheus over its metrics, its flow files), contexts over it with any settings, and scripted model
servers per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # adversarial.py, fault_proxy.py

import adversarial

from app.settings import Settings
from tests.agent.scripted_server import ScriptedModel
from tools.base import ToolContext
from tools.flows.source import open_flow_source
from tools.kubernetes.access import KubeAccess
from tools.prometheus.connect import open_prometheus
from tools.snapshot.server import SnapshotServer, start_snapshot_server


@dataclass
class EvilCluster:
    server: SnapshotServer
    kube: KubeAccess
    flows: Any
    prometheus: Any
    prometheus_missing: str | None

    def context(self, settings: Settings | None = None) -> ToolContext:
        ctx = ToolContext(
            settings=settings or Settings(llm="none"),
            kube=self.kube,
            prometheus=self.prometheus,
            flows=self.flows,
            cluster_name=self.server.snapshot.meta.name,
            fixed_now=self.server.snapshot.meta.captured_at,
        )
        if self.prometheus is None:
            ctx.unavailable["prometheus"] = self.prometheus_missing or "not started"
        return ctx


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


def start_model(servers: list[ScriptedModel], script: Any) -> ScriptedModel:
    server = ScriptedModel(script)
    servers.append(server)
    return server


def model_settings(server: ScriptedModel, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "llm": "openai",
        "model": server.model,
        "openai_base_url": server.base_url,
        "openai_api_key": "sk-test",
        "max_retries": 0,
        "request_timeout_s": 10.0,
        "question_timeout_s": 30.0,
    }
    values.update(overrides)
    return Settings(**values)


def transcript(server: ScriptedModel) -> str:
    """Everything the model was sent, as one string (request bodies in JSON)."""
    import json

    return "\n".join(json.dumps(request.body, ensure_ascii=False) for request in server.requests)
