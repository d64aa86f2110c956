"""The agent on LangChain's own runtime: ``langchain.agents.create_agent`` with kubewhy's middleware.

The model sees the read-only tools of the one tool set (plus ``health_checks``, the diagnostician's
checks) and a ``final_answer`` function. The runtime runs the loop; the middleware (app/agent/middleware.py)
keeps the budgets, the evidence ledger and the final answer's gate. The answer is checked against the
ledger; when the model fails (errors, timeouts, unusable answers twice) the built-in diagnostician answers
instead, and the summary says so. Streaming or not, it is the same run: a page also asks for the model's
text as it comes. With a ``thread`` the conversation lives in a LangGraph checkpointer on the history
database, so another process (the next ``kubewhy ask --thread``, another replica) continues it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from functools import lru_cache
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import ModelCallLimitMiddleware, ModelRetryMiddleware
from langchain.agents.middleware.model_call_limit import ModelCallLimitExceededError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, RemoveMessage, SystemMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from app.agent.anonymize import anonymizer_for
from app.agent.answer import build_diagnosis, check_answer, final_answer_tool, mark_fallback
from app.agent.budget import Budget, BudgetStop, message_tokens, tools_tokens
from app.agent.events import AgentEvent, Fallback, Final, Status, TextDelta
from app.agent.memory import Conversation, thread_turns
from app.agent.middleware import (
    ANSWER_RETRIES,
    BudgetGate,
    EvidenceLedger,
    FinalAnswerGate,
    Investigation,
    ModelAccounting,
    ModelFailure,
    Trace,
    looks_like_json,
    time_stop,
)
from app.agent.models import choose_model, is_transient, make_chat_model
from app.agent.pricing import question_cost
from app.agent.schemas import tool_schema
from app.toolset import offered_tools
from prompts import load_prompt
from tools.contracts.diagnosis import Diagnosis, Stats
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolContext
from tools.registry import ToolSpec

log = logging.getLogger(__name__)

TIME_SLACK_S = 0.05
RETRY_FIRST_DELAY_S = 0.5  # then doubling, as the openai client's own backoff
RETRY_MAX_DELAY_S = 8.0

__all__ = ["AgentRun", "ModelFailure", "Trace", "run_agent", "tool_definitions"]


@lru_cache(maxsize=16)
def tool_definitions(specs: tuple[ToolSpec, ...]) -> tuple[tuple[dict[str, Any], ...], int]:
    """The tool definitions sent with every model call, and what they cost in tokens (built once)."""
    schemas = [tool_schema(spec) for spec in specs] + [final_answer_tool()]
    return tuple(schemas), tools_tokens(schemas)


def run_agent(
    ctx: ToolContext,
    question: str,
    *,
    memory: Conversation | None = None,
    on_event: Callable[[AgentEvent], None] | None = None,
    stream: bool = False,
    chat_model: BaseChatModel | None = None,
    ledger: Ledger | None = None,
    namespace: str | None = None,
    briefing: str | None = None,
    thread: str | None = None,
) -> Diagnosis:
    """Answer ``question`` with the configured model. Raises ModelConfigError when no model is configured;
    every other failure ends in a valid diagnosis. A given ``ledger`` receives every tool result (a runbook
    passes one already holding its steps' results, and a ``briefing`` the model reads after the question);
    ``namespace`` focuses the question on one namespace; ``chat_model`` replaces the configured model;
    ``thread`` names a conversation kept in the history database (it continues in any process)."""
    return AgentRun(
        ctx,
        question,
        memory=memory,
        on_event=on_event,
        stream=stream,
        chat_model=chat_model,
        ledger=ledger,
        namespace=namespace,
        briefing=briefing,
        thread=thread,
    ).run()


class AgentRun:
    """One question's run. Use :func:`run_agent`; the class exists so the benchmark can read the trace."""

    def __init__(
        self,
        ctx: ToolContext,
        question: str,
        *,
        memory: Conversation | None = None,
        on_event: Callable[[AgentEvent], None] | None = None,
        stream: bool = False,
        chat_model: BaseChatModel | None = None,
        ledger: Ledger | None = None,
        namespace: str | None = None,
        briefing: str | None = None,
        thread: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.question = question
        self.namespace = namespace
        self.briefing = briefing
        self.memory = memory
        self.thread = thread
        self.seeded = False  # the thread's turns came from the memory, not its checkpoint
        self.emit = on_event or (lambda event: None)
        self.stream = stream
        settings = ctx.settings
        self.engine = choose_model(settings).engine
        # retries are the runtime's (ModelRetryMiddleware), so the client itself sends each request once
        chat = chat_model or make_chat_model(settings, timeout_s=settings.question_timeout_s, max_retries=0)
        specs = tuple(offered_tools(ctx)[0])  # only tools whose source is connected
        schema_tokens = tool_definitions(specs)[1]
        self.specs = specs
        self.state = Investigation(
            ctx=ctx,
            budget=Budget.from_settings(settings),
            ledger=ledger if ledger is not None else Ledger(),
            specs={spec.name: spec for spec in specs},
            fixed_tokens=schema_tokens + message_tokens(system_message()),
            chat=chat,
        )

    @property
    def budget(self) -> Budget:
        return self.state.budget

    @property
    def ledger(self) -> Ledger:
        return self.state.ledger

    @property
    def trace(self) -> Trace:
        return self.state.trace

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> Diagnosis:
        started = time.perf_counter()
        try:
            with contextlib.ExitStack() as stack:
                agent, config, earlier = self._conversation(stack)
                diagnosis = self._investigate(agent, config, earlier)
                if "configurable" in config:
                    self._save_turn(agent, config, earlier, diagnosis)
        finally:
            self.trace.total_s = time.perf_counter() - started
        diagnosis.stats.duration_s = round(self.budget.elapsed_s(), 3)
        if self.memory is not None:
            self.memory.add(self.question, diagnosis)
        self.emit(Final(diagnosis))
        return diagnosis

    def _conversation(self, stack: contextlib.ExitStack) -> tuple[Any, dict[str, Any], list[BaseMessage]]:
        """The agent, its run config and the earlier turns (the thread's checkpoint, or the memory). A
        thread whose store cannot be opened is answered as a new conversation, with a warning."""
        config: dict[str, Any] = {"recursion_limit": 9_999}
        limits = (self.ctx.settings.max_retries, model_call_limit(self.ctx.settings.max_tool_calls))
        if self.thread is not None:
            from app.store.checkpoints import CHECKPOINT_ERRORS, open_checkpointer

            try:
                checkpointer = stack.enter_context(open_checkpointer(self.ctx.settings))
                agent = build_agent(self.specs, *limits, model=self.state.chat, checkpointer=checkpointer)
                config["configurable"] = {"thread_id": f"{self.ctx.cluster_name}/{self.thread}"}
                stored = list(agent.get_state(config).values.get("messages") or [])
                return agent, config, self._fuller(stored)
            except CHECKPOINT_ERRORS as exc:
                log.warning(
                    "thread %s: its conversation cannot be read (%s); answering afresh", self.thread, exc
                )
                config.pop("configurable", None)
        agent = built_agent(self.specs, *limits, model=self.state.chat)
        return agent, config, self.memory.messages() if self.memory else []

    def _fuller(self, stored: list[BaseMessage]) -> list[BaseMessage]:
        """The thread's checkpoint, unless the memory holds turns it lacks (a runbook or an alert answered
        in the thread, or a thread begun before it had a checkpoint): then the memory's turns replace it."""
        if self.memory is None or len(self.memory.turns) <= sum(isinstance(m, HumanMessage) for m in stored):
            return stored
        self.seeded = True
        return self.memory.messages()

    def _save_turn(
        self, agent: Any, config: dict[str, Any], earlier: list[BaseMessage], diagnosis: Diagnosis
    ) -> None:
        """Keep the thread as compact turns (question, answer text) for whichever process answers next."""
        from app.store.checkpoints import CHECKPOINT_ERRORS

        turns = thread_turns(earlier, self.question, diagnosis, self.ctx.settings.context_window)
        try:
            agent.update_state(config, {"messages": turns}, as_node="__start__")
        except CHECKPOINT_ERRORS as exc:  # the answer stands; only the thread's memory of it is lost
            log.warning("thread %s: this turn could not be saved: %s", self.thread, exc)

    def _investigate(self, agent: Any, config: dict[str, Any], earlier: list[BaseMessage]) -> Diagnosis:
        run = self.state
        run.privacy = anonymizer_for(self.ctx, self.question)
        question = HumanMessage(self._task_prompt())
        # a thread's earlier turns are already in its checkpoint; memory's are sent ahead of the question
        # (into a thread, replacing what its checkpoint held)
        if "configurable" not in config:
            messages: list[BaseMessage] = [*earlier, question]
        elif self.seeded:
            messages = [RemoveMessage(id=REMOVE_ALL_MESSAGES), *earlier, question]
        else:
            messages = [question]
        modes = ["custom", "messages"] if self.stream else ["custom"]
        text: dict[str, str] = {}
        try:
            for mode, chunk in agent.stream({"messages": messages}, config, context=run, stream_mode=modes):
                if mode == "custom":
                    self.emit(chunk)
                else:
                    self._show_text(chunk, text)
        except ModelCallLimitExceededError:
            limit = model_call_limit(self.ctx.settings.max_tool_calls)
            stop = BudgetStop("model_calls", f"the model-call budget ({limit} calls) was used up")
            self.state.hit(stop, say=self.emit)
            return self._fallback(stop.message)
        except ModelFailure as exc:
            if self.budget.remaining_s() < TIME_SLACK_S:  # the call was cut short by the time budget
                stop = time_stop(self.budget)
                self.state.hit(stop, say=self.emit)
                return self._fallback(stop.message)
            return self._fallback(str(exc))
        if run.answer is not None:
            return self._finish()
        return self._fallback(run.fallback or "the model gave no final answer")

    def _show_text(self, chunk: tuple[Any, dict[str, Any]], text: dict[str, str]) -> None:
        message, meta = chunk
        if meta.get("langgraph_node") != "model" or not isinstance(message, AIMessageChunk):
            return
        if not isinstance(message.content, str) or not message.content:
            return
        key = message.id or ""
        text[key] = text.get(key, "") + message.content
        if not looks_like_json(text[key]):  # an answer written as JSON is not prose to show
            self.emit(TextDelta(self.state.privacy.reveal(message.content)))

    # --- the answer -------------------------------------------------------------------------------

    def _finish(self) -> Diagnosis:
        answer = self.state.answer
        assert answer is not None
        checked = check_answer(answer, self.ledger)
        self.trace.corrections = checked.corrections
        for correction in checked.corrections:
            log.info("final answer corrected: %s", correction)
        if self.trace.stop is not None:
            checked.summary += f" (The investigation stopped early: {self.trace.stop.message}.)"
        return build_diagnosis(
            checked,
            question=self.question,
            cluster=self.ctx.cluster_name,
            answered_at=self._answered_at(),
            engine=self.engine,
            stats=self._stats(),
        )

    def _fallback(self, reason: str) -> Diagnosis:
        if self.trace.stop is not None and self.trace.stop.message not in reason:
            reason = f"{self.trace.stop.message}; {reason}"
        self.trace.fallback = reason
        log.warning("agent falls back to the built-in diagnostician: %s", reason)
        self.emit(Fallback(reason))
        self.emit(Status("running the built-in checks"))
        base = self._diagnostician()
        model_text = self.state.privacy.reveal(" ".join(self.state.model_text))
        diagnosis = mark_fallback(base, reason, model_text)
        stats = self._stats()
        stats.tool_calls += base.stats.tool_calls
        return diagnosis.model_copy(update={"engine": self.engine, "stats": stats})

    def _diagnostician(self) -> Diagnosis:
        namespaces = Counter(
            entry.result.args.get("namespace")
            for entry in self.ledger.entries.values()
            if entry.result.args.get("namespace")
        )
        namespace = self.namespace or (namespaces.most_common(1)[0][0] if namespaces else None)
        try:
            from app.diagnose.engine import diagnose

            return diagnose(self.ctx, self.question, namespace=namespace, ledger=self.ledger)
        except Exception as exc:  # the last resort must not fail: say what happened instead
            log.warning(
                "the built-in diagnostician failed: %s", exc, exc_info=not isinstance(exc, ImportError)
            )
            return Diagnosis(
                question=self.question,
                cluster=self.ctx.cluster_name,
                answered_at=self._answered_at(),
                engine=self.engine,
                summary=f"The built-in diagnostician could not run either ({type(exc).__name__}: {exc}).",
            )

    # --- small helpers ----------------------------------------------------------------------------

    def _task_prompt(self) -> str:
        prompt = load_prompt(
            "task",
            cluster=self.ctx.cluster_name,
            now=self._answered_at(),
            unavailable=self.ctx.unavailable,
            namespace=self.namespace,
            question=self.question,
        )
        return f"{prompt}\n\n{self.briefing}" if self.briefing else prompt

    def _answered_at(self) -> str:
        return self.ctx.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _stats(self) -> Stats:
        run = self.state
        return Stats(
            tool_calls=run.tool_calls,
            duration_s=round(self.budget.elapsed_s(), 3),
            input_tokens=run.input_tokens,
            output_tokens=run.output_tokens,
            cached_input_tokens=run.cached_tokens,
            cost_usd=question_cost(self.ctx.settings, run.input_tokens, run.cached_tokens, run.output_tokens),
        )


def model_call_limit(max_tool_calls: int) -> int:
    """A safety net: every model call but the last few asks for at least one tool call, so a run needs at
    most one call per tool call, plus the stop step, the answer and its retry."""
    return max_tool_calls + 2 + 2 * ANSWER_RETRIES + 1


MAX_BUILT = 16
_BUILT: dict[tuple[Any, ...], Any] = {}


def built_agent(specs: tuple[ToolSpec, ...], max_retries: int, call_limit: int, *, model: Any) -> Any:
    """The agent graph for a tool set and its limits, built once per process: every run passes its own
    state (and its model) as the runtime context, so nothing in the graph belongs to one question."""
    key = (specs, max_retries, call_limit)
    agent = _BUILT.get(key)
    if agent is None:
        if len(_BUILT) >= MAX_BUILT:
            _BUILT.clear()
        agent = _BUILT.setdefault(key, build_agent(specs, max_retries, call_limit, model=model))
    return agent


def build_agent(
    specs: tuple[ToolSpec, ...],
    max_retries: int,
    call_limit: int,
    *,
    model: Any,
    checkpointer: Any = None,
) -> Any:
    """``create_agent`` over the tool definitions, with kubewhy's middleware around the library's. The
    model given here only builds the graph: ModelAccounting sends each request to the run's own model."""
    return create_agent(
        model,
        list(
            tool_definitions(specs)[0]
        ),  # definitions only: EvidenceLedger runs every call through the one tool set
        system_prompt=system_message(),
        middleware=[
            BudgetGate(),
            FinalAnswerGate(),
            ModelCallLimitMiddleware(run_limit=call_limit, exit_behavior="error"),
            ModelAccounting(),
            ModelRetryMiddleware(
                max_retries=max_retries,
                retry_on=is_transient,
                on_failure="error",
                initial_delay=RETRY_FIRST_DELAY_S,
                max_delay=RETRY_MAX_DELAY_S,
            ),
            EvidenceLedger(),
        ],
        context_schema=Investigation,
        checkpointer=checkpointer,
    )


@lru_cache(maxsize=1)
def system_message() -> SystemMessage:
    """The system prompt: the same bytes for every question and turn, so providers cache it."""
    return SystemMessage(load_prompt("system"))
