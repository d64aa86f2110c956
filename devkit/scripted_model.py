"""A local OpenAI-compatible chat-completions server that plays a scripted conversation.

It speaks the wire format the real ``openai`` client reads (JSON replies, or SSE chunks when the request
asks to stream, with tool-call deltas and a final usage chunk), so tests drive the real client through
langchain-openai. It records every request it got, so tests assert what the model was sent.

With ``prompt_cache=True`` it reports usage the way a provider with automatic prompt caching does:
``prompt_tokens`` counted offline over the whole prompt (tools, then messages), and
``prompt_tokens_details.cached_tokens`` for the longest prefix it has already seen, in blocks of
``CACHE_BLOCK_TOKENS`` once the prefix reaches ``CACHE_MIN_TOKENS`` (OpenAI's published rule).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tools.budget import count_tokens

CACHE_MIN_TOKENS = 1024
CACHE_BLOCK_TOKENS = 128


@dataclass
class Reply:
    """One assistant message: text and/or tool calls. ``arguments`` may be a dict or a raw (broken) string."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    usage: tuple[int, int] | None = (100, 20)
    cached_tokens: int | None = None  # reported as usage.prompt_tokens_details.cached_tokens


@dataclass
class Failure:
    """An HTTP error (429, 500...) with an OpenAI-style error body."""

    status: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=lambda: {"retry-after-ms": "10"})


@dataclass
class Slow:
    """Answer only after ``seconds`` (the client times out first)."""

    seconds: float
    then: Reply = field(default_factory=lambda: Reply(content="too late"))


Step = Reply | Failure | Slow
Script = Callable[[dict[str, Any]], Step]


@dataclass
class Request:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    def tool_messages(self) -> list[dict[str, Any]]:
        """Tool results sent back in this request, oldest first."""
        return [m for m in self.messages if m.get("role") == "tool"]

    def last_tool_texts(self) -> list[str]:
        """The tool results answering the model's most recent tool calls."""
        texts: list[str] = []
        for message in reversed(self.messages):
            if message.get("role") != "tool":
                break
            texts.insert(0, message.get("content") or "")
        return texts

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.body.get("tools", [])]


def prompt_text(body: dict[str, Any]) -> str:
    """A request's prompt as a provider reads it, in order: the tool definitions, then every message
    (role, text, tool calls). What prompt caching and the offline token counts are computed on."""
    parts = [json.dumps(body.get("tools") or [], sort_keys=False)]
    for message in body.get("messages", []):
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content)
        parts.append(f"<{message.get('role')}>{text or ''}")
        if message.get("tool_calls"):
            parts.append(json.dumps(message["tool_calls"]))
    return "\n".join(parts)


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of two strings."""
    limit = min(len(a), len(b))
    low, high = 0, limit
    while low < high:  # binary search on slices: fast for long prompts
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def evidence_ids(text: str) -> list[str]:
    return re.findall(r"^\[(e\d+)\]", text, flags=re.MULTILINE)


class ScriptedModel:
    """Serve a script: a list of steps played in order, or a function of the request body."""

    def __init__(
        self, script: list[Step] | Script, model: str = "scripted-model", *, prompt_cache: bool = False
    ) -> None:
        self.model = model
        self.prompt_cache = prompt_cache
        self.requests: list[Request] = []
        self._prompts: list[str] = []  # what the emulated prompt cache holds
        self._steps = list(script) if isinstance(script, list) else None
        self._script = script if callable(script) else None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_step(self, body: dict[str, Any]) -> Step:
        with self._lock:
            if self._script is not None:
                return self._script(body)
            assert self._steps is not None
            if not self._steps:
                return Failure(500, "the script is exhausted", headers={})
            return self._steps.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    owner.requests.append(
                        Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if not self.path.split("?")[0].endswith("/chat/completions"):
                    self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                step = owner._next_step(body)
                if isinstance(step, Slow):
                    if owner._stopping.wait(step.seconds):
                        return
                    step = step.then
                try:
                    if isinstance(step, Failure):
                        error = {"error": {"message": step.message, "type": "scripted", "code": step.status}}
                        self._send_json(step.status, error, step.headers)
                    elif body.get("stream"):
                        self._send_stream(step, body)
                    else:
                        self._send_json(200, owner._completion(step, body))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send_json(
                self, status: int, doc: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _send_stream(self, reply: Reply, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                include_usage = (body.get("stream_options") or {}).get("include_usage")
                for chunk in owner._chunks(reply, include_usage, body):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler

    def _completion(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        calls = _tool_calls(reply, len(self.requests))
        if calls:
            message["tool_calls"] = calls
        doc: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        }
        usage = self._usage_of(reply, body)
        if usage:
            doc["usage"] = usage
        return doc

    def _chunks(self, reply: Reply, include_usage: bool, body: dict[str, Any]) -> list[dict[str, Any]]:
        base = {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion.chunk", "created": 0}
        base["model"] = self.model

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        chunks = [chunk({"role": "assistant", "content": ""})]
        text = reply.content or ""
        chunks += [chunk({"content": text[i : i + 7]}) for i in range(0, len(text), 7)]
        calls = _tool_calls(reply, len(self.requests))
        for index, call in enumerate(calls):
            head = {"index": index, "id": call["id"], "type": "function"}
            head["function"] = {"name": call["function"]["name"], "arguments": ""}
            chunks.append(chunk({"tool_calls": [head]}))
            arguments = call["function"]["arguments"]
            step = max(1, len(arguments) // 3 + 1)
            for i in range(0, len(arguments), step):
                piece = {"index": index, "function": {"arguments": arguments[i : i + step]}}
                chunks.append(chunk({"tool_calls": [piece]}))
        chunks.append(chunk({}, "tool_calls" if calls else "stop"))
        usage = self._usage_of(reply, body)
        if include_usage and usage:
            chunks.append({**base, "choices": [], "usage": usage})
        return chunks

    def _usage_of(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any] | None:
        """The usage of the latest request: scripted, or emulated with the prompt cache."""
        if not reply.usage:
            return None
        prompt, completion = reply.usage
        cached = reply.cached_tokens
        if self.prompt_cache:
            with self._lock:
                text = prompt_text(body)
                seen = max((common_prefix(text, earlier) for earlier in self._prompts), default=0)
                self._prompts.append(text)
            prompt = count_tokens(text)
            prefix = count_tokens(text[:seen])
            cached = prefix // CACHE_BLOCK_TOKENS * CACHE_BLOCK_TOKENS if prefix >= CACHE_MIN_TOKENS else 0
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if cached is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        return usage


def _tool_calls(reply: Reply, turn: int) -> list[dict[str, Any]]:
    calls = []
    for index, (name, arguments) in enumerate(reply.tool_calls):
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        calls.append(
            {"id": f"call_{turn}_{index}", "type": "function", "function": {"name": name, "arguments": raw}}
        )
    return calls
