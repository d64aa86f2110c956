"""The CLI's one-line messages name what is wrong, where, and what to do instead."""

from __future__ import annotations

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
