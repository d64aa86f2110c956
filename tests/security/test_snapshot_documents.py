"""Resource files built to exhaust the loader: a YAML alias bomb (500 bytes that expand to hundreds of
millions of nodes when served), a recursive alias, and 100,000-deep JSON and YAML. Each is one named bad
file, with its line; the rest of the snapshot loads and is served; nothing crashes (no RecursionError, no
segfault in libyaml). Every run is a child process with a 3 GB address-space cap, so a regression fails
the test instead of taking the machine's memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.hostile_files import alias_bomb, base_snapshot, deep_json, deep_yaml
from tools.snapshot.bounded import MAX_DEPTH
from tools.snapshot.loader import load_snapshot
from tools.snapshot.validate import validate_snapshot

REPO = Path(__file__).resolve().parents[2]
_CAPPED = (
    "import resource, runpy, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__')\n"
)
_SERVE = """
import json, sys
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import start_snapshot_server
with start_snapshot_server(sys.argv[1]) as server:
    kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
    pods = [p["metadata"]["name"] for p in kube.list_objects("Pod")]
    maps = [c["metadata"]["name"] for c in kube.list_objects("ConfigMap")]
    problems = [str(p) for p in server.snapshot.problems]
    print(json.dumps({"pods": pods, "configmaps": maps, "problems": problems}))
"""


def _capped(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CAPPED, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def _check(root: Path) -> tuple[int, list[dict], str]:
    done = _capped("app.cli", "snapshot", "check", str(root), "--output", "json")
    assert "Traceback" not in done.stderr and done.returncode in (0, 1), done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout)["problems"], done.stderr


def _serve(root: Path) -> dict:
    script = root.parent / "serve.py"
    script.write_text(_SERVE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _CAPPED.replace("runpy.run_module", "runpy.run_path"), str(script), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, (done.returncode, done.stderr[-3000:])
    return json.loads(done.stdout)


HOSTILE = {
    "bomb.yaml": (alias_bomb(), 9, "refused as an alias bomb"),
    "recursive.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop, namespace: shop}\ndata: &d\n  x: *d\n",
        5,
        "alias *d refers to a node that contains it",
    ),
    "deep.json": (deep_json(), 1, f"nested deeper than {MAX_DEPTH} levels"),
    "deep.yaml": (deep_yaml(), 5, f"nested deeper than {MAX_DEPTH} levels"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_resource_file_is_one_named_problem_and_the_rest_loads(tmp_path, name):
    text, line, message = HOSTILE[name]
    root = base_snapshot(tmp_path / "snap")
    (root / "resources" / name).write_text(text, encoding="utf-8")
    code, problems, _ = _check(root)
    assert code == 1
    assert [(p["file"], p["line"]) for p in problems] == [(f"resources/{name}", line)], problems
    assert message in problems[0]["message"]
    served = _serve(root)
    assert served["pods"] == ["web"] and served["configmaps"] == []
    assert served["problems"] == [f"resources/{name}:{line}: {problems[0]['message']}"]


def test_a_hostile_snapshot_yaml_is_named_too(tmp_path):
    root = base_snapshot(tmp_path / "snap")
    (root / "snapshot.yaml").write_text(
        "apiVersion: kubewhy/v1\nkind: ClusterSnapshot\nname: hostile\ncapturedAt: 2026-11-20T09:30:00Z\n"
        "description: " + "[" * 100_000 + "]" * 100_000 + "\n",
        encoding="utf-8",
    )
    code, problems, _ = _check(root)
    assert code == 1 and problems[0]["file"] == "snapshot.yaml"
    assert f"nested deeper than {MAX_DEPTH}" in problems[0]["message"]


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_the_depth_limit_is_exact_and_what_loads_is_served(tmp_path, suffix):
    root = base_snapshot(tmp_path / "snap")
    make = deep_json if suffix == "json" else deep_yaml
    # the ConfigMap, its data and the "x" key take 2 levels above the arrays
    (root / "resources" / f"fits.{suffix}").write_text(make(MAX_DEPTH - 2), encoding="utf-8")
    (root / "resources" / f"over.{suffix}").write_text(
        make(MAX_DEPTH - 1).replace("deep", "over"), encoding="utf-8"
    )
    problems = validate_snapshot(load_snapshot(root))
    assert [p.file for p in problems] == [f"resources/over.{suffix}"], problems
    served = _serve(root)
    assert served["configmaps"] == ["deep" if suffix == "json" else "deep-yaml"]


def test_ordinary_anchors_and_aliases_still_load(tmp_path):
    root = base_snapshot(tmp_path / "snap")
    (root / "resources" / "shared.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: shop}\n"
        "data:\n  a: &v 'some value'\n  b: *v\n  c: *v\n",
        encoding="utf-8",
    )
    snapshot = load_snapshot(root)
    objects = {o.obj["metadata"]["name"]: o.obj for o in snapshot.iter_objects()}
    assert objects["shared"]["data"] == {"a": "some value", "b": "some value", "c": "some value"}
    assert snapshot.problems == []
