"""Answer in a thread: open (or reuse) the cluster's session, check the API answers, run the engine or a
runbook with progress in the acknowledgement, then deliver the diagnosis. Never raises: whatever goes
wrong, the thread says so in one sentence."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.agent.pricing import format_cost
from app.engine import Answer, Asker, BadQuestion, Session, ask
from app.sessions import SessionPool
from app.slack.mrkdwn import inert
from app.slack.reply import ThreadReply
from app.slack.threads import ThreadState
from tools.contracts.tool import ToolError, ToolResult

log = logging.getLogger(__name__)

AskFn = Callable[..., Answer]  # app.engine.ask
Produce = Callable[[Session, ThreadReply], Answer]  # one answer step: a question or a runbook
OnAnswer = Callable[[Answer], None]


def open_cluster(pool: SessionPool, state: ThreadState, reply: ThreadReply) -> Session | None:
    """The thread's cluster session with its API answering; None after saying in the thread why not."""
    from tools.snapshot.loader import SnapshotError

    target = state.target
    try:
        session = pool.session(target, progress=reply.progress)
    except SnapshotError as exc:
        reply.finish(
            f":x: I could not open {inert(target.label)}: the snapshot is unusable ({inert(str(exc))})."
        )
        return None
    except ToolError as exc:
        reply.finish(f":x: I could not connect to {inert(target.label)}: {inert(str(exc))}")
        return None
    except Exception as exc:
        log.exception("opening %s failed", target)
        reply.finish(
            f":x: I could not open {inert(target.label)}: {inert(type(exc).__name__)}: {inert(str(exc))}"
        )
        return None
    try:
        session.ctx.kube.server_version()
    except ToolError as exc:
        reply.finish(
            f":x: The cluster {inert(session.cluster)} is unreachable: {inert(str(exc))}. "
            "Nothing was diagnosed; ask again once its API answers."
        )
        return None
    return session


def answer(
    pool: SessionPool,
    state: ThreadState,
    reply: ThreadReply,
    question: str,
    produce: Produce,
    on_answer: OnAnswer | None = None,
) -> None:
    """Run ``produce`` on the thread's cluster and post what it found, or why it found nothing;
    ``on_answer`` then hears of the answer (its run id: the thread's conversation)."""
    with state.lock:
        session = open_cluster(pool, state, reply)
        if session is None:
            return
        per_question = dataclasses.replace(
            session, ctx=dataclasses.replace(session.ctx, on_progress=reply.progress)
        )
        started = time.perf_counter()
        try:
            answered = produce(per_question, reply)
        except BadQuestion as exc:
            reply.finish(f":warning: {inert(str(exc))}")
            return
        except ToolError as exc:
            reply.finish(f":x: A data source failed, so there is no diagnosis: {inert(str(exc))}")
            return
        except Exception as exc:  # the bot must survive anything the engine throws
            log.exception("question failed: %s", question)
            reply.finish(f":x: The investigation failed: {inert(type(exc).__name__)}: {inert(str(exc))}")
            return
        state.questions.append(question)
        results: Mapping[str, ToolResult] = {
            key: entry.result for key, entry in answered.ledger.entries.items()
        }
        reply.deliver(answered.diagnosis, results)
        took = time.perf_counter() - started
        if on_answer is not None:
            on_answer(answered)
        thread_cost = format_cost(state.conversation.totals.cost_usd)
        reply.finish(
            f":white_check_mark: Investigated {inert(session.cluster)} in {took:.1f} s "
            f"({len(results)} tool results, {inert(session.engine_label)}). The diagnosis is below."
            + (f" This thread so far: {thread_cost}." if thread_cost else "")
        )


def ask_step(question: str, state: ThreadState, asker: Asker, ask_fn: AskFn = ask) -> Produce:
    """The engine on one question with the thread's conversation: a follow-up ("how do I fix it?") is
    about the previous answer's subject and culprit, for the agent and the built-in diagnostician alike.
    The agent continues the thread from its checkpoint, on whichever replica answers."""

    def produce(session: Session, reply: ThreadReply) -> Answer:
        return ask_fn(
            session,
            question,
            conversation=state.conversation,
            on_event=reply.event,
            asked_by=asker,
            thread=state.name,
        )

    return produce


def runbook_step(loaded: Any, params: Mapping[str, Any], state: ThreadState, asker: Asker) -> Produce:
    """A saved runbook (``app.runbooks``) with its parameters; its answer joins the thread's conversation."""

    def produce(session: Session, reply: ThreadReply) -> Answer:
        from app.runbooks.loader import RunbookError
        from app.runbooks.model import BadParam
        from app.runbooks.runner import run_runbook

        try:
            run = run_runbook(
                session, loaded, params, on_event=reply.event, asked_by=asker, recorded_params=params
            )
        except (BadParam, RunbookError) as exc:
            raise BadQuestion(f"the runbook cannot run: {exc}") from exc
        if session.settings.model_configured:  # the agent reads the thread's earlier answers
            state.conversation.add(run.question, run.diagnosis)
        return Answer(run.diagnosis, run.ledger, run.started_at, run.run_id)

    return produce
