"""The one interface every flow source implements (``tools.flows.connect`` picks one for a run).

A source streams Flow dicts in protobuf-JSON form (see :mod:`tools.flows.model`); nothing is held in
memory beyond what ``limit`` asks for, so a tool can aggregate a million records in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from tools.contracts.tool import ToolError
from tools.flows.filters import FlowFilter


class FlowSourceError(ToolError):
    """The flow source cannot be read (missing file, Relay unreachable, bad filter). Tools carry it."""


@runtime_checkable
class FlowSource(Protocol):
    """Hubble flows, filtered like ``observer.Observer/GetFlows``.

    ``filters`` is the whitelist (ORed), ``exclude`` the blacklist; ``since``/``until`` bound the
    flow time (inclusive); ``limit`` keeps the last ``limit`` matching flows, or the first ones when
    ``first`` is true, exactly like GetFlows' ``number``/``first``.
    """

    description: str

    def iter_flows(
        self,
        filters: Sequence[FlowFilter] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        *,
        exclude: Sequence[FlowFilter] = (),
        first: bool = False,
    ) -> Iterator[dict[str, Any]]: ...
