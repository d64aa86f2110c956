"""`kubewhy models check` against a scripted endpoint: answers, tool calling, clear config errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from app.cli import app
from tests.agent.conftest import start
from tests.agent.scripted_server import Failure, Reply

MODEL_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY")


def check(env: dict[str, str], *args: str):
    clean = {name: None for name in MODEL_VARIABLES} | {"KUBEWHY_MAX_RETRIES": "0"}
    return CliRunner().invoke(app, ["models", "check", *args], env=clean | env)


def test_a_model_that_calls_the_tool_passes(scripted):
    server = start(scripted, [Reply(tool_calls=[("report_status", {"status": "ok"})])])
    result = check({"OPENAI_BASE_URL": server.base_url, "KUBEWHY_MODEL": "qwen2.5"}, "--output", "json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report | {"seconds": 0} == {
        "provider": "openai",
        "model": "qwen2.5",
        "endpoint": server.base_url,
        "answers": True,
        "tool_calling": True,
        "seconds": 0,
        "error": None,
        "ok": True,
    }
    [request] = server.requests
    assert [t["function"]["name"] for t in request.body["tools"]] == ["report_status"]


def test_a_model_that_only_talks_fails_with_a_reason(scripted):
    server = start(scripted, [Reply(content="ok")])
    result = check({"OPENAI_BASE_URL": server.base_url})

    assert result.exit_code == 1
    assert "answers: yes" in result.stdout and "tool calling: no" in result.stdout
    assert "may not support tool calling" in result.stdout


def test_an_endpoint_that_refuses_tools_still_answers(scripted):
    server = start(scripted, [Failure(400, "tools are not supported", headers={}), Reply(content="ok")])
    result = check({"OPENAI_BASE_URL": server.base_url}, "-o", "json")

    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert (report["answers"], report["tool_calling"]) == (True, False)
    assert (
        "refuses tool definitions" in report["error"]
        and "HTTP 400: tools are not supported" in report["error"]
    )


def test_an_endpoint_that_is_down_is_reported(scripted):
    server = start(scripted, [Failure(503, "overloaded", headers={})] * 2)
    result = check({"OPENAI_BASE_URL": server.base_url})

    assert result.exit_code == 1
    assert "answers: no" in result.stdout and "HTTP 503: overloaded" in result.stdout


def test_no_model_configured_is_one_clear_line():
    env = {k: v for k, v in os.environ.items() if k not in MODEL_VARIABLES} | {"KUBEWHY_LLM": "auto"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "models", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "kubewhy: no model is configured (KUBEWHY_LLM=auto): set OPENAI_API_KEY, OPENAI_BASE_URL or "
        "AZURE_OPENAI_ENDPOINT; the built-in diagnostician answers until then"
    ]
