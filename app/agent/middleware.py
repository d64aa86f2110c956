"""kubewhy's own middleware on LangChain's agent runtime (``langchain.agents.create_agent``).

The runtime runs the loop (model, tools, model...), retries transient model errors
(``ModelRetryMiddleware``) and caps the model calls (``ModelCallLimitMiddleware``). What it has no
middleware for lives here, each piece one hook, all sharing one :class:`Investigation` (the question's
budget, ledger, counters and outcome):

- :class:`BudgetGate` (``before_model``): stops on time, or when the next prompt would pass the
  input-token budget, and asks for the final answer once a budget stopped the work;
- :class:`ModelAccounting` (``wrap_model_call``): sends the run's model the pseudonymised conversation
  with a timeout no longer than the time left; counts tokens, cached tokens and time;
- :class:`FinalAnswerGate` (``after_model``): takes the ``final_answer`` call, sends an unusable one back
  once with the error, declines tool calls made after a budget stop;
- :class:`EvidenceLedger` (``wrap_tool_call``): counts tool calls against the budget, answers a repeated
  call with the earlier evidence id, records every result in the ledger under the id the model sees.

Events for the surfaces go through LangGraph's stream writer, so the caller receives them in its own
thread, in order, while the run goes on. Why the library's limit middlewares do not do these jobs:
docs/agent.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain.agents.middleware.types import hook_config
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from app.agent.anonymize import Anonymizer
from app.agent.answer import AnswerError, FinalAnswer, parse_final_answer
from app.agent.budget import Budget, BudgetStop, find_duplicate, message_tokens, time_message
from app.agent.events import BudgetHit, Status, ToolFinished, ToolStarted, describe_call
from app.agent.models import describe_model_error
from app.agent.reread import SeenLines
from app.toolset import call_tool
from prompts import load_prompt
from tools.budget import count_tokens
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolContext
from tools.registry import ToolSpec

FINAL_ANSWER = "final_answer"
ANSWER_RETRIES = 1  # an unusable final answer is sent back once with the error, then we fall back


class ModelFailure(Exception):
    """The model could not be reached or sent nothing usable."""


@dataclass
class Trace:
    """What one run cost, for stats, logs and the benchmark."""

    model_calls: int = 0
    model_s: float = 0.0
    tools_s: float = 0.0
    total_s: float = 0.0
    tool_output_tokens: int = 0  # tokens of tool output handed to the model
    corrections: list[str] = field(default_factory=list)
    stop: BudgetStop | None = None
    fallback: str | None = None

    @property
    def own_s(self) -> float:
        """The agent's own work: everything but waiting for the model and running the tools."""
        return max(0.0, self.total_s - self.model_s - self.tools_s)


@dataclass
class Investigation:
    """One question's shared state: what every middleware reads and updates."""

    ctx: ToolContext
    budget: Budget
    ledger: Ledger
    specs: dict[str, ToolSpec]
    fixed_tokens: int  # system prompt and tool definitions, in every prompt
    chat: Any  # the chat model this question asks (chosen per request, so one built graph serves all)
    privacy: Anonymizer = field(default_factory=Anonymizer.off)
    trace: Trace = field(default_factory=Trace)
    seen: SeenLines = field(default_factory=SeenLines)  # lines the model read, by the id that showed them
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # of input_tokens, served from the provider's prompt cache
    tool_calls: int = 0  # tools actually run
    model_text: list[str] = field(default_factory=list)
    answer_retries: int = ANSWER_RETRIES
    asked_for_answer: bool = False
    ask_pending: bool = False  # a budget stopped the tools: the next prompt asks for the answer
    answer: FinalAnswer | None = None
    fallback: str | None = None  # why the built-in diagnostician must answer instead
    order: CallOrder = field(default_factory=lambda: CallOrder())
    _token_cache: dict[str, int] = field(default_factory=dict)

    def prompt_tokens(self, messages: list[BaseMessage]) -> int:
        """Offline count of the prompt the next model call sends (each message counted once)."""
        total = self.fixed_tokens
        for message in messages:
            key = message.id
            cost = self._token_cache.get(key) if key else None
            if cost is None:
                cost = message_tokens(message)
                if key:
                    self._token_cache[key] = cost
            total += cost
        return total

    def hit(self, stop: BudgetStop, say: Callable[[Any], None] | None = None) -> None:
        """Remember the first budget that stopped the work and tell the surface (``say`` outside the
        runtime, where its stream is closed)."""
        if self.trace.stop is None:
            self.trace.stop = stop
            (say or emit)(BudgetHit(stop.budget, stop.message))

    def final_prompt(self) -> HumanMessage:
        self.asked_for_answer = True
        emit(Status("writing the answer"))
        budget = self.trace.stop.message if self.trace.stop else None
        return HumanMessage(load_prompt("final_answer", budget=budget))


def emit(event: Any) -> None:
    """Hand an event to the surface through the runtime's stream (the caller's thread receives it)."""
    get_stream_writer()(event)


class BudgetGate(AgentMiddleware):
    """Time and input tokens, checked before every model call."""

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: AgentState, runtime: Runtime[Investigation]) -> dict[str, Any] | None:
        run = runtime.context
        stop = run.budget.out_of_time()
        if stop:
            run.hit(stop)
            run.fallback = stop.message
            return {"jump_to": "end"}
        if run.ask_pending:
            run.ask_pending = False
            return {"messages": [run.final_prompt()]}
        if run.trace.stop is None:
            stop = run.budget.before_model_call(run.prompt_tokens(state["messages"]))
            if stop:
                run.hit(stop)
                return {"messages": [run.final_prompt()]}
        return None


class ModelAccounting(AgentMiddleware):
    """What goes to the model and what it cost: the run's model, pseudonyms out, a timeout within the time
    budget; tokens (cached ones from ``prompt_tokens_details``), time and text back."""

    def wrap_model_call(self, request: ModelRequest[Investigation], handler: Any) -> ModelResponse:
        run = request.runtime.context
        prompt_tokens = run.prompt_tokens(request.messages)
        run.budget.charge_model_call(prompt_tokens)
        emit(Status("thinking"))
        timeout = max(0.1, min(run.ctx.settings.request_timeout_s, run.budget.remaining_s()))
        outgoing = request.override(
            model=run.chat,
            messages=run.privacy.outgoing(request.messages),
            model_settings={**request.model_settings, "timeout": timeout},
        )
        started = time.perf_counter()
        try:
            response = handler(outgoing)
        except Exception as exc:  # openai/httpx errors after the retries
            raise ModelFailure(f"the model call failed: {describe_model_error(exc)}") from exc
        finally:
            run.trace.model_s += time.perf_counter() - started
            run.trace.model_calls += 1
        reply = next((m for m in response.result if isinstance(m, AIMessage)), None)
        if reply is None:
            raise ModelFailure("the model sent no message")
        usage = reply.usage_metadata or {}
        run.input_tokens += usage.get("input_tokens") or prompt_tokens
        run.output_tokens += usage.get("output_tokens") or message_tokens(reply)
        run.cached_tokens += (usage.get("input_token_details") or {}).get("cache_read") or 0
        if isinstance(reply.content, str) and reply.content.strip():
            run.model_text.append(reply.content.strip())
        return response


class FinalAnswerGate(AgentMiddleware):
    """Ends the run on a usable ``final_answer``; otherwise says what to fix, once, then falls back."""

    @hook_config(can_jump_to=["end", "model"])
    def after_model(self, state: AgentState, runtime: Runtime[Investigation]) -> dict[str, Any] | None:
        run = runtime.context
        reply = state["messages"][-1]
        if not isinstance(reply, AIMessage):
            return None
        finals = [c for c in reply.tool_calls if c["name"] == FINAL_ANSWER]
        broken_finals = [c for c in reply.invalid_tool_calls if c.get("name") == FINAL_ANSWER]
        calls = [c for c in reply.tool_calls if c["name"] != FINAL_ANSWER]
        broken = [c for c in reply.invalid_tool_calls if c.get("name") != FINAL_ANSWER]
        if finals or broken_finals:
            call = finals[0] if finals else broken_finals[0]
            others = calls + broken + (finals + broken_finals)[1:]
            declined = _decline(others, "not run: the final answer was given")
            return _try_answer(run, call.get("args") or "", call.get("id") or "final", declined)
        if calls or broken:
            if run.trace.stop is not None:
                message = f"not run: {run.trace.stop.message}; give the final answer now"
                problem = "the model kept calling tools after the budget ran out"
                return _retry_or_fallback(run, problem, None, _decline(calls + broken, message))
            errors = [_broken_call(run, call) for call in broken]
            if not calls:
                return {"messages": errors, "jump_to": "model"}
            return {"messages": errors} if errors else None  # the runtime runs the valid calls
        text = reply.content if isinstance(reply.content, str) else ""
        if looks_like_json(text):
            return _try_answer(run, text, None, [])
        if not run.asked_for_answer:
            return {"messages": [run.final_prompt()], "jump_to": "model"}
        return _retry_or_fallback(run, "the model replied without a final answer", None, [])


def _broken_call(run: Investigation, call: dict[str, Any]) -> ToolMessage:
    stop = take_tool_call(run)
    reason = stop.message if stop else f"the arguments are not valid JSON ({call.get('error') or ''})"
    return ToolMessage(f"error: {reason}", tool_call_id=call.get("id") or "")


def _try_answer(
    run: Investigation, raw: dict[str, Any] | str, call_id: str | None, before: list[BaseMessage]
) -> dict[str, Any]:
    raw = run.privacy.reveal_data(raw)
    try:
        run.answer = parse_final_answer(raw)
    except AnswerError as exc:
        _remember_summary(run, raw)
        return _retry_or_fallback(run, str(exc), call_id, before)
    return {"messages": before, "jump_to": "end"}


def _retry_or_fallback(
    run: Investigation, problem: str, call_id: str | None, before: list[BaseMessage]
) -> dict[str, Any]:
    if run.answer_retries <= 0:
        run.fallback = problem
        return {"messages": before, "jump_to": "end"}
    run.answer_retries -= 1
    fix = f"error: {problem}. " + load_prompt("final_answer", budget=None)
    message = ToolMessage(fix, tool_call_id=call_id) if call_id is not None else HumanMessage(fix)
    return {"messages": [*before, message], "jump_to": "model"}


def _remember_summary(run: Investigation, raw: dict[str, Any] | str) -> None:
    """Keep the model's own summary from an unusable answer, for the fallback to quote."""
    if isinstance(raw, dict) and isinstance(raw.get("summary"), str):
        run.model_text = [raw["summary"]]
    elif isinstance(raw, str) and '"summary"' in raw:
        start = raw.find('"summary"')
        run.model_text = [raw[start : start + 600]]


class EvidenceLedger(AgentMiddleware):
    """Runs every tool call through the one tool set, in the order the model asked: the tool-call budget,
    repeated calls answered by their evidence id, each result recorded in the ledger, the events."""

    def wrap_tool_call(self, request: Any, handler: Any) -> ToolMessage:
        run: Investigation = request.runtime.context
        call = request.tool_call
        with run.order.turn(request.state["messages"], call.get("id")):
            return _run_tool(run, call, request.state["messages"])


def _run_tool(run: Investigation, call: dict[str, Any], messages: list[BaseMessage]) -> ToolMessage:
    name, call_id = call["name"], call.get("id") or ""
    args = run.privacy.reveal_data(dict(call.get("args") or {}))
    stop = take_tool_call(run)
    spec = run.specs.get(name)
    earlier = find_duplicate(run.ledger, spec, args) if spec else run.ledger.lookup(name, args)
    if earlier is not None and not stop:
        result = run.ledger.get(earlier)
        assert result is not None
        emit(ToolFinished(call_id, name, args, result, earlier, duplicate=True))
        note = f"[{earlier}] same call as before; its result is {earlier} above (not run again)"
        return ToolMessage(note, tool_call_id=call_id, name=name)
    if not stop:
        stop = run.budget.before_tool_call(run.prompt_tokens(messages), run.ctx.settings.tool_output_tokens)
        if stop:
            run.hit(stop)
    if stop:
        run.ask_pending = True
        return ToolMessage(f"not run: {stop.message}", tool_call_id=call_id, name=name)
    status = describe_call(name, args)
    emit(ToolStarted(call_id, name, args, status))
    emit(Status(status))
    started = time.perf_counter()
    try:
        result = call_tool(run.ctx, name, args)  # an unknown name is an error result the model reads
    finally:
        run.trace.tools_s += time.perf_counter() - started
    run.tool_calls += 1
    evidence_id = run.ledger.record(result)
    emit(ToolFinished(call_id, name, args, result, evidence_id))
    shown = run.seen.fold(name, result.text, evidence_id)
    run.trace.tool_output_tokens += count_tokens(shown)
    # the evidence id and the tool that ran (a family's call names its member); the model sent the
    # arguments itself, so they are not repeated in every later request
    content = f"[{evidence_id}] {result.tool}\n{shown}"
    return ToolMessage(content, tool_call_id=call_id, name=name)


class CallOrder:
    """The runtime runs one reply's tool calls side by side; evidence ids follow the order the model
    asked in, so each call waits for the calls before it."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._done: set[str] = set()

    def turn(self, messages: list[BaseMessage], call_id: str | None) -> _Turn:
        reply = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        ids = [c.get("id") or "" for c in reply.tool_calls] if reply is not None else []
        before = ids[: ids.index(call_id)] if call_id in ids else []
        return _Turn(self, before, call_id or "")


@dataclass
class _Turn:
    order: CallOrder
    before: list[str]
    call_id: str

    def __enter__(self) -> None:
        with self.order._turn:
            self.order._turn.wait_for(lambda: all(i in self.order._done for i in self.before))

    def __exit__(self, *exc: object) -> None:
        with self.order._turn:
            self.order._done.add(self.call_id)
            self.order._turn.notify_all()


def take_tool_call(run: Investigation) -> BudgetStop | None:
    """Count one requested call (duplicates and broken ones too, so a loop on one call still ends)."""
    if run.trace.stop is not None:
        return run.trace.stop
    stop = run.budget.take_tool_call()
    if stop:
        run.hit(stop)
    return stop


def _decline(calls: list[dict[str, Any]], message: str) -> list[BaseMessage]:
    return [ToolMessage(message, tool_call_id=call.get("id") or "") for call in calls]


def looks_like_json(text: str) -> bool:
    """A reply that is (or starts as) a JSON answer rather than prose."""
    return text.lstrip().startswith(("{", "```"))


def time_stop(budget: Budget) -> BudgetStop:
    return budget.out_of_time() or BudgetStop("time", time_message(budget.timeout_s))
