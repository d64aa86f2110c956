"""Tool definitions as the model reads them, compacted: they are sent with every model call, so every
token they waste is paid once per step.

Pydantic's schemas carry titles that repeat the property names and spell optional values as
``anyOf: [{type: X}, {type: null}], default: null``; a property missing from ``required`` already says
it is optional, so both go. Bounds, patterns and ``additionalProperties`` go too: the registry checks
every call against the full schema and answers a bad argument with an error the model can fix, so the
model need not read them on every request.
"""

from __future__ import annotations

from typing import Any

from tools.registry import ToolSpec

CHECKED_BY_THE_REGISTRY = frozenset(
    {
        "additionalProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
    }
)


def compact_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [compact_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = _unwrap_optional(node)
    compacted: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in CHECKED_BY_THE_REGISTRY and not isinstance(value, dict):
            continue
        if key == "properties" and isinstance(value, dict):
            compacted[key] = {name: compact_schema(prop) for name, prop in value.items()}
        else:
            compacted[key] = compact_schema(value)
    return compacted


def _unwrap_optional(node: dict[str, Any]) -> dict[str, Any]:
    """``{anyOf: [S, {type: null}], default: null}`` -> ``S`` (with the node's description)."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return node
    if node.get("default") is not None:
        return node
    [inner] = [option for option in options if option != {"type": "null"}]
    merged = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
    return {**inner, **merged}


def function_tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool in the OpenAI function format that langchain-openai's ``bind_tools`` accepts."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": compact_schema(parameters)},
    }


def tool_schema(spec: ToolSpec) -> dict[str, Any]:
    return function_tool(spec.name, spec.description, spec.json_schema())
