"""Only correctly signed requests reach the Slack bot: `SLACK_SIGNING_SECRET=` (set, but empty) is a
missing secret, and HTTP mode never runs unverified.

The real bolt app is served over HTTP by kubewhy's own server (`app.slack.server.http_server`), against
the mock Slack Web API; requests are posted with `http.client` as Slack would send them.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.slack.bot import SlackBot, SlackConfigError, check_settings, create_bot
from app.slack.server import EVENTS_PATH, http_server
from devkit.mock_slack import MockSlack
from devkit.slack_requests import SECRET, mention, signed_headers
from tests.slack.cluster import write_cluster
from tools.contracts.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BLANKS = ["", "   ", "\t"]


@pytest.fixture(scope="module")
def cluster_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cluster(tmp_path_factory.mktemp("slack-signing-cluster"))


@pytest.fixture
def slack() -> Iterator[MockSlack]:
    with MockSlack() as mock:
        yield mock


def _environment(slack: MockSlack, cluster_dir: Path, tmp_path: Path, secret: str) -> dict[str, str]:
    """What an operator sets for the HTTP-mode bot, the signing secret as given."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": secret,
        "KUBEWHY_SLACK_API_URL": slack.url,
        "KUBEWHY_LLM": "none",
        "KUBEWHY_DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}",
        "KUBEWHY_SLACK_CHANNEL_CLUSTERS": json.dumps({"default": str(cluster_dir)}),
        "KUBEWHY_SLACK_RATE_LIMIT_PER_MINUTE": "100",
    }


def _post(port: int, body: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", EVENTS_PATH, body=body.encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _signed_with_an_empty_key(body: str) -> dict[str, str]:
    """Slack's v0 signature computed with an empty key (slack_sdk refuses to, so by hand)."""
    timestamp = str(int(time.time()))
    digest = hmac.new(b"", f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }


def _serving(bot: SlackBot) -> tuple[object, int]:
    server = http_server(bot, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, server.server_address[1]


@pytest.mark.parametrize("blank", BLANKS, ids=["empty", "spaces", "tab"])
def test_an_empty_signing_secret_is_a_missing_secret(monkeypatch, slack, cluster_dir, tmp_path, blank):
    for key, value in _environment(slack, cluster_dir, tmp_path, blank).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET is not set"):
        check_settings(Settings(), "http")


@pytest.mark.parametrize("blank", BLANKS, ids=["empty", "spaces", "tab"])
def test_http_mode_never_serves_unsigned_requests_with_an_empty_secret(
    monkeypatch, slack, cluster_dir, tmp_path, blank
):
    """Built the way `kubewhy slack` builds it (settings from the environment, then the bot, then its HTTP
    server): the server refuses to start, so an unsigned request never gets an answer."""
    for key, value in _environment(slack, cluster_dir, tmp_path, blank).items():
        monkeypatch.setenv(key, value)
    bot = create_bot(Settings())
    try:
        body, _ = mention("C0SHOP", "U0ALICE", "why is api crashing?")
        try:
            server, port = _serving(bot)
        except SlackConfigError as exc:
            outcome: object = str(exc)
        else:  # the break: an unverified server that answers anyone
            outcome = _post(port, body, {"content-type": "application/json"})
            bot.executor.wait_idle(30)
            server.shutdown()  # type: ignore[attr-defined]
            server.server_close()  # type: ignore[attr-defined]
        assert "SLACK_SIGNING_SECRET is not set" in str(outcome)
        assert slack.of("chat.postMessage") == []
    finally:
        bot.close(timeout=10.0)


def test_over_http_only_a_correct_signature_is_answered(monkeypatch, slack, cluster_dir, tmp_path):
    for key, value in _environment(slack, cluster_dir, tmp_path, SECRET).items():
        monkeypatch.setenv(key, value)
    bot = create_bot(Settings())
    server, port = _serving(bot)
    try:
        body, _ = mention("C0SHOP", "U0ALICE", "why is api crashing?")
        refused = {
            "unsigned": {"content-type": "application/json"},
            "signed with an empty key": _signed_with_an_empty_key(body),
            "signed with another key": signed_headers(body, secret="not-the-secret"),
        }
        for what, headers in refused.items():
            assert _post(port, body, headers) == 401, what
        assert bot.executor.wait_idle(30)
        assert slack.of("chat.postMessage") == []
        assert _post(port, body, signed_headers(body)) == 200
        assert bot.executor.wait_idle(60)
        assert slack.of("chat.postMessage"), "a correctly signed question is answered"
    finally:
        server.shutdown()
        server.server_close()
        bot.close(timeout=10.0)


@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
def test_kubewhy_slack_http_refuses_to_start_with_one_clear_line(slack, cluster_dir, tmp_path, blank):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEWHY_", "SLACK_"))}
    env.update(_environment(slack, cluster_dir, tmp_path, blank), PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "app.cli", "slack", "--mode", "http", "--port", "0"]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"kubewhy slack started serving with an empty signing secret: {stdout.decode()}")
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert process.returncode == 2, stderr.decode()
    assert lines == [
        "kubewhy: SLACK_SIGNING_SECRET is not set (or empty): HTTP mode verifies every request with it"
    ]
    assert b"listening" not in stdout
