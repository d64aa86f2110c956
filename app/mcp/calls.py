"""Running what a client asks for: off the event loop, cancellable, recorded as evidence and audited.

Tools, the diagnostician and runbooks block (HTTP to the API server and Prometheus), so each call runs in
a worker thread. When the client cancels or disconnects, the call is told to stop at its next checkpoint
(``ctx.progress``, which every long engine step passes) and the server waits for the thread, so nothing
keeps running for a client that is gone. Every result gets an evidence id in the client's ledger (one per
connected client, so ids in a diagnosis and in plain tool results never collide) and lands in the audit
log under the client's name with surface ``mcp``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from mcp import types
from pydantic import ValidationError

from app.engine import Asker, BadQuestion, Session, ask
from app.mcp.catalog import DIAGNOSE, RUN_RUNBOOK, Catalog, DiagnoseParams, RunRunbookParams
from app.render import render_text
from app.runbooks import BadParam, Library, RunbookError, UnknownRunbook, run_runbook
from app.store import record_answer_safely
from app.toolset import call_tool
from tools.contracts.diagnosis import Diagnosis, SourceFailed, Stats
from tools.contracts.evidence import Ledger, LedgerEntry
from tools.contracts.tool import ToolResult
from tools.registry import MAX_ERROR_CHARS

log = logging.getLogger(__name__)

T = TypeVar("T")
STOP_WAIT_S = 30.0  # how long a cancelled call may take to reach its next checkpoint
DISCONNECT_POLL_S = 0.25  # how often an HTTP call checks that its client is still connected
MAX_STRUCTURED_CHARS = 32_000  # a tool's data goes to structuredContent only up to this size
MAX_AUDIT_ARGS_CHARS = 4_000  # arguments as the audit log keeps them (a hostile argument is bounded)
Checkpoint = Callable[[str], None]


class CallCancelled(BaseException):
    """The client cancelled the call or went away; raised at the call's next checkpoint. A BaseException,
    so engine code that catches Exception to carry on does not swallow it."""


@dataclass
class Client:
    """One connected client: its name from ``initialize`` (for the audit log) and its evidence ledger."""

    name: str
    ledger: Ledger = field(default_factory=Ledger)
    lock: threading.Lock = field(default_factory=threading.Lock)  # one call at a time uses the ledger


async def in_worker(work: Callable[[Checkpoint], T], on_progress: Checkpoint | None = None) -> T:
    """Run ``work(checkpoint)`` in a thread; when cancelled, make its next checkpoint raise and wait."""
    stop, finished = threading.Event(), threading.Event()

    def checkpoint(message: str) -> None:
        if stop.is_set():
            raise CallCancelled(message)
        if on_progress is not None:
            on_progress(message)

    def run() -> T:
        try:
            return work(checkpoint)
        finally:
            finished.set()

    try:
        return await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        stop.set()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(finished.wait, STOP_WAIT_S)
        raise


async def cancel_on_disconnect(request: Any, call: Callable[[], Awaitable[T]], gone: T) -> T:
    """Await ``call()``, cancelling it when the HTTP client that asked drops its connection: this server
    keeps no event store, so nobody could ever receive the answer. ``gone`` is returned then."""
    if request is None or not hasattr(request, "is_disconnected"):
        return await call()
    outcome: list[T] = []
    failure: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while not await request.is_disconnected():
                await anyio.sleep(DISCONNECT_POLL_S)
            group.cancel_scope.cancel()

        group.start_soon(watch)
        try:
            outcome.append(await call())
        except Exception as exc:  # raised as it is (an McpError the SDK answers), not in an exception group
            failure.append(exc)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    return outcome[0] if outcome else gone


class Calls:
    """The calls of one server process over its one session."""

    def __init__(self, session: Session, catalog: Catalog, library: Library) -> None:
        self.session = session
        self.catalog = catalog
        self.library = library

    # --- entry point (runs in a worker thread) ----------------------------------------------------

    def call(
        self, client: Client, name: str, args: dict[str, Any], checkpoint: Checkpoint
    ) -> types.CallToolResult:
        try:
            return self._dispatch(client, name, args, checkpoint)
        except CallCancelled:
            self._audit_tool(client, _failed(name, args, "cancelled by the client"), None, datetime.now(UTC))
            raise

    def _dispatch(
        self, client: Client, name: str, args: dict[str, Any], checkpoint: Checkpoint
    ) -> types.CallToolResult:
        checkpoint(f"starting {name}")
        if name == DIAGNOSE:
            return self.diagnose(client, args, checkpoint)
        if name == RUN_RUNBOOK and any(t.name == RUN_RUNBOOK for t in self.catalog.tools):
            return self.runbook(client, args, checkpoint)
        if name not in self.catalog.specs:
            why = self.catalog.withheld.get(name)
            offered = ", ".join(t.name for t in self.catalog.tools)
            message = (
                f"tool {name[:100]!r} is not offered: {why}"
                if why
                else f"unknown tool {name[:100]!r}; offered tools: {offered}"
            )
            self._audit_tool(client, _failed(name, args, message), None, datetime.now(UTC))
            return error_result(message)
        result, evidence_id = self.read(client, name, args, checkpoint)
        if result.error is not None:
            return error_result(result.error)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=evidence_text(evidence_id, result))],
            structuredContent=structured(evidence_id, result),
            isError=False,
        )

    def read(
        self, client: Client, name: str, args: dict[str, Any], checkpoint: Checkpoint
    ) -> tuple[ToolResult, str | None]:
        """One registry tool call, recorded in the client's ledger (when it answered) and audited."""
        started_at = datetime.now(UTC)
        ctx = dataclasses.replace(self.session.ctx, on_progress=checkpoint)
        result = call_tool(ctx, name, args)  # a tool bug is an error result (the registry), never raised
        evidence_id = None
        if result.error is None:
            with client.lock:
                evidence_id = remember(client.ledger, result)
        self._audit_tool(client, result, evidence_id, started_at)
        return result, evidence_id

    # --- the diagnostician and runbooks -------------------------------------------------------------

    def diagnose(self, client: Client, args: dict[str, Any], checkpoint: Checkpoint) -> types.CallToolResult:
        try:
            params = DiagnoseParams.model_validate(args)
        except ValidationError as exc:
            return self._refused(client, DIAGNOSE, args, f"invalid arguments for {DIAGNOSE}: {problems(exc)}")
        session = self._session(checkpoint)
        with client.lock:
            try:
                answer = ask(
                    session,
                    params.question,
                    namespace=params.namespace,
                    use_llm=False,
                    ledger=client.ledger,
                    asked_by=self._asker(client),
                )
            except (BadQuestion, SourceFailed) as exc:
                return self._refused(client, DIAGNOSE, args, str(exc))
        return diagnosis_result(answer.diagnosis)

    def runbook(self, client: Client, args: dict[str, Any], checkpoint: Checkpoint) -> types.CallToolResult:
        try:
            params = RunRunbookParams.model_validate(args)
            entry = self.library.get(params.name)
        except ValidationError as exc:
            return self._refused(
                client, RUN_RUNBOOK, args, f"invalid arguments for {RUN_RUNBOOK}: {problems(exc)}"
            )
        except (UnknownRunbook, RunbookError) as exc:
            return self._refused(client, RUN_RUNBOOK, args, str(exc))
        session = self._session(checkpoint)
        with client.lock:
            try:
                run = run_runbook(
                    session,
                    entry,
                    params.params,
                    use_llm=False,
                    ledger=client.ledger,
                    asked_by=self._asker(client),
                )
            except (BadParam, RunbookError, SourceFailed) as exc:
                return self._refused(client, RUN_RUNBOOK, args, str(exc))
        return diagnosis_result(run.diagnosis)

    @staticmethod
    def _asker(client: Client) -> Asker:
        return Asker(surface="mcp", user=client.name, warn=log.warning)

    def _session(self, checkpoint: Checkpoint) -> Session:
        """The session as one call sees it: the same connections, this call's checkpoint."""
        ctx = dataclasses.replace(self.session.ctx, on_progress=checkpoint)
        return dataclasses.replace(self.session, ctx=ctx)

    def _refused(self, client: Client, name: str, args: dict[str, Any], message: str) -> types.CallToolResult:
        self._audit_tool(client, _failed(name, args, message), None, datetime.now(UTC))
        return error_result(message)

    # --- the audit log ----------------------------------------------------------------------------

    def _audit_tool(
        self, client: Client, result: ToolResult, evidence_id: str | None, started_at: datetime
    ) -> None:
        """One direct tool call as a history run of its own, so the audit log has it with the client."""
        args = _bounded_args(result.args)
        call = result.model_copy(update={"tool": result.tool[:100], "args": args})
        question = f"{call.tool} {json.dumps(args, sort_keys=True, default=str)}"
        outcome = f"failed: {one_line(result.error)}" if result.error else f"answered as {evidence_id}"
        diagnosis = Diagnosis(
            question=question,
            cluster=self.session.cluster,
            answered_at=started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            engine="mcp:tool",
            summary=f"MCP client {client.name} called {call.tool}; {outcome}. Not a diagnosis.",
            stats=Stats(tool_calls=1, duration_s=round(float(result.duration_s), 3)),
        )
        entry_id = evidence_id or "e0"
        ledger = Ledger(entries={entry_id: LedgerEntry(entry_id, call)})
        record_answer_safely(
            self.session.settings,
            warn=log.warning,
            user=client.name,
            surface="mcp",
            cluster=self.session.cluster,
            question=question,
            diagnosis=diagnosis,
            ledger=ledger,
            started_at=started_at,
        )


def remember(ledger: Ledger, result: ToolResult) -> str:
    """The evidence id of ``result``: the earlier id when the same call returned the same text, else new."""
    earlier = ledger.lookup(result.tool, result.args)
    known = ledger.get(earlier) if earlier else None
    if earlier is not None and known is not None and known.text == result.text:
        return earlier
    return ledger.record_new(result)


def evidence_text(evidence_id: str | None, result: ToolResult) -> str:
    """The tool's text as the agent reads it: its evidence id, name and arguments first."""
    return f"[{evidence_id}] {result.tool} {json.dumps(result.args, sort_keys=True)}\n{result.text}"


def structured(evidence_id: str | None, result: ToolResult) -> dict[str, Any]:
    doc = result.model_dump(include={"tool", "args", "source", "truncated", "data"}, mode="json")
    doc["evidence_id"] = evidence_id
    size = len(json.dumps(doc.get("data"), default=str))
    if size > MAX_STRUCTURED_CHARS:
        doc["data"] = None
        doc["data_omitted"] = f"{size:,} characters of data left out; the text holds the bounded view"
    return doc


def diagnosis_result(diagnosis: Diagnosis) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=render_text(diagnosis))],
        structuredContent=diagnosis.model_dump(mode="json"),
        isError=False,
    )


def error_result(message: str) -> types.CallToolResult:
    """A tool error the client's model reads: one line, never an exception in the server."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=f"error: {one_line(message)}")], isError=True
    )


def one_line(message: str | None) -> str:
    """A message on one line, bounded: an error may quote a hostile argument."""
    text = " ".join((message or "").split()) or "the call failed"
    if len(text) <= MAX_ERROR_CHARS:
        return text
    return f"{text[: MAX_ERROR_CHARS - 40]} ... ({len(text) - MAX_ERROR_CHARS + 40:,} characters cut)"


def problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
    )


def _failed(name: str, args: dict[str, Any], message: str) -> ToolResult:
    return ToolResult(
        tool=name[:100], args=args, source="kubernetes", text=f"error: {message}", error=message
    )


def _bounded_args(args: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(args, sort_keys=True, default=str)
    if len(text) <= MAX_AUDIT_ARGS_CHARS:
        return args
    return {"_cut": text[:MAX_AUDIT_ARGS_CHARS], "_chars": len(text)}
