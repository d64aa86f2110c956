"""Fixtures for the agent tests: a scripted model server, settings pointing at it, a test-only tool."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import Field

from tests.agent.scripted_server import ScriptedModel
from tools import registry
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolError, ToolOutput, ToolParams

PODS_TOOL = "agenttest_pods"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


class PodsParams(ToolParams):
    namespace: str = Field(..., min_length=1, description="namespace")
    limit: int = Field(10, ge=1, description="how many pods")


@dataclass
class PodsTool:
    """A tiny read-only tool that counts its runs (to prove a duplicate call is not run again)."""

    runs: int = 0

    def __call__(self, ctx: ToolContext, params: PodsParams) -> ToolOutput:
        self.runs += 1
        if params.namespace == "down":
            raise ToolError("the API server did not answer")
        text = (
            f"pods in {params.namespace}:\n"
            f"checkout-7d9f8c6b5-x2lqp  0/1  CrashLoopBackOff  restarts=7\n"
            f"web-5c4d7b9f6-abcde  1/1  Running  restarts=0"
        )
        return ToolOutput(text=text, data={"namespace": params.namespace})


@pytest.fixture
def pods_tool() -> Iterator[PodsTool]:
    """Register the test tool for one test only, so it never leaks into other tests' registry."""
    function = PodsTool()

    def agenttest_pods(ctx: ToolContext, params: PodsParams) -> ToolOutput:
        """List pods of one namespace with their status (test tool)."""
        return function(ctx, params)

    registry.tool(PODS_TOOL, "kubernetes", PodsParams)(agenttest_pods)
    try:
        yield function
    finally:
        registry._TOOLS.pop(PODS_TOOL, None)


def settings_for(server: ScriptedModel, **overrides: object) -> Settings:
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


def context_for(settings: Settings) -> ToolContext:
    return ToolContext(settings=settings, cluster_name="shop-prod", fixed_now=NOW)


@pytest.fixture
def scripted() -> Iterator[list[ScriptedModel]]:
    """Servers a test starts with ``start(scripted, steps)``; all stopped when the test ends."""
    servers: list[ScriptedModel] = []
    yield servers
    for server in servers:
        server.stop()


def start(servers: list[ScriptedModel], script) -> ScriptedModel:
    server = ScriptedModel(script)
    servers.append(server)
    return server
