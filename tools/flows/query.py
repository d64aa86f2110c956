"""Turn flow-tool parameters into a time window, Hubble filters and a client-side refinement.

Everything Hubble's ``FlowFilter`` can express goes to the source (so a Relay filters server-side);
what it cannot (drop reason, DNS rcode, exact workload when only pod prefixes are known) is checked
here on the returned flows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from tools.contracts.kube.time import rfc3339
from tools.contracts.tool import ToolContext, ToolError, ToolParams
from tools.contracts.wording import plural
from tools.flows.filters import FilterError, FlowFilter
from tools.flows.model import Flow, endpoint_matches_workload
from tools.flows.source import FlowSource

Side = Literal["either", "source", "destination"]
NO_SOURCE = (
    "no flow source configured: use a snapshot that has flows/*.jsonl, or set KUBEWHY_HUBBLE_ADDRESS "
    "to a Hubble Relay (host:port)"
)


class FlowWindowParams(ToolParams):
    since_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    until: str | None = Field(None, description="RFC 3339; default now")


class FlowScopeParams(FlowWindowParams):
    namespace: str | None = None
    workload: str | None = None
    pod: str | None = Field(None, description="name prefix")
    side: Side = Field("either", description="which endpoint the filters apply to")


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    @property
    def with_date(self) -> bool:
        """Times need a date when the window spans more than one UTC day."""
        return self.since.date() != self.until.date()

    @property
    def text(self) -> str:
        return f"{rfc3339(self.since)} .. {rfc3339(self.until)}"

    def as_dict(self) -> dict[str, str]:
        return {"since": rfc3339(self.since), "until": rfc3339(self.until)}


def window(ctx: ToolContext, params: FlowWindowParams) -> Window:
    """``since_minutes`` back from ``until`` (default ``ctx.now()``)."""
    if params.until:
        try:
            until = datetime.fromisoformat(params.until.replace("Z", "+00:00"))
        except ValueError:
            raise ToolError(
                f"until: {params.until!r} is not an RFC 3339 time like 2026-11-20T09:30:00Z"
            ) from None
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
    else:
        until = ctx.now()
    return Window(since=until - timedelta(minutes=params.since_minutes), until=until)


def flow_source(ctx: ToolContext) -> FlowSource:
    if ctx.flows is None:
        raise ToolError(NO_SOURCE)
    return ctx.flows


@dataclass
class Selection:
    """Whitelist for the source, plus checks the source cannot do."""

    filters: list[FlowFilter]
    checks: list[Callable[[Flow], bool]]
    described: str  # "namespace=shop verdict=DROPPED", for the header a model reads

    def accepts(self, flow: Flow) -> bool:
        return all(check(flow) for check in self.checks)


def select(
    params: FlowScopeParams,
    variants: Sequence[dict[str, Any]] = ({},),
    checks: Sequence[Callable[[Flow], bool]] = (),
    described: Sequence[str] = (),
) -> Selection:
    """Cross the scope (either side) with ``variants`` (FlowFilter field dicts, ORed)."""
    sides = ("source", "destination") if params.side == "either" else (params.side,)
    spec = None
    if params.namespace or params.workload or params.pod:
        prefix = params.pod or params.workload or ""
        spec = f"{params.namespace}/{prefix}" if params.namespace else prefix
    try:
        filters = []
        for variant in variants:
            if spec is None:
                filters.append(FlowFilter(**variant))
            else:
                filters.extend(FlowFilter(**variant, **{f"{side}_pod": [spec]}) for side in sides)
    except (FilterError, TypeError) as exc:
        raise ToolError(str(exc)) from None
    if filters and all(not item.to_dict() for item in filters):
        filters = []  # no filter at all: everything
    all_checks = list(checks)
    if params.workload:
        name, namespace = params.workload, params.namespace

        def in_workload(flow: Flow) -> bool:
            return any(endpoint_matches_workload(flow.get(side), name, namespace) for side in sides)

        all_checks.append(in_workload)
    scope = [f"{key}={value}" for key in ("namespace", "workload", "pod") if (value := getattr(params, key))]
    if scope and params.side != "either":
        scope.append(f"side={params.side}")
    return Selection(filters, all_checks, " ".join([*scope, *described]))


def scan(ctx: ToolContext, selection: Selection, span: Window) -> Iterator[Flow]:
    """Stream the selected flows of the window from the context's source."""
    source = flow_source(ctx)
    try:
        for flow in source.iter_flows(selection.filters or None, span.since, span.until):
            if selection.accepts(flow):
                yield flow
    except FilterError as exc:
        raise ToolError(str(exc)) from None


def source_notes(ctx: ToolContext) -> list[str]:
    """Problems the last scan met (unreadable lines), so a model knows the evidence has holes."""
    stats = getattr(ctx.flows, "last_stats", None)
    if stats is None or not stats.bad_lines:
        return []
    return [f"note: {plural(stats.bad_lines, 'unreadable flow line')} skipped (first: {stats.problems[0]})"]
