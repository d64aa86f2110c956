"""`kubewhy tools list` and `kubewhy tools call` print the contracts-section-4 shapes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from tests.kubernetes.k8s_scenario import CRASH_POD

runner = CliRunner()


def test_tools_list_json_shape() -> None:
    result = runner.invoke(app, ["tools", "list", "--output", "json"])
    assert result.exit_code == 0, result.output
    tools = json.loads(result.stdout)
    by_name = {t["name"]: t for t in tools}
    assert {"k8s_list", "k8s_logs", "k8s_overview"} <= by_name.keys()
    for entry in tools:
        assert set(entry) == {"name", "source", "description", "parameters"}
    assert by_name["k8s_logs"]["parameters"]["required"] == ["namespace", "pod"]


def test_tools_call_json_shape(shop_dir: Path) -> None:
    args = json.dumps({"namespace": "shop", "pod": CRASH_POD, "previous": True, "grep": "fatal"})
    result = runner.invoke(
        app, ["tools", "call", "k8s_logs", "--args", args, "--snapshot", str(shop_dir), "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"tool", "args", "source", "text", "data", "truncated"}
    assert doc["tool"] == "k8s_logs" and doc["source"] == "logs" and doc["truncated"] is False
    assert doc["data"]["lines"] == ["FATAL cannot start: database unreachable"]
    assert doc["args"] == {"namespace": "shop", "pod": CRASH_POD, "previous": True, "grep": "fatal"}


def test_tools_call_text_is_what_a_model_reads(shop_dir: Path) -> None:
    result = runner.invoke(
        app, ["tools", "call", "k8s_list", "--args", '{"kind": "nodes"}', "--snapshot", str(shop_dir)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "nodes: 3 (1 DiskPressure, 1 Ready, 1 Unknown)"
    assert "worker-2  Ready, DiskPressure" in result.stdout


def test_bad_input_exits_2_with_one_line() -> None:
    for argv, message in [
        (["tools", "call", "k8s_list", "--args", "{bad"], "--args is not valid JSON"),
        (["tools", "call", "k8s_list", "--args", "[1]"], "--args must be a JSON object"),
        (["tools", "call", "no_such_tool"], "unknown tool 'no_such_tool'"),
        (["tools", "call", "k8s_list", "--args", '{"kind": "pods", "nope": 1}'], "nope: Extra inputs"),
        (
            ["tools", "call", "k8s_list", "--args", '{"kind": "pods"}', "--snapshot", "/no/such"],
            "no such file",
        ),
    ]:
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_tool_error_exits_3(shop_dir: Path) -> None:
    args = '{"kind": "pod", "name": "missing", "namespace": "shop"}'
    result = runner.invoke(
        app, ["tools", "call", "k8s_get", "--args", args, "--snapshot", str(shop_dir), "-o", "json"]
    )
    assert result.exit_code == 3
    assert json.loads(result.stdout)["text"].startswith("error: not found: Pod missing in shop")
