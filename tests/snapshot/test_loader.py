"""The snapshot loader: every accepted form, archives, and every problem with its file and line."""

from __future__ import annotations

import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.snapshot.fixtures import write_json, write_log, write_meta
from tools.snapshot.loader import LogKey, SnapshotError, load_snapshot
from tools.snapshot.validate import validate_snapshot


def _objects(root: Path) -> list[tuple[str, str, str, str, int | None]]:
    snapshot = load_snapshot(root)
    return [
        (s.obj.get("apiVersion", ""), s.obj["kind"], s.obj["metadata"]["name"], s.file, s.line)
        for s in snapshot.iter_objects()
    ]


def test_all_object_and_list_forms(tmp_path: Path) -> None:
    write_meta(tmp_path)
    res = tmp_path / "resources"
    write_json(res / "one.json", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "single"}})
    write_json(
        res / "a" / "b" / "typed.json",
        {
            "apiVersion": "apps/v1",
            "kind": "DeploymentList",
            "items": [{"metadata": {"name": "typed-item"}}],
        },
    )
    write_json(
        res / "generic.json",
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "generic-item"}}],
        },
    )
    (res / "multi.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: doc-one\n"
        "---\n"
        "# a comment-only line before the list\n"
        "apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: doc-two-item}\n"
        "--- # trailing comment on the separator\n"
        "---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: doc-three}\n",
        encoding="utf-8",
    )
    (res / "single.yml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: yml}\n", encoding="utf-8"
    )
    (res / "notes.txt").write_text("ignored: not a resource suffix", encoding="utf-8")
    assert sorted(_objects(tmp_path)) == sorted(
        [
            ("v1", "ConfigMap", "single", "resources/one.json", 1),
            ("apps/v1", "Deployment", "typed-item", "resources/a/b/typed.json", 1),
            ("v1", "Service", "generic-item", "resources/generic.json", 1),
            ("v1", "Pod", "doc-one", "resources/multi.yaml", 1),
            ("v1", "Node", "doc-two-item", "resources/multi.yaml", 6),
            ("v1", "Secret", "doc-three", "resources/multi.yaml", 13),
            ("v1", "Namespace", "yml", "resources/single.yml", 1),
        ]
    )
    assert validate_snapshot(load_snapshot(tmp_path)) == []


def test_meta_logs_metrics_and_flows_are_located(tmp_path: Path) -> None:
    write_meta(tmp_path, name="prod", captured_at="2026-11-20T10:30:00.123456789+01:00")
    write_log(tmp_path, "shop", "web-1", "app", ["now"])
    write_log(tmp_path, "shop", "web-1", "app", ["before"], previous=True)
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "kube.om").write_text('up{job="x"} 1 1700000000\n# EOF\n', encoding="utf-8")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "hubble.jsonl").write_text(
        '{"flow": {"time": "2026-11-20T09:00:00Z", "verdict": "FORWARDED"}}\n{"node_status": {}}\n',
        encoding="utf-8",
    )
    snapshot = load_snapshot(tmp_path)
    assert snapshot.meta.name == "prod" and snapshot.meta.kubernetes_version == "v1.31.2"
    assert snapshot.meta.captured_at == datetime(2026, 11, 20, 9, 30, 0, 123456, tzinfo=UTC)
    assert snapshot.read_log(LogKey("shop", "web-1", "app", False)) == "now\n"
    assert snapshot.read_log(LogKey("shop", "web-1", "app", True)) == "before\n"
    assert snapshot.read_log(LogKey("shop", "web-1", "other", False)) is None
    assert [p.name for p in snapshot.metrics_files] == ["kube.om"]
    assert [p.name for p in snapshot.flow_files] == ["hubble.jsonl"]
    assert validate_snapshot(snapshot) == []


@pytest.mark.parametrize("nested", [False, True])
def test_tar_gz_archives(tmp_path: Path, nested: bool) -> None:
    tree = tmp_path / "tree"
    write_meta(tree)
    write_json(tree / "resources" / "p.json", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    write_log(tree, "default", "p", "c", ["hello"])
    archive = tmp_path / ("snap.tar.gz" if nested else "snap.tgz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname="my-snapshot" if nested else ".")
    snapshot = load_snapshot(archive)
    assert [s.obj["metadata"]["name"] for s in snapshot.iter_objects()] == ["p"]
    assert snapshot.read_log(LogKey("default", "p", "c", False)) == "hello\n"
    snapshot._tempdir.cleanup()


def test_not_a_snapshot(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no such file"):
        load_snapshot(tmp_path / "missing")
    with pytest.raises(SnapshotError, match=r"missing snapshot\.yaml"):
        load_snapshot(tmp_path)
    (tmp_path / "x.zip").write_text("zip?", encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"x.zip: not a kubewhy snapshot, and no Kubernetes objects"):
        load_snapshot(tmp_path / "x.zip")
    (tmp_path / "broken.tar.gz").write_bytes(b"not gzip at all")
    with pytest.raises(SnapshotError, match=r"not a readable \.tar\.gz"):
        load_snapshot(tmp_path / "broken.tar.gz")


def write_broken_snapshot(root: Path) -> None:
    """One of every problem the loader reports, plus a good object that must still load."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "snapshot.yaml").write_text("apiVersion: kubewhy/v2\nkind: Snapshot\ncapturedAt: yesterday\n")
    res = root / "resources"
    write_json(res / "good.json", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"}})
    res.joinpath("bad.json").write_text('{\n  "kind": "Pod",\n  "metadata": {"name": "x"},,\n}\n')
    res.joinpath("bad.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: fine}\n"
        "---\napiVersion: v1\nkind: Pod: Deployment\nmetadata: {}\n"
    )
    write_json(res / "nokind.json", {"apiVersion": "v1", "metadata": {"name": "x"}})
    write_json(res / "noname.json", {"apiVersion": "v1", "kind": "Pod", "metadata": {}})
    write_json(res / "list.json", {"kind": "PodList", "items": ["str", {"metadata": {"name": "i"}}]})
    write_json(res / "items.json", {"kind": "List", "items": {"not": "a list"}})
    res.joinpath("scalar.yaml").write_text("just a string\n")
    (root / "logs" / "shop").mkdir(parents=True)
    (root / "logs" / "shop" / "stray.log").write_text("x\n")
    (root / "metrics").mkdir()
    (root / "metrics" / "m.om").write_text("up 1 1700000000000\nup 1\n")
    (root / "flows").mkdir()
    (root / "flows" / "f.jsonl").write_text(
        '{"flow": {"time": "t", "verdict": "DROPPED"}}\nnot json\n{"flow": {}}\n'
    )


EXPECTED_PROBLEMS = [
    ("snapshot.yaml", None, "kind must be ClusterSnapshot"),
    ("snapshot.yaml", None, "apiVersion must be kubewhy/v1"),
    ("snapshot.yaml", None, "capturedAt must be an RFC 3339 time"),
    ("snapshot.yaml", None, "name is missing"),
    ("logs/shop/stray.log", None, "log files must be logs/<namespace>/<pod>/<container>"),
    ("resources/bad.json", 3, "invalid JSON"),
    ("resources/bad.yaml", 6, "invalid YAML"),
    ("resources/items.json", 1, "List.items must be a list"),
    ("resources/list.json", 1, "items[0] is not an object"),
    ("resources/nokind.json", 1, "object without kind"),
    ("resources/noname.json", 1, "object without metadata.name"),
    ("resources/scalar.yaml", 1, "expected a Kubernetes object or list"),
    ("metrics/m.om", 1, "timestamp looks like milliseconds"),
    ("metrics/m.om", 2, "sample has no timestamp"),
    ("metrics/m.om", None, "missing the final '# EOF'"),
    ("flows/f.jsonl", 2, "invalid JSON"),
    ("flows/f.jsonl", 3, "flow record needs at least 'time' and 'verdict'"),
]


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    write_broken_snapshot(tmp_path)
    snapshot = load_snapshot(tmp_path)
    loaded = [s.obj["metadata"]["name"] for s in snapshot.iter_objects()]
    assert sorted(loaded) == ["fine", "i", "ok"]  # bad files do not hide good objects
    problems = validate_snapshot(load_snapshot(tmp_path))
    assert len(problems) == len(EXPECTED_PROBLEMS)
    for (file, line, text), problem in zip(EXPECTED_PROBLEMS, problems, strict=True):
        assert (problem.file, problem.line) == (file, line), problem
        assert text in problem.message, problem
