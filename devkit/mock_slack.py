"""A local stand-in for the Slack Web API that records every call and checks Slack's message limits.

It answers the methods the bot uses with what Slack answers (``ok``, ``ts``, ``channel``, upload URLs)
and refuses, as Slack does, a message with more than 50 blocks or a section text over 3,000 characters,
so a test that passes here would not be refused by Slack for size.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER = "UBOT0KUBEWHY"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    body: bytes = b""
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def text(self) -> str:
        """Every string the call carried (text, blocks, file content), for searching."""
        return json.dumps(self.params, ensure_ascii=False) + self.body.decode("utf-8", "replace")


def limit_problem(params: dict[str, Any]) -> str | None:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return None
    if len(blocks) > 50:
        return "invalid_blocks: more than 50 blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if len(text) > 3000:
            return f"invalid_blocks: section text of {len(text)} characters"
        for element in block.get("elements", []):
            if len(element.get("text", "")) > 3000:
                return "invalid_blocks: context text over 3000 characters"
    return None


class MockSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, str] = {}  # method -> error Slack answers with
        self.socket_url = ""  # what apps.connections.open hands out (Socket Mode)
        self._ts = itertools.count(1)
        self._files = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                answer = mock.handle(self.path, self.headers.get("content-type", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self.response_url = f"http://127.0.0.1:{self.port}/respond/1"  # a slash command's response_url
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> MockSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, content_type: str, body: bytes) -> dict[str, Any]:
        parts = urlsplit(path)
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        method = parts.path.removeprefix("/api/")
        raw = b""
        if parts.path.startswith("/upload/") or parts.path.startswith("/respond/"):
            method, raw = parts.path.strip("/").split("/")[0], body
            if "json" in content_type:
                params.update(json.loads(body or b"{}"))
        elif "json" in content_type:
            params.update(json.loads(body or b"{}"))
        else:
            params.update(parse_qsl(body.decode()))
        answer = self.answer(method, params)
        with self._changed:
            self.calls.append(Call(method, params, raw, answer))
            self._changed.notify_all()
        return answer

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self.failures:
            return {"ok": False, "error": self.failures[method]}
        channel = params.get("channel") or params.get("channel_id") or "C0"
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "B0KUBEWHY",
                "team_id": "T0TEAM",
                "user": "kubewhy",
            }
        if method in ("chat.postMessage", "chat.update"):
            problem = limit_problem(params)
            if problem:
                return {"ok": False, "error": problem}
            ts = params.get("ts") or f"{1700000000 + next(self._ts)}.000100"
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text", "")}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):04d}"
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files", "[]"))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": True}

    # ----- what tests ask ------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 20.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    methods = [c.method for c in self.calls]
                    raise AssertionError(f"the expected Slack calls did not come; got {methods}")
                self._changed.wait(left)
            return list(self.calls)

    def of(self, method: str, channel: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (channel is None or channel in (c.params.get("channel"), c.params.get("channel_id")))
            ]

    def thread(self, channel: str, thread_ts: str) -> list[Call]:
        """Messages posted in one thread, in order."""
        return [c for c in self.of("chat.postMessage", channel) if c.params.get("thread_ts") == thread_ts]

    def everything(self) -> str:
        with self._lock:
            return "\n".join(c.text for c in self.calls)

    def errors(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.answer.get("ok") is False and c.method not in self.failures]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
