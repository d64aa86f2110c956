"""THE agent loop: one small loop for every surface, streaming or not.

The model sees the read-only tools from the registry (plus ``health_checks``, the diagnostician's checks)
and a ``final_answer`` function. Each step: check the budgets, call the model, run the tools it asked for
(never the same call twice), record every result in the evidence ledger under an id the model sees, and
repeat until the model gives its final answer. The answer is checked against the ledger; when the model
fails (errors, timeouts, unusable answers twice) the built-in diagnostician answers instead, and the
summary says so.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from app.agent.anonymize import Anonymizer, anonymizer_for
from app.agent.answer import (
    AnswerError,
    FinalAnswer,
    build_diagnosis,
    check_answer,
    final_answer_tool,
    mark_fallback,
    parse_final_answer,
)
from app.agent.budget import Budget, BudgetStop, find_duplicate, message_tokens, time_message, tools_tokens
from app.agent.events import (
    AgentEvent,
    BudgetHit,
    Fallback,
    Final,
    Status,
    TextDelta,
    ToolFinished,
    ToolStarted,
    describe_call,
)
from app.agent.memory import Conversation
from app.agent.models import choose_model, describe_model_error, make_chat_model
from app.agent.pricing import question_cost
from app.agent.reread import SeenLines
from app.agent.schemas import tool_schema
from app.toolset import call_tool, offered_tools
from prompts import load_prompt
from tools.budget import count_tokens
from tools.contracts.diagnosis import Diagnosis, Stats
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolContext, ToolResult
from tools.registry import ToolSpec

log = logging.getLogger(__name__)

FINAL_ANSWER = "final_answer"
ANSWER_RETRIES = 1  # an unusable final answer is sent back once with the error, then we fall back
TIME_SLACK_S = 0.05


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


class ModelFailure(Exception):
    """The model could not be reached or sent nothing usable."""


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
) -> Diagnosis:
    """Answer ``question`` with the configured model. Raises ModelConfigError when no model is configured;
    every other failure ends in a valid diagnosis. A given ``ledger`` receives every tool result (a runbook
    passes one already holding its steps' results, and a ``briefing`` the model reads after the question);
    ``namespace`` focuses the question on one namespace; ``chat_model`` replaces the configured model."""
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
    ) -> None:
        self.ctx = ctx
        self.question = question
        self.namespace = namespace
        self.briefing = briefing
        self.memory = memory
        self.emit = on_event or (lambda event: None)
        self.stream = stream
        settings = ctx.settings
        self.engine = choose_model(settings).engine
        self.budget = Budget.from_settings(settings)
        chat = chat_model or make_chat_model(settings, timeout_s=settings.question_timeout_s)
        specs = tuple(offered_tools(ctx)[0])  # only tools whose source is connected
        self.specs = {spec.name: spec for spec in specs}
        schemas, self.schema_tokens = tool_definitions(specs)
        self.model = chat.bind_tools(list(schemas))
        self.ledger = ledger if ledger is not None else Ledger()
        self.trace = Trace()
        self.messages: list[BaseMessage] = []
        self.message_costs: list[int] = []
        self.input_tokens = 0
        self.output_tokens = 0
        self.cached_tokens = 0  # of input_tokens, served from the provider's prompt cache
        self.tool_calls = 0
        self.model_text: list[str] = []
        self.seen = SeenLines()  # lines the model already read, by the evidence id that showed them
        self.answer_retries = ANSWER_RETRIES
        self.asked_for_answer = False
        self.privacy = Anonymizer.off()  # pseudonyms for the model when settings.anonymize is on

    # --- the loop ---------------------------------------------------------------------------------

    def run(self) -> Diagnosis:
        started = time.perf_counter()
        try:
            diagnosis = self._investigate()
        finally:
            self.trace.total_s = time.perf_counter() - started
        diagnosis.stats.duration_s = round(self.budget.elapsed_s(), 3)
        if self.memory is not None:
            self.memory.add(self.question, diagnosis)
        self.emit(Final(diagnosis))
        return diagnosis

    def _investigate(self) -> Diagnosis:
        self.privacy = anonymizer_for(self.ctx, self.question)
        self._append(SystemMessage(load_prompt("system")))  # the same for every question: cacheable
        for message in self.memory.messages() if self.memory else []:
            self._append(message)
        self._append(HumanMessage(self._task_prompt()))
        while True:
            prompt_tokens = self._prompt_tokens()
            stop = self.budget.out_of_time() or (
                None if self.trace.stop else self.budget.before_model_call(prompt_tokens)
            )
            if stop:
                self._budget_hit(stop)
                if stop.budget == "time":
                    return self._fallback(stop.message)
                self._ask_for_answer()
                continue
            try:
                reply = self._call_model(prompt_tokens)
            except ModelFailure as exc:
                if self.budget.remaining_s() < TIME_SLACK_S:  # the call was cut short by the time budget
                    stop = self.budget.out_of_time() or BudgetStop(
                        "time", time_message(self.budget.timeout_s)
                    )
                    self._budget_hit(stop)
                    return self._fallback(stop.message)
                return self._fallback(str(exc))
            self._append(reply)
            outcome = self._handle(reply)
            if outcome is not None:
                return outcome

    def _handle(self, reply: AIMessage) -> Diagnosis | None:
        """Act on one model reply; a diagnosis when the run is over."""
        finals = [c for c in reply.tool_calls if c["name"] == FINAL_ANSWER]
        broken_finals = [c for c in reply.invalid_tool_calls if c.get("name") == FINAL_ANSWER]
        calls = [c for c in reply.tool_calls if c["name"] != FINAL_ANSWER]
        broken = [c for c in reply.invalid_tool_calls if c.get("name") != FINAL_ANSWER]
        if finals or broken_finals:
            call = finals[0] if finals else broken_finals[0]
            self._decline(
                calls + broken + (finals + broken_finals)[1:], "not run: the final answer was given"
            )
            return self._try_answer(call.get("args") or "", call_id=call.get("id") or "final")
        if calls or broken:
            if self.trace.stop is not None:
                self._decline(
                    calls + broken, f"not run: {self.trace.stop.message}; give the final answer now"
                )
                return self._retry_or_fallback("the model kept calling tools after the budget ran out", None)
            self._run_tools(calls, broken)
            if self.trace.stop is not None:
                self._ask_for_answer()
            return None
        text = reply.content if isinstance(reply.content, str) else ""
        if looks_like_json(text):
            return self._try_answer(text, call_id=None)
        if not self.asked_for_answer:
            self._ask_for_answer()
            return None
        return self._retry_or_fallback("the model replied without a final answer", None)

    # --- the final answer -------------------------------------------------------------------------

    def _try_answer(self, raw: dict[str, Any] | str, call_id: str | None) -> Diagnosis | None:
        raw = self.privacy.reveal_data(raw)
        try:
            answer = parse_final_answer(raw)
        except AnswerError as exc:
            self._remember_summary(raw)
            return self._retry_or_fallback(str(exc), call_id)
        return self._finish(answer)

    def _retry_or_fallback(self, problem: str, call_id: str | None) -> Diagnosis | None:
        if self.answer_retries <= 0:
            return self._fallback(problem)
        self.answer_retries -= 1
        fix = f"error: {problem}. " + load_prompt("final_answer", budget=None)
        if call_id is not None:
            self._append(ToolMessage(fix, tool_call_id=call_id))
        else:
            self._append(HumanMessage(fix))
        return None

    def _ask_for_answer(self) -> None:
        self.asked_for_answer = True
        self.emit(Status("writing the answer"))
        budget = self.trace.stop.message if self.trace.stop else None
        self._append(HumanMessage(load_prompt("final_answer", budget=budget)))

    def _finish(self, answer: FinalAnswer) -> Diagnosis:
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
        diagnosis = mark_fallback(base, reason, self.privacy.reveal(" ".join(self.model_text)))
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

    def _remember_summary(self, raw: dict[str, Any] | str) -> None:
        """Keep the model's own summary from an unusable answer, for the fallback to quote."""
        if isinstance(raw, dict) and isinstance(raw.get("summary"), str):
            self.model_text = [raw["summary"]]
        elif isinstance(raw, str) and '"summary"' in raw:
            start = raw.find('"summary"')
            self.model_text = [raw[start : start + 600]]

    # --- model and tools --------------------------------------------------------------------------

    def _call_model(self, prompt_tokens: int) -> AIMessage:
        self.budget.charge_model_call(prompt_tokens)
        self.emit(Status("thinking"))
        timeout = max(0.1, min(self.ctx.settings.request_timeout_s, self.budget.remaining_s()))
        started = time.perf_counter()
        try:
            reply = (
                self._stream(timeout)
                if self.stream
                else self.model.invoke(self.privacy.outgoing(self.messages), timeout=timeout)
            )
        except ModelFailure:
            raise
        except Exception as exc:  # openai/httpx errors after the client's own retries
            log.warning("model call failed: %s: %s", type(exc).__name__, exc)
            raise ModelFailure(f"the model call failed: {describe_model_error(exc)}") from exc
        finally:
            self.trace.model_s += time.perf_counter() - started
            self.trace.model_calls += 1
        usage = reply.usage_metadata or {}
        self.input_tokens += usage.get("input_tokens") or prompt_tokens
        self.output_tokens += usage.get("output_tokens") or message_tokens(reply)
        self.cached_tokens += (usage.get("input_token_details") or {}).get("cache_read") or 0
        if isinstance(reply.content, str) and reply.content.strip():
            self.model_text.append(reply.content.strip())
        return reply

    def _stream(self, timeout: float) -> AIMessage:
        merged = None
        text = ""
        for chunk in self.model.stream(self.privacy.outgoing(self.messages), timeout=timeout):
            if isinstance(chunk.content, str) and chunk.content:
                text += chunk.content
                if not looks_like_json(text):  # an answer written as JSON is not prose to show
                    self.emit(TextDelta(self.privacy.reveal(chunk.content)))
            merged = chunk if merged is None else merged + chunk
        if merged is None:
            raise ModelFailure("the model sent an empty stream")
        return AIMessage(
            content=merged.content,
            tool_calls=merged.tool_calls,
            invalid_tool_calls=merged.invalid_tool_calls,
            usage_metadata=merged.usage_metadata,
            id=merged.id,
        )

    def _run_tools(self, calls: list[dict[str, Any]], broken: list[dict[str, Any]]) -> None:
        for call in broken:
            stop = self._take_tool_call()
            reason = stop.message if stop else f"the arguments are not valid JSON ({call.get('error') or ''})"
            self._append(ToolMessage(f"error: {reason}", tool_call_id=call.get("id") or ""))
        for call in calls:
            name, call_id = call["name"], call.get("id") or ""
            args = self.privacy.reveal_data(dict(call.get("args") or {}))
            stop = self._take_tool_call()
            spec = self.specs.get(name)
            earlier = find_duplicate(self.ledger, spec, args) if spec else self.ledger.lookup(name, args)
            if earlier is not None and not stop:
                result = self.ledger.get(earlier)
                assert result is not None
                self.emit(ToolFinished(call_id, name, args, result, earlier, duplicate=True))
                note = f"[{earlier}] same call as before; its result is {earlier} above (not run again)"
                self._append(ToolMessage(note, tool_call_id=call_id))
                continue
            stop = stop or self._check_room()
            if stop:
                self._append(ToolMessage(f"not run: {stop.message}", tool_call_id=call_id))
                continue
            status = describe_call(name, args)
            self.emit(ToolStarted(call_id, name, args, status))
            self.emit(Status(status))
            result = self._call_tool(name, args)
            evidence_id = self.ledger.record(result)
            self.emit(ToolFinished(call_id, name, args, result, evidence_id))
            shown = self.seen.fold(name, result.text, evidence_id)
            content = f"[{evidence_id}] {name} {json.dumps(result.args, sort_keys=True)}\n{shown}"
            self.trace.tool_output_tokens += count_tokens(shown)
            self._append(ToolMessage(content, tool_call_id=call_id))

    def _call_tool(self, name: str, args: dict[str, Any]) -> ToolResult:
        started = time.perf_counter()
        try:
            result = call_tool(self.ctx, name, args)
        except Exception as exc:  # a tool bug must not end the investigation: the model reads the error
            log.exception("tool %s failed", name)
            spec = self.specs.get(name)
            message = f"{name} failed: {type(exc).__name__}: {exc}"
            result = ToolResult(
                tool=name,
                args=args,
                source=spec.source if spec else "kubernetes",
                text=f"error: {message}",
                error=message,
            )
        finally:
            self.trace.tools_s += time.perf_counter() - started
        self.tool_calls += 1
        return result

    def _take_tool_call(self) -> BudgetStop | None:
        if self.trace.stop is not None:
            return self.trace.stop
        stop = self.budget.take_tool_call()
        if stop:
            self._budget_hit(stop)
        return stop

    def _check_room(self) -> BudgetStop | None:
        stop = self.budget.before_tool_call(self._prompt_tokens(), self.ctx.settings.tool_output_tokens)
        if stop:
            self._budget_hit(stop)
        return stop

    def _prompt_tokens(self) -> int:
        return sum(self.message_costs) + self.schema_tokens

    def _decline(self, calls: list[dict[str, Any]], message: str) -> None:
        for call in calls:
            self._append(ToolMessage(message, tool_call_id=call.get("id") or ""))

    def _budget_hit(self, stop: BudgetStop) -> None:
        if self.trace.stop is None:
            self.trace.stop = stop
            self.emit(BudgetHit(stop.budget, stop.message))

    # --- small helpers ----------------------------------------------------------------------------

    def _append(self, message: BaseMessage) -> None:
        self.messages.append(message)
        self.message_costs.append(message_tokens(message))

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
        return Stats(
            tool_calls=self.tool_calls,
            duration_s=round(self.budget.elapsed_s(), 3),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cached_input_tokens=self.cached_tokens,
            cost_usd=question_cost(
                self.ctx.settings, self.input_tokens, self.cached_tokens, self.output_tokens
            ),
        )


def looks_like_json(text: str) -> bool:
    """A reply that is (or starts as) a JSON answer rather than prose."""
    return text.lstrip().startswith(("{", "```"))
