"""The CLI's one-line messages name what is wrong, where, and what to do instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app

runner = CliRunner()


def write_kubeconfig(path: Path, *contexts: str) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": name, "context": {"cluster": "c", "user": "u"}} for name in contexts],
        "current-context": contexts[0],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def error_line(result) -> str:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("kubewhy:")]
    assert len(lines) == 1, result.stderr
    return lines[0].removeprefix("kubewhy: ")


def test_wrong_context_names_the_files_the_contexts_and_the_closest(tmp_path: Path, monkeypatch) -> None:
    first = write_kubeconfig(tmp_path / "a.yaml", "staging", "production")
    second = write_kubeconfig(tmp_path / "b.yaml", "dev")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    monkeypatch.delenv("KUBEWHY_CONTEXT", raising=False)
    monkeypatch.delenv("KUBEWHY_KUBECONFIG", raising=False)
    line = error_line(runner.invoke(app, ["ask", "why is checkout failing?", "--context", "prod"]))
    assert "the requested kubeconfig context 'prod'" in line and "default" not in line
    assert f"{first}, {second} (KUBECONFIG)" in line
    assert "no context by that name; contexts found: staging, production, dev" in line
    assert line.endswith("did you mean --context production?")


def test_missing_kubeconfig_file_is_named(tmp_path: Path, monkeypatch) -> None:
    missing = tmp_path / "nowhere" / "config"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    monkeypatch.delenv("KUBEWHY_CONTEXT", raising=False)
    monkeypatch.delenv("KUBEWHY_KUBECONFIG", raising=False)
    line = error_line(runner.invoke(app, ["ask", "why is checkout failing?", "--context", "prod"]))
    assert f"{missing} (KUBECONFIG): no such file" in line
    assert "contexts found" not in line


@pytest.mark.parametrize("flag", [[], ["--context", "zzz-unrelated"]])
def test_no_suggestion_without_a_close_name(tmp_path: Path, monkeypatch, flag: list[str]) -> None:
    config = write_kubeconfig(tmp_path / "config", "staging")
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KUBEWHY_CONTEXT", raising=False)
    monkeypatch.delenv("KUBEWHY_KUBECONFIG", raising=False)
    result = runner.invoke(app, ["ask", "why is checkout failing?", *flag])
    if not flag:  # the current context exists: the failure is reaching the API, not the kubeconfig
        assert "kubeconfig context" not in result.output
        return
    line = error_line(result)
    assert "did you mean" not in line and "contexts found: staging" in line


CAPTURE = "run `kubewhy snapshot capture --out DIR`"


def ask_snapshot(path: Path) -> str:
    return error_line(runner.invoke(app, ["ask", "why is checkout failing?", "--snapshot", str(path)]))


def test_a_file_that_is_not_a_snapshot_says_what_snapshot_takes(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("remember to restart the cart\n")
    line = ask_snapshot(notes)
    assert line.startswith(f"--snapshot {notes}: not a kubewhy snapshot, and no Kubernetes objects found")
    assert "(first: notes.txt: " in line
    for accepted in (
        "support bundle",
        "`kubectl cluster-info dump`",
        "`kubectl get pods -A -o json > pods.json`",
    ):
        assert accepted in line
    assert line.endswith(CAPTURE)


def test_an_empty_folder_and_a_broken_archive_say_the_same(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "snap.tar.gz"
    broken.write_bytes(b"not gzip at all")
    empty_line, archive_line = ask_snapshot(tmp_path / "empty"), ask_snapshot(broken)
    assert empty_line.startswith(f"--snapshot {tmp_path / 'empty'}: missing snapshot.yaml, and no Kubernetes")
    assert archive_line.startswith(f"--snapshot {broken}: not a readable .tar.gz archive")
    tail = empty_line[empty_line.index("; kubewhy reads") :]
    assert archive_line.endswith(tail) and tail.endswith(CAPTURE)


def test_a_snapshot_that_lost_its_meta_file_says_to_put_it_back(tmp_path: Path) -> None:
    (tmp_path / "snap" / "resources").mkdir(parents=True)
    line = ask_snapshot(tmp_path / "snap")
    assert line == (
        f"--snapshot {tmp_path / 'snap'}: missing snapshot.yaml, so not a kubewhy snapshot; put it back, "
        f"or to snapshot a live cluster, {CAPTURE}"
    )


def test_kubectl_output_is_read_not_refused(tmp_path: Path) -> None:
    pods = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "web-1",
                    "namespace": "shop",
                    "creationTimestamp": "2026-11-20T09:00:00Z",
                },
                "spec": {"containers": [{"name": "web", "image": "web:1"}]},
                "status": {"phase": "Running"},
            }
        ],
    }
    path = tmp_path / "pods.json"
    path.write_text(json.dumps(pods))
    result = runner.invoke(app, ["ask", "why is checkout failing?", "--snapshot", str(path)])
    assert result.exit_code == 0, result.output
    assert "detected `kubectl get -o json|yaml` output" in result.stderr
