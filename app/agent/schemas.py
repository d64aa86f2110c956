"""Tool definitions as the model reads them, compacted: they are sent with every model call, so every
token they waste is paid once per step.

Pydantic's schemas carry titles that repeat the property names and spell optional values as
``anyOf: [{type: X}, {type: null}], default: null``; a property missing from ``required`` already says
it is optional, so both go, and so does ``type: string`` beside an enum of strings, and an empty default
(``""``, ``[]``). Bounds, patterns and ``additionalProperties`` go too: the registry checks every call
against the full schema and answers a bad argument with an error the model can fix, so the model need
not read them on every request.
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
        if key == "type" and value == "string" and _string_enum(node.get("enum")):
            continue  # the values say it
        if key == "default" and value in ("", [], {}):
            continue  # an empty default is what leaving the property out means
        if key == "properties" and isinstance(value, dict):
            compacted[key] = {name: compact_schema(prop) for name, prop in value.items()}
        else:
            compacted[key] = compact_schema(value)
    return compacted


def _string_enum(values: Any) -> bool:
    return isinstance(values, list) and bool(values) and all(isinstance(v, str) for v in values)


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


_REF = "#/$defs/"


def inline_single_use_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """A ``$defs`` entry referenced once, written where it is used: its name and the reference are paid
    for on every request and say nothing the property does not. Entries used twice or more stay."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    uses: dict[str, int] = dict.fromkeys(defs, 0)

    def count(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                count(item)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.removeprefix(_REF) in uses:
                uses[ref.removeprefix(_REF)] += 1
            for value in node.values():
                count(value)

    count(schema)
    single = {name for name, used in uses.items() if used == 1}

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(_REF) in single:
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**defs[ref.removeprefix(_REF)], **siblings}
        return {key: inline(value) for key, value in node.items() if key != "$defs"}

    kept = {name: inline(definition) for name, definition in defs.items() if name not in single}
    body = inline(schema)
    return {"$defs": kept, **body} if kept else body


def function_tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool in the OpenAI function format that langchain-openai's ``bind_tools`` accepts."""
    parameters = compact_schema(inline_single_use_defs(parameters))
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def tool_schema(spec: ToolSpec) -> dict[str, Any]:
    return function_tool(spec.name, spec.description, spec.json_schema())
