"""The one tool contract every data source implements (Kubernetes, Prometheus, flows).

A tool is a plain function ``(ctx, params) -> ToolOutput`` registered with :func:`tools.registry.tool`.
Its pydantic parameter model gives the JSON schema for LLM tool calling; its docstring is the
description a model reads. The registry turns every call into a :class:`ToolResult`, which carries
both the structured data (for the diagnostician and the page) and the bounded text (for a model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.contracts.settings import Settings

Source = Literal["kubernetes", "prometheus", "flows", "logs"]


class ToolError(Exception):
    """A tool could not answer (source down, 403, bad argument). Carried into the result, never raised past
    the registry."""


class ToolParams(BaseModel):
    """Base for every tool's parameters: unknown arguments are an error a model can read and fix."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class ToolOutput:
    """What a tool function returns: model text, structured data, and whether anything was left out."""

    text: str
    data: Any = None
    truncated: bool = False
    source: Source | None = None  # override the tool's default source (e.g. logs read via Kubernetes)


class ToolResult(BaseModel):
    """One tool call as recorded: exactly what `kubewhy tools call --output json` prints."""

    tool: str
    args: dict[str, Any]
    source: Source
    text: str
    data: Any = None
    truncated: bool = False
    error: str | None = None
    duration_s: float = Field(0.0, exclude=True)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ToolContext:
    """Everything a tool may touch. Built once per question by the engine; tools never build clients."""

    settings: Settings
    kube: Any = None  # tools.kubernetes.client.KubeAccess
    prometheus: Any = None  # tools.prometheus.client.PrometheusAccess
    flows: Any = None  # tools.flows.source.FlowSource
    cluster_name: str = "cluster"
    fixed_now: datetime | None = None  # a snapshot's capturedAt; None means the wall clock
    unavailable: dict[str, str] = field(default_factory=dict)  # source -> why it cannot be read
    on_progress: Callable[[str], None] | None = None

    def now(self) -> datetime:
        return self.fixed_now or datetime.now(UTC)

    @property
    def token_budget(self) -> int:
        return self.settings.tool_output_tokens

    def progress(self, message: str) -> None:
        if self.on_progress is not None:
            self.on_progress(message)
