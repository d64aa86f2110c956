"""Which flow source a run reads: the snapshot's flow files, else Hubble Relay, else none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.flows.files import FileFlowSource
from tools.flows.source import FlowSource


def open_flow_source(settings: Any, flow_files: Sequence[str | Path] | None = None) -> FlowSource | None:
    """The flow source for this run: the snapshot's ``flows/*.jsonl`` when given, else Hubble Relay at
    ``settings.hubble_address`` (TLS when ``settings.hubble_tls``), else None (flow tools then say so)."""
    if flow_files:
        return FileFlowSource(flow_files)
    address = getattr(settings, "hubble_address", None)
    if address:
        from tools.flows.relay import RelayFlowSource  # grpc loads only when Relay is used

        return RelayFlowSource(
            address,
            tls=bool(getattr(settings, "hubble_tls", False)),
            ca_file=getattr(settings, "hubble_ca_file", None),
        )
    return None
