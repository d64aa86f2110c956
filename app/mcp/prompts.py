"""Runbooks as MCP prompts: each bundled or user runbook, its typed parameters as the prompt's arguments
(MCP arguments are strings; the description gives the type, allowed values and default, and values are
checked with the runbook's own rules before the prompt is given)."""

from __future__ import annotations

import json

from mcp import types
from mcp.shared.exceptions import McpError

from app.mcp.calls import one_line
from app.runbooks import BadParam, Library, Param, RunbookError, UnknownRunbook, resolve_params
from app.runbooks.runner import question_of
from prompts import load_prompt


def runbook_prompts(library: Library) -> list[types.Prompt]:
    return [
        types.Prompt(
            name=entry.name,
            title=entry.runbook.title,
            description=entry.runbook.description or entry.runbook.title,
            arguments=[
                types.PromptArgument(name=p.name, description=describe(p), required=p.required)
                for p in entry.runbook.params
            ],
        )
        for entry in library.sorted()
    ]


def describe(param: Param) -> str:
    parts = [param.type]
    if param.enum is not None:
        parts.append("one of: " + ", ".join(str(item) for item in param.enum))
    if param.pattern is not None:
        parts.append(f"matching {param.pattern}")
    if param.default is not None:
        parts.append(f"default {param.default}")
    detail = "; ".join(parts)
    return f"{param.description} ({detail})" if param.description else detail


def runbook_prompt(library: Library, name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
    """The prompt for one runbook with the given arguments; bad ones are refused with one clear line."""
    try:
        book = library.get(name).runbook
        values = resolve_params(book, {k: v for k, v in (arguments or {}).items() if v not in (None, "")})
    except (UnknownRunbook, BadParam, RunbookError) as exc:
        message = one_line(str(exc))
        raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message=message)) from None
    given = {key: value for key, value in values.items() if value is not None}
    text = load_prompt(
        "mcp_runbook",
        title=book.title,
        runbook=book.name,
        description=book.description,
        params=", ".join(f"{k}={v}" for k, v in given.items()),
        call_json=json.dumps({"name": book.name, "params": given}),
        steps=book.steps,
        guidance=book.guidance,
        question=question_of(book, values),
    )
    return types.GetPromptResult(
        description=book.title,
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )
