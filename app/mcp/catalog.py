"""What an MCP client is offered: the registry's read-only tools whose source is connected, with the
registry's own JSON schemas and descriptions, plus ``diagnose`` and ``run_runbook``; and the server's
instructions, which say which sources are not connected and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp import types
from pydantic import Field

from app.engine import Session
from app.runbooks import Library
from app.toolset import all_tools
from prompts import load_prompt
from tools.contracts.tool import ToolParams
from tools.registry import ToolSpec

DIAGNOSE = "diagnose"
RUN_RUNBOOK = "run_runbook"


class DiagnoseParams(ToolParams):
    question: str = Field(
        ...,
        min_length=1,
        description="The question in plain words, e.g. 'why are orders failing at checkout?'",
    )
    namespace: str | None = Field(None, description="Focus on one namespace (optional)")


class RunRunbookParams(ToolParams):
    name: str = Field(..., description="The runbook's name (the prompts list them with their parameters)")
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="The runbook's parameters, e.g. {'namespace': 'shop'}"
    )


DIAGNOSE_DESCRIPTION = (
    "Ask kubewhy's built-in diagnostician a question about the cluster (no model involved): it runs its "
    "read-only checks over the Kubernetes API, Prometheus and flows and returns the diagnosis document: "
    "a direct answer, findings ranked with the culprit object to fix, and the evidence each one cites "
    "(ids readable as kubewhy://<cluster>/evidence/<id>). A good first call."
)
RUN_RUNBOOK_DESCRIPTION = (
    "Run a saved kubewhy runbook (a named, parameterized read-only investigation) and return its "
    "diagnosis document. Runbooks: {names}."
)


@dataclass(frozen=True)
class Catalog:
    """The tools of one server process, built once from the session (its sources do not change)."""

    specs: dict[str, ToolSpec]
    withheld: dict[str, str]  # registry tool not offered -> why
    tools: list[types.Tool]
    instructions: str


def offered_specs(session: Session) -> tuple[list[ToolSpec], dict[str, str]]:
    """The registry's tools split into those whose source is connected and those withheld (with why)."""
    offered, withheld = [], {}
    for spec in all_tools():
        why = session.ctx.unavailable.get(spec.source)
        if why is None:
            offered.append(spec)
        else:
            withheld[spec.name] = f"{spec.source} is not connected: {why}"
    return offered, withheld


def build_catalog(session: Session, library: Library) -> Catalog:
    offered, withheld = offered_specs(session)
    annotations = _annotations(open_world=session.snapshot_dir is None)
    tools = [
        types.Tool(
            name=spec.name,
            description=spec.description,
            inputSchema=spec.json_schema(),
            annotations=annotations,
        )
        for spec in offered
    ]
    tools.append(
        types.Tool(
            name=DIAGNOSE,
            description=DIAGNOSE_DESCRIPTION,
            inputSchema=_schema(DiagnoseParams, max_question=session.settings.max_question_chars),
            annotations=annotations,
        )
    )
    names = [entry.name for entry in library.sorted()]
    if names:
        schema = _schema(RunRunbookParams)
        schema["properties"]["name"]["enum"] = names
        tools.append(
            types.Tool(
                name=RUN_RUNBOOK,
                description=RUN_RUNBOOK_DESCRIPTION.format(names=", ".join(names)),
                inputSchema=schema,
                annotations=annotations,
            )
        )
    return Catalog(
        specs={spec.name: spec for spec in offered},
        withheld=withheld,
        tools=tools,
        instructions=instructions(session, withheld),
    )


def instructions(session: Session, withheld: dict[str, str]) -> str:
    by_source: dict[str, list[str]] = {}
    for name, why in withheld.items():
        by_source.setdefault(why, []).append(name)
    return load_prompt(
        "mcp_instructions",
        cluster=session.cluster,
        snapshot=session.snapshot_dir is not None,
        sources=session.sources,
        withheld=[{"why": why, "tools": ", ".join(names)} for why, names in by_source.items()],
        notes=[why for source, why in session.ctx.unavailable.items() if source == "snapshot"],
    )


def _annotations(*, open_world: bool) -> types.ToolAnnotations:
    """Every tool only reads: the transport refuses anything else."""
    return types.ToolAnnotations(
        readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=open_world
    )


def _schema(params: type[ToolParams], max_question: int | None = None) -> dict[str, Any]:
    schema = params.model_json_schema()
    schema.pop("title", None)
    if max_question is not None:
        schema["properties"]["question"]["maxLength"] = max_question
    return schema
