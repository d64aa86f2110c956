"""`kubewhy slack --mode socket` as a real process: it opens the Socket Mode connection Slack hands out
(``apps.connections.open``), acknowledges the event envelope, and answers in the thread."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from websockets.sync.server import ServerConnection, serve

from devkit.mock_slack import MockSlack
from devkit.slack_requests import mention

CHANNEL, USER = "C0SRE", "U0ALICE"


class SocketModeServer:
    """Slack's side of one Socket Mode connection: hello, one events_api envelope, then the ack."""

    def __init__(self, payload: str) -> None:
        self.payload = json.loads(payload)
        self.acks: list[dict] = []
        self.acked = threading.Event()
        self.server = serve(self._connection, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _connection(self, websocket: ServerConnection) -> None:
        websocket.send(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0"}})
        )
        envelope = {
            "envelope_id": "env-1",
            "type": "events_api",
            "payload": self.payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        websocket.send(json.dumps(envelope))
        for message in websocket:
            self.acks.append(json.loads(message))
            self.acked.set()

    def __enter__(self) -> SocketModeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def test_socket_mode_acknowledges_and_answers(cluster_dir: Path, slack: MockSlack) -> None:
    body, ts = mention(CHANNEL, USER, "why does api keep restarting?")
    with SocketModeServer(body) as link:
        slack.socket_url = link.url
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_APP_TOKEN": "xapp-test-token",
            "KUBEWHY_SLACK_API_URL": slack.url,
            "KUBEWHY_LLM": "none",
            "KUBEWHY_DATABASE_URL": f"sqlite:///{cluster_dir.parent / 'cli-history.db'}",
        }
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "slack",
            "--mode",
            "socket",
            "--snapshot",
            str(cluster_dir),
        ]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert link.acked.wait(30), "the envelope was not acknowledged"
            assert link.acks[0]["envelope_id"] == "env-1"
            slack.wait_for(lambda calls: any(c.method == "files.completeUploadExternal" for c in calls), 60)
            thread = slack.thread(CHANNEL, ts)
            assert thread[0].params["text"].startswith(":hourglass_flowing_sand:")
            assert any("AppCrash" in json.dumps(c.params.get("blocks")) for c in thread)
            assert slack.of("apps.connections.open")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        assert code == 0
