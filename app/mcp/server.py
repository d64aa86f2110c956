"""The MCP server over one session: the SDK's low-level server, so the registry's exact JSON schemas and
the tool annotations are published as they are, and every handler is ours."""

from __future__ import annotations

import json
import logging
import weakref
from itertools import count
from typing import Any

import anyio
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.session import ServerSession
from pydantic import AnyUrl

from app import __version__
from app.engine import Session
from app.mcp import resources
from app.mcp.calls import Calls, Checkpoint, Client, cancel_on_disconnect, error_result, in_worker
from app.mcp.catalog import build_catalog
from app.mcp.prompts import runbook_prompt, runbook_prompts
from app.runbooks import Library, load_library

log = logging.getLogger(__name__)

OBJECT_READER = "k8s_get"


class KubewhyServer:
    """The tools, prompts and resources of one session, for any number of clients (one per stdio process,
    several over HTTP), each with its own evidence ledger."""

    def __init__(self, session: Session, library: Library | None = None) -> None:
        self.session = session
        self.library = library if library is not None else load_library(session.settings)
        self.catalog = build_catalog(session, self.library)
        self.calls = Calls(session, self.catalog, self.library)
        self.server: Server[Any, Any] = Server(
            "kubewhy", version=__version__, instructions=self.catalog.instructions
        )
        self._clients: weakref.WeakKeyDictionary[ServerSession, Client] = weakref.WeakKeyDictionary()
        self._wire()

    def _wire(self) -> None:
        server = self.server

        @server.list_tools()
        async def list_tools() -> list[types.Tool]:
            return self.catalog.tools

        @server.call_tool(validate_input=False)  # the registry validates: one home for its messages
        async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
            client, progress = self._client(), self._progress()
            return await cancel_on_disconnect(
                self.server.request_context.request,
                lambda: in_worker(lambda check: self.calls.call(client, name, arguments, check), progress),
                gone=error_result("cancelled: the client disconnected"),
            )

        @server.list_prompts()
        async def list_prompts() -> list[types.Prompt]:
            return runbook_prompts(self.library)

        @server.get_prompt()
        async def get_prompt(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
            return runbook_prompt(self.library, name, arguments)

        @server.list_resources()
        async def list_resources() -> list[types.Resource]:
            return resources.status_resources(self.session)

        @server.list_resource_templates()
        async def list_templates() -> list[types.ResourceTemplate]:
            return resources.templates(self.session)

        @server.read_resource()
        async def read_resource(uri: AnyUrl) -> list[ReadResourceContents]:
            client = self._client()
            return await cancel_on_disconnect(
                self.server.request_context.request,
                lambda: in_worker(lambda check: self._read(client, str(uri), check)),
                gone=[],
            )

    def _read(self, client: Client, uri: str, checkpoint: Checkpoint) -> list[ReadResourceContents]:
        segments = resources.parse(self.session, uri)
        if len(segments) == 2 and segments[0] == "sources":
            return [
                ReadResourceContents(resources.status_json(self.session, segments[1]), "application/json")
            ]
        if len(segments) == 2 and segments[0] == "evidence":
            result = client.ledger.get(segments[1])
            if result is None:
                raise resources.not_found(f"no evidence {segments[1][:40]!r} was given to this client")
            doc = result.model_dump(include={"tool", "args", "source", "text", "truncated"}, mode="json")
            return [ReadResourceContents(json.dumps({"id": segments[1], **doc}), "application/json")]
        if len(segments) != 3:
            raise resources.not_found(
                f"{uri[:200]}: expected {resources.cluster_uri(self.session)}/<namespace>/<kind>/<name>"
            )
        if OBJECT_READER not in self.catalog.specs:
            raise resources.not_found(f"objects cannot be read: {self.catalog.withheld.get(OBJECT_READER)}")
        result, evidence_id = self.calls.read(
            client, OBJECT_READER, resources.object_args(segments), checkpoint
        )
        if result.error is not None:
            raise resources.not_found(" ".join(result.error.split()))
        return [ReadResourceContents(result.text, "application/yaml", meta={"evidence_id": evidence_id})]

    def _client(self) -> Client:
        """The calling client's state, created on its first call with its name from ``initialize``."""
        session = self.server.request_context.session
        client = self._clients.get(session)
        if client is None:
            info = session.client_params.clientInfo if session.client_params else None
            name = (info.name if info else "") or "unknown MCP client"
            client = self._clients[session] = Client(name=name[:200])
        return client

    def _progress(self) -> Checkpoint | None:
        """Forward the engine's progress messages when the client asked for progress notifications."""
        context = self.server.request_context
        token = context.meta.progressToken if context.meta else None
        if token is None:
            return None
        steps = count(1)

        def send(message: str) -> None:
            try:
                anyio.from_thread.run(
                    context.session.send_progress_notification,
                    token,
                    float(next(steps)),
                    None,
                    message,
                    str(context.request_id),
                )
            except Exception:  # a client gone mid-call: the call's own cancellation ends it
                log.debug("progress notification not sent", exc_info=True)

        return send
