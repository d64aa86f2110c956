"""Snapshots and runbooks that are wrong in bulk: 10,000 malformed resource files of ten kinds, and a
runbook with 10,000 steps. Used by tests/security/test_inputs.py and bench/bench_security_inputs.py."""

from __future__ import annotations

from pathlib import Path

import yaml

SNAPSHOT_YAML = (
    'apiVersion: kubewhy/v1\nkind: ClusterSnapshot\nname: broken\ncapturedAt: "2026-11-20T09:30:00Z"\n'
)

MALFORMED: list[tuple[str, bytes]] = [
    ("yaml", b"kind: Pod\nmetadata: {name: [unclosed\n"),  # not YAML
    ("json", b'{"kind": "Pod", "metadata": {"name": "x"'),  # truncated JSON
    ("yaml", b"apiVersion: v1\nmetadata: {name: no-kind}\n"),  # no kind
    ("json", b'{"apiVersion": "v1", "kind": "Pod", "metadata": {}}'),  # no name
    ("yaml", b"\x00\x01\x02\xff\xfe binary \x00\xc3\x28"),  # binary
    ("yaml", b"- just\n- a\n- list\n"),  # not an object
    ("json", b'{"kind": "PodList", "apiVersion": "v1", "items": [42, "x", null]}'),  # bad items
    ("yaml", b"kind: Pod\nmetadata:\n  name: a\n---\n: : :\n"),  # second document broken
    ("json", b"[1, 2, 3]"),  # a JSON array
    ("yml", b"kind: Pod\nmetadata: &a [*a]\n"),  # recursive alias
]


def write_malformed_snapshot(root: Path, count: int = 10_000) -> Path:
    """A snapshot whose resources/ holds ``count`` broken files (the ten kinds above, in turn)."""
    (root / "resources").mkdir(parents=True, exist_ok=True)
    (root / "snapshot.yaml").write_text(SNAPSHOT_YAML, encoding="utf-8")
    for number in range(count):
        suffix, body = MALFORMED[number % len(MALFORMED)]
        folder = root / "resources" / f"d{number // 1000:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"bad-{number:05d}.{suffix}").write_bytes(body)
    return root


def huge_runbook_text(steps: int = 10_000) -> str:
    step = {"tool": "k8s_list", "args": {"kind": "Pod", "namespace": "shop"}}
    return yaml.safe_dump({"name": "huge", "title": "Huge", "steps": [step] * steps}, sort_keys=False)
