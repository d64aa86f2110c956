"""`kubewhy snapshot check` (contracts section 4) and `kubewhy snapshot serve`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from app.cli import app
from tests.snapshot.test_loader import EXPECTED_PROBLEMS, write_broken_snapshot

runner = CliRunner()


def test_check_ok_snapshot(snapshot_dir: Path) -> None:
    result = runner.invoke(app, ["snapshot", "check", str(snapshot_dir), "--output", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"ok": True, "problems": []}


def test_check_reports_every_problem_as_json(tmp_path: Path) -> None:
    write_broken_snapshot(tmp_path)
    result = runner.invoke(app, ["snapshot", "check", str(tmp_path), "--output", "json"])
    assert result.exit_code != 0
    document = json.loads(result.stdout)
    assert document["ok"] is False
    assert [(p["file"], p["line"]) for p in document["problems"]] == [(f, n) for f, n, _ in EXPECTED_PROBLEMS]
    assert all(set(p) == {"file", "line", "message"} for p in document["problems"])


def test_check_text_output_names_file_and_line(tmp_path: Path) -> None:
    write_broken_snapshot(tmp_path)
    result = runner.invoke(app, ["snapshot", "check", str(tmp_path)])
    assert result.exit_code != 0
    assert "resources/bad.json:3: invalid JSON" in result.stdout
    assert f"{len(EXPECTED_PROBLEMS)} problems" in result.stderr


def test_check_not_a_snapshot_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["snapshot", "check", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr
    as_json = runner.invoke(app, ["snapshot", "check", str(tmp_path), "--output", "json"])
    assert as_json.exit_code == 2
    assert "missing snapshot.yaml" in json.loads(as_json.stdout)["problems"][0]["message"]


def test_serve_runs_until_stopped(snapshot_dir: Path, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "served.kubeconfig"
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "snapshot",
        "serve",
        str(snapshot_dir),
        "--kubeconfig",
        str(kubeconfig),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stderr.readline() for _ in range(4)]
        url = re.search(r"at (http://127\.0\.0\.1:\d+)", lines[0]).group(1)
        assert f"kubectl --kubeconfig {kubeconfig} get pods -A" in "".join(lines)
        assert f"server: {url}" in kubeconfig.read_text()
        assert httpx.get(f"{url}/api/v1/namespaces/shop/pods/web-1").json()["metadata"]["name"] == "web-1"
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
    assert process.stdout.read() == ""  # nothing on stdout


def test_serve_bad_input_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["snapshot", "serve", str(tmp_path)])
    assert result.exit_code == 2
    assert "missing snapshot.yaml" in result.stderr
