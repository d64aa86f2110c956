"""Reading a written snapshot back for assertions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.snapshot.loader import load_snapshot


def objects_by_kind(root: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for item in load_snapshot(root).iter_objects():
        out.setdefault(item.obj["kind"], []).append(item.obj)
    return out


def tree_bytes(root: Path) -> dict[str, bytes]:
    """The snapshot's own files: the derived store cache kept beside it (.kubewhy-cache/) is not content."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".kubewhy-cache" not in p.relative_to(root).parts
    }


def flows(root: Path) -> list[dict[str, Any]]:
    lines = (root / "flows" / "hubble.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]
