"""Shared builders for the flow tests: a few pods, a fixed "now", and a context over flow files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devkit.flow_synth import envelope, pod, write_jsonl
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.flows.files import FileFlowSource

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

WEB = pod("shop", "web", "10.0.1.10", suffix="6c8d7b9f4-k2m4p", namespace_labels={"team": "shop"})
CHECKOUT = pod("shop", "checkout", "10.0.1.23", namespace_labels={"team": "shop"})
CART = pod("shop", "cart", "10.0.1.31", suffix="5f6d7c8b9-abcde", namespace_labels={"team": "shop"})
POSTGRES = pod(
    "data", "postgres", "10.0.2.45", suffix="0", kind="StatefulSet", namespace_labels={"team": "data"}
)
COREDNS = pod("kube-system", "coredns", "10.0.0.10", {"k8s-app": "kube-dns"}, suffix="5d78c9869d-4vq7z")


def write_flows(path: Path, flows: list[dict[str, Any]], wrap: bool = True) -> Path:
    write_jsonl(path, (envelope(flow) if wrap else flow for flow in flows))
    return path


def file_context(tmp_path: Path, flows: list[dict[str, Any]], **settings: Any) -> ToolContext:
    write_flows(tmp_path / "flows" / "node.jsonl", flows)
    return ToolContext(
        settings=Settings(**settings), flows=FileFlowSource([tmp_path / "flows"]), fixed_now=NOW
    )
