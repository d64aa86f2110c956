"""The receiver's guards over real HTTP: who may send (bearer token, basic-auth password), how much (a
body limit, read no further than it), and what (Alertmanager version 4 only), each refusal one clear line;
nothing refused reaches Slack or the history."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import app
from app.store import open_store
from devkit.alert_payloads import alert, notification, send
from devkit.mock_slack import MockSlack

from .conftest import TOKEN, ReceiverFactory


def crash_group() -> dict:
    return notification(
        [
            alert(
                "KubePodCrashLooping", namespace="shop", pod="payments-lm2kvkchd7-d9zdb", container="payments"
            )
        ]
    )


def test_wrong_or_missing_credentials_are_refused(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    receiver = make_receiver()
    for headers in (
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": "Basic " + base64.b64encode(b"alertmanager:wrong").decode()},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Token {TOKEN}"},
    ):
        refused = httpx.post(receiver.url, json=crash_group(), headers=headers, timeout=10)
        assert refused.status_code == 401, headers
        assert "KUBEWHY_ALERTS_TOKEN" in refused.json()["error"]
        assert refused.headers["www-authenticate"].startswith("Bearer")
    receiver.idle()
    assert slack.of("chat.postMessage") == []
    assert open_store(receiver.settings).count_runs() == 0


def test_basic_auth_password_is_accepted(make_receiver: ReceiverFactory) -> None:
    receiver = make_receiver()
    basic = "Basic " + base64.b64encode(f"alertmanager:{TOKEN}".encode()).decode()
    answer = httpx.post(receiver.url, json=crash_group(), headers={"Authorization": basic}, timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "investigating"
    receiver.idle()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"this is not json", "the body is not JSON"),
        (b"\xff\xfe\x00", "the body is not UTF-8"),
        (b"[1, 2]", "the body is a JSON list, not an object"),
        (json.dumps({**crash_group(), "version": "3"}).encode(), "version: version '3' is not supported"),
        (
            json.dumps({k: v for k, v in crash_group().items() if k != "version"}).encode(),
            "version: Field required",
        ),
        (json.dumps({**crash_group(), "alerts": []}).encode(), "alerts: List should have at least 1 item"),
        (
            json.dumps({**crash_group(), "alerts": [{**crash_group()["alerts"][0], "labels": {}}]}).encode(),
            "alerts.0.labels: an alert has no labels",
        ),
        (
            json.dumps({**crash_group(), "status": "pending"}).encode(),
            "status: Input should be 'firing' or 'resolved'",
        ),
    ],
)
def test_bad_payloads_are_named(
    make_receiver: ReceiverFactory, slack: MockSlack, body: bytes, message: str
) -> None:
    receiver = make_receiver()
    refused = send(receiver.url, body, TOKEN)
    assert refused.status_code == 400
    assert refused.json()["error"].startswith(message), refused.json()
    receiver.idle()
    assert slack.of("chat.postMessage") == []


def test_ten_megabytes_are_refused_without_being_kept(
    make_receiver: ReceiverFactory, slack: MockSlack
) -> None:
    receiver = make_receiver()
    big = crash_group()
    big["commonAnnotations"]["description"] = "x" * (10 * 1024 * 1024)
    refused = send(receiver.url, big, TOKEN)
    assert refused.status_code == 413
    assert "over the limit of 2,097,152" in refused.json()["error"]
    assert "KUBEWHY_ALERTS_MAX_BODY_BYTES" in refused.json()["error"]
    # the receiver still answers the next, normal notification
    assert send(receiver.url, crash_group(), TOKEN).json()["status"] == "investigating"
    receiver.idle()


def test_a_body_without_length_and_other_methods_and_paths(make_receiver: ReceiverFactory) -> None:
    receiver = make_receiver()
    parts = urlsplit(receiver.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("POST", parts.path)
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"5\r\nhello\r\n0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 411
    assert "no Content-Length" in json.loads(response.read())["error"]
    connection.close()
    assert httpx.get(receiver.url, timeout=10).status_code == 405
    assert httpx.post(receiver.url.replace("/alertmanager", "/other"), json={}, timeout=10).status_code == 404


def test_only_heartbeats_are_ignored(make_receiver: ReceiverFactory, slack: MockSlack) -> None:
    receiver = make_receiver()
    answer = send(receiver.url, notification([alert("Watchdog", scrape=False)], group_by=()), TOKEN)
    assert answer.json()["status"] == "ignored"
    receiver.idle()
    assert slack.of("chat.postMessage") == []


def test_without_a_token_it_binds_loopback_only() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "KUBEWHY_ALERTS_CHANNEL": "C1", "KUBEWHY_ALERTS_TOKEN": ""}
    result = CliRunner().invoke(app, ["alerts", "--host", "0.0.0.0", "--port", "0"], env=env)
    assert result.exit_code == 2
    assert "without KUBEWHY_ALERTS_TOKEN the receiver only listens on 127.0.0.1" in result.output


def test_without_a_channel_it_does_not_start() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "KUBEWHY_ALERTS_CHANNEL": "", "KUBEWHY_ALERTS_TOKEN": "t"}
    result = CliRunner().invoke(app, ["alerts", "--port", "0"], env=env)
    assert result.exit_code == 2
    assert "KUBEWHY_ALERTS_CHANNEL is not set" in result.output


def test_alerts_inside_the_bot_needs_http_mode_and_its_settings() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "KUBEWHY_ALERTS_TOKEN": ""}
    socket = CliRunner().invoke(app, ["slack", "--mode", "socket", "--alerts"], env=env)
    assert socket.exit_code == 2 and "--alerts needs --mode http" in socket.output
    no_channel = CliRunner().invoke(
        app, ["slack", "--mode", "http", "--alerts"], env={**env, "KUBEWHY_ALERTS_CHANNEL": ""}
    )
    assert no_channel.exit_code == 2 and "KUBEWHY_ALERTS_CHANNEL is not set" in no_channel.output
    exposed = CliRunner().invoke(
        app,
        ["slack", "--mode", "http", "--alerts", "--host", "0.0.0.0"],
        env={**env, "KUBEWHY_ALERTS_CHANNEL": "C1"},
    )
    assert exposed.exit_code == 2 and "without KUBEWHY_ALERTS_TOKEN" in exposed.output
