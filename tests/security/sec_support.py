"""Shared helpers of the adversarial suite (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.agent.scripted_server import ScriptedModel
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import SnapshotServer


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
    return "\n".join(json.dumps(request.body, ensure_ascii=False) for request in server.requests)


def ask_cli(
    snapshot: Path, server: ScriptedModel, output: str, tmp: Path, question: str = "why is checkout failing?"
) -> subprocess.CompletedProcess[str]:
    """`kubewhy ask` in a child process, answered by the scripted model, with a private history."""
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "KUBEWHY_LLM": "openai",
        "KUBEWHY_MODEL": server.model,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test",
        "KUBEWHY_MAX_RETRIES": "0",
        "KUBEWHY_DATABASE_URL": f"sqlite:///{tmp / 'history.db'}",
    }
    command = [sys.executable, "-m", "app.cli", "ask", question, "--snapshot", str(snapshot), "-o", output]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
