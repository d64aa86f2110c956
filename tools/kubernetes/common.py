"""What every Kubernetes tool shares: registration with the client check and redaction applied once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from tools.contracts.tool import Source, ToolContext, ToolError, ToolOutput, ToolParams
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.redact import redact_data, redact_text
from tools.registry import tool

P = TypeVar("P", bound=ToolParams)


def kube_of(ctx: ToolContext) -> KubeAccess:
    if ctx.kube is None:
        reason = ctx.unavailable.get("kubernetes", "no cluster is configured")
        raise ToolError(f"the Kubernetes API is not available: {reason} (give --context or --snapshot)")
    return ctx.kube


def k8s_tool(
    name: str, params: type[P], source: Source = "kubernetes"
) -> Callable[[Callable[[ToolContext, P], ToolOutput]], Callable[[ToolContext, P], ToolOutput]]:
    """Register a Kubernetes tool: it gets a client or a clear error, and its output is always redacted."""

    def register(function: Callable[[ToolContext, P], ToolOutput]) -> Callable[[ToolContext, P], ToolOutput]:
        @functools.wraps(function)
        def run(ctx: ToolContext, args: P) -> ToolOutput:
            kube_of(ctx)
            output = function(ctx, args)
            output.text = redact_text(output.text)
            output.data = redact_data(output.data)
            return output

        tool(name, source, params)(run)
        return run

    return register
