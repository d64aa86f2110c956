"""The one interface every flow source implements, and how the engine picks one.

A source streams Flow dicts in protobuf-JSON form (see :mod:`tools.flows.model`); nothing is held in
memory beyond what ``limit`` asks for, so a tool can aggregate a million records in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tools.base import ToolError
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


def open_flow_source(settings: Any, flow_files: Sequence[str | Path] | None = None) -> FlowSource | None:
    """The flow source for this run: the snapshot's ``flows/*.jsonl`` when given, else Hubble Relay at
    ``settings.hubble_address`` (TLS when ``settings.hubble_tls``), else None (flow tools then say so)."""
    if flow_files:
        from tools.flows.files import FileFlowSource

        return FileFlowSource(flow_files)
    address = getattr(settings, "hubble_address", None)
    if address:
        from tools.flows.relay import RelayFlowSource

        return RelayFlowSource(
            address,
            tls=bool(getattr(settings, "hubble_tls", False)),
            ca_file=getattr(settings, "hubble_ca_file", None),
        )
    return None
