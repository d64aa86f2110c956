"""`kubewhy slack`: the HTTP mode as a real process on a free port, and the settings it refuses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import app
from devkit.mock_slack import MockSlack
from devkit.slack_requests import SECRET, mention, signed_headers

CHANNEL, USER = "C0SRE", "U0ALICE"


@pytest.fixture
def http_bot(cluster_dir: Path, slack: MockSlack) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "KUBEWHY_SLACK_API_URL": slack.url,
        "KUBEWHY_LLM": "none",
        "KUBEWHY_DATABASE_URL": f"sqlite:///{cluster_dir.parent / 'cli-history.db'}",
    }
    env.pop("SLACK_APP_TOKEN", None)
    command = [sys.executable, "-m", "app.cli", "slack", "--mode", "http", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--snapshot", str(cluster_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("kubewhy Slack bot listening on http://127.0.0.1:"), line
        yield line.split(" on ", 1)[1].strip(), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_http_mode_answers_signed_events_and_refuses_unsigned_ones(
    http_bot: tuple[str, subprocess.Popen[str]], slack: MockSlack
) -> None:
    url, process = http_bot
    body, ts = mention(CHANNEL, USER, "why does api keep restarting?")
    forged = httpx.post(url, content=body, headers=signed_headers(body, secret="wrong-secret"), timeout=10)
    assert forged.status_code == 401
    assert httpx.post(url.replace("/slack/events", "/other"), content=body, timeout=10).status_code == 404
    accepted = httpx.post(url, content=body, headers=signed_headers(body), timeout=10)
    assert accepted.status_code == 200
    assert accepted.elapsed.total_seconds() < 3  # acknowledged before the diagnosis runs
    slack.wait_for(lambda calls: any(c.method == "files.completeUploadExternal" for c in calls), timeout=60)
    assert slack.thread(CHANNEL, ts)[0].params["text"].startswith(":hourglass_flowing_sand:")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


@pytest.mark.parametrize(
    ("mode", "env", "message"),
    [
        ("http", {"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN is not set"),
        (
            "http",
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": None},
            "SLACK_SIGNING_SECRET is not set",
        ),
        ("socket", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": None}, "SLACK_APP_TOKEN is not set"),
    ],
)
def test_missing_settings_are_named(mode: str, env: dict[str, str | None], message: str) -> None:
    result = CliRunner().invoke(app, ["slack", "--mode", mode], env=env)
    assert result.exit_code == 2
    assert f"kubewhy: {message}" in result.output


def test_a_missing_snapshot_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["slack", "--snapshot", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.output


def test_an_unreachable_slack_is_reported(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "KUBEWHY_SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    result = CliRunner().invoke(app, ["slack", "--mode", "http"], env=env)
    assert result.exit_code == 3
    assert "cannot start the Slack bot" in result.output
