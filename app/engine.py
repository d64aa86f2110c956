"""The one entry point every surface uses (CLI, page, Slack, runbooks): open a session on a cluster, then
ask questions. A session owns what it started (snapshot API server, local Prometheus) and stops it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.contracts.wording import plural

ProgressFn = Callable[[str], None]


class BadQuestion(ValueError):
    """The question cannot be asked as it is (empty, too long)."""


@dataclass
class SourceStatus:
    name: str
    ok: bool
    detail: str


@dataclass
class Session:
    settings: Settings
    ctx: ToolContext
    sources: list[SourceStatus]
    snapshot_dir: Path | None = None
    snapshot_meta: Any = None  # the loaded snapshot's SnapshotMeta (capture time, inferred or not)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def cluster(self) -> str:
        return self.ctx.cluster_name

    @property
    def engine_label(self) -> str:
        if self.settings.model_configured:
            return f"llm:{self.settings.model}"
        return "built-in diagnostician — no model configured"

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session(
    settings: Settings,
    *,
    snapshot: str | Path | None = None,
    context: str | None = None,
    kubeconfig: str | None = None,
    progress: ProgressFn | None = None,
) -> Session:
    """Connect to a snapshot (served in-process, with its own Prometheus) or a live cluster.

    Raises SnapshotError for a bad snapshot and ToolError for an unusable kubeconfig; a Prometheus or flow
    source that cannot be reached is not an error: the session records why, and answers without it.
    """
    from tools.flows.connect import open_flow_source
    from tools.kubernetes.connect import open_kube, tool_context
    from tools.prometheus.connect import open_prometheus

    say = progress or (lambda _message: None)
    stack = contextlib.ExitStack()
    try:
        snapshot = snapshot or settings.snapshot
        say("serving the snapshot" if snapshot else "connecting to the cluster")
        connection = open_kube(settings, snapshot=snapshot, context=context, kubeconfig=kubeconfig)
        stack.callback(connection.close)
        loaded = getattr(connection.snapshot_server, "snapshot", None)
        ctx = tool_context(settings, connection, on_progress=progress)
        sources = [SourceStatus("kubernetes", True, _kube_detail(connection, snapshot))]
        if loaded is not None and loaded.problems:
            first = loaded.problems[0]
            ctx.unavailable["snapshot"] = (
                f"{plural(len(loaded.problems), 'problem')} in the snapshot's files, which were skipped "
                f"(first: {first}); run `kubewhy snapshot check` for all of them"
            )

        if loaded is not None and loaded.metrics_files:
            say("starting Prometheus over the snapshot's metrics")
        prometheus, why = stack.enter_context(open_prometheus(settings, loaded))
        ctx.prometheus = prometheus
        if prometheus is None:
            ctx.unavailable["prometheus"] = why or "not configured"
        sources.append(SourceStatus("prometheus", prometheus is not None, why or _prom_detail(prometheus)))

        flow_files = list(loaded.flow_files) if loaded is not None else None
        if loaded is not None and not flow_files:
            ctx.flows, flows_why = None, "the snapshot has no flows/*.jsonl files"
        else:
            ctx.flows = open_flow_source(settings, flow_files)
            flows_why = None if ctx.flows is not None else "KUBEWHY_HUBBLE_ADDRESS is not set"
        if ctx.flows is None:
            ctx.unavailable["flows"] = flows_why or "not configured"
        flows_detail = getattr(ctx.flows, "description", "") if ctx.flows else (flows_why or "")
        sources.append(SourceStatus("flows", ctx.flows is not None, flows_detail))
    except BaseException:
        stack.close()
        raise
    return Session(
        settings=settings,
        ctx=ctx,
        sources=sources,
        snapshot_dir=Path(loaded.root) if loaded is not None else None,
        snapshot_meta=loaded.meta if loaded is not None else None,
        _stack=stack,
    )


def _kube_detail(connection: Any, snapshot: Any) -> str:
    server = connection.snapshot_server
    if server is not None:
        return f"snapshot {connection.cluster_name} served at {server.url}"
    return f"context {connection.cluster_name}"


def _prom_detail(prometheus: Any) -> str:
    return f"Prometheus at {getattr(prometheus, 'url', '')}".strip()


def check_question(question: str, settings: Settings) -> str:
    text = (question or "").strip()
    if not text:
        raise BadQuestion("the question is empty: ask something like 'why is checkout failing?'")
    if len(text) > settings.max_question_chars:
        raise BadQuestion(
            f"the question is {len(text):,} characters long; the limit is {settings.max_question_chars:,} "
            "(KUBEWHY_MAX_QUESTION_CHARS). Ask about one thing at a time."
        )
    return text


def follow_up_briefing(previous: Diagnosis) -> str:
    """What the agent reads about the turn before (``--thread``, where no chat memory carries it)."""
    from prompts import load_prompt

    culprit = previous.findings[0].resource if previous.findings else None
    subject = previous.answer.subject
    return load_prompt(
        "follow_up",
        question=previous.question,
        answer=previous.answer.text or previous.summary,
        subject=str(subject) if subject else "",
        culprit=str(culprit) if culprit else "",
    )


@dataclass(frozen=True)
class Asker:
    """Who asks, from which surface: the run history's user and surface. ``warn`` hears a history that
    cannot be written (stderr by default); the answer is never lost to it. ``settings`` name the history
    database when the surface has its own (a bot sharing a session pool); None: the session's."""

    surface: str
    user: str | None = None  # None: the account kubewhy runs as
    thread: str | None = None  # a named conversation (``kubewhy ask --thread``)
    warn: Callable[[str], None] | None = None
    settings: Settings | None = None


@dataclass
class Prelude:
    """What ran before the engine answers (a runbook's steps, already in the ledger): the model's briefing,
    the diagnostician's subject, when the question started, and the runbook the history names."""

    briefing: str
    subject: Any = None  # app.diagnose.question.NamedObject
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    recorded_from: int = 0  # the ledger's entries from this one on belong to the question
    runbook: str | None = None
    runbook_params: dict[str, Any] | None = None


Finish = Callable[[Diagnosis, bool], Diagnosis]  # (diagnosis, answered by the model) -> what is kept


@dataclass
class Answer:
    """One answered question: the diagnosis, every tool result behind it, and its run-history id (None when
    it was not recorded)."""

    diagnosis: Diagnosis
    ledger: Ledger
    started_at: datetime
    run_id: int | None = None


def ask(
    session: Session,
    question: str,
    *,
    asked_by: Asker | None = None,
    namespace: str | None = None,
    use_llm: bool | None = None,
    conversation: Any = None,
    on_event: Callable[[Any], None] | None = None,
    ledger: Ledger | None = None,
    previous: Diagnosis | None = None,
    prelude: Prelude | None = None,
    finish: Finish | None = None,
    chat_model: Any = None,
    thread: str | None = None,
) -> Answer:
    """Answer one question: the LLM agent when a model is configured (or ``use_llm``), else the built-in
    diagnostician; this is the one place that choice is made. Every surface and the runbooks ask here.

    The tool results go to ``ledger`` (a new one unless given: the MCP server keeps one per client). The
    ``previous`` turn's diagnosis makes a follow-up (page, Slack thread, ``--thread``). A ``prelude`` says
    what a runbook read first; ``finish`` completes the diagnosis before it is kept. With ``asked_by`` the
    answer is recorded in the run history and its id returned; the agent keeps a named ``thread``'s
    conversation in the history database. Raises BadQuestion and SourceFailed."""
    text = check_question(question, session.settings)
    ledger = ledger if ledger is not None else Ledger()
    started_at = prelude.started_at if prelude is not None else datetime.now(UTC)
    first = prelude.recorded_from if prelude is not None else len(ledger)
    llm = session.settings.model_configured if use_llm is None else use_llm
    if previous is None and conversation is not None:
        previous = getattr(conversation, "last", None)
    if llm:
        from app.agent.loop import run_agent

        briefing = prelude.briefing if prelude is not None else None
        memory = conversation
        if briefing is None and previous is not None and conversation is None:
            if thread is None:
                briefing = follow_up_briefing(previous)
            else:  # the checkpoint carries the turn before; the memory stands in where it does not
                memory = _remembering(previous, session.settings)
        diagnosis = run_agent(
            session.ctx,
            text,
            memory=memory,
            on_event=on_event,
            stream=on_event is not None,
            ledger=ledger,
            briefing=briefing,
            chat_model=chat_model,
            thread=thread,
        )
    else:
        from app.diagnose.engine import diagnose

        subject = prelude.subject if prelude is not None else None
        diagnosis = diagnose(
            session.ctx, text, namespace=namespace, ledger=ledger, previous=previous, subject=subject
        )
        if conversation is not None:
            conversation.add(text, diagnosis)  # the next question of this conversation follows this one
    if finish is not None:
        diagnosis = finish(diagnosis, llm)
    answer = Answer(diagnosis, ledger, started_at)
    if asked_by is not None:
        answer.run_id = _record(session, text, answer, asked_by, first, prelude)
    return answer


def _remembering(previous: Diagnosis, settings: Settings) -> Any:
    """A conversation holding only ``previous``: a named thread whose checkpoint lacks that turn (it was
    answered without the agent, or the checkpoint cannot be read) still follows it."""
    from app.agent.memory import Conversation

    memory = Conversation(context_window=settings.context_window)
    memory.add(previous.question, previous)
    return memory


def _record(
    session: Session, question: str, answer: Answer, asker: Asker, first: int, prelude: Prelude | None
) -> int | None:
    """The answer in the run history with the tool calls it made; a store failure is only a warning."""
    from app.store import current_user, record_answer_safely

    entries = list(answer.ledger.entries.items())[first:]
    return record_answer_safely(
        asker.settings or session.settings,
        warn=asker.warn,
        user=asker.user or current_user(),
        surface=asker.surface,
        cluster=session.cluster,
        question=question,
        diagnosis=answer.diagnosis,
        ledger=answer.ledger if first == 0 else Ledger(entries=dict(entries)),
        started_at=answer.started_at,
        runbook=prelude.runbook if prelude is not None else None,
        runbook_params=prelude.runbook_params if prelude is not None else None,
        thread=asker.thread,
    )
