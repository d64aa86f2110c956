"""Budgets that bound one question: tool calls, input tokens (counted offline), wall-clock time, and no
tool call run twice with the same arguments.

The input-token budget bounds what the model reads for one question: system prompt, tool definitions,
memory, the question and every tool result, i.e. the conversation at its largest. (Each model call sends
the conversation again, so the billed input, ``stats.input_tokens``, is larger; providers cache the
repeated prefix.) A tool is not run when its bounded output could push the conversation past the budget,
so the final answer step always fits.

Tokens are counted with :func:`tools.budget.count_tokens` (an offline estimate), never with tiktoken,
which downloads its tables at run time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import ValidationError

from tools.budget import count_tokens
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.registry import ToolSpec

MESSAGE_OVERHEAD_TOKENS = 4  # role and separators, as chat formats add them
FINAL_STEP_RESERVE_TOKENS = 150  # the final-answer prompt added after a budget stop


@dataclass(frozen=True)
class BudgetStop:
    """Which budget stopped the investigation, in words a person reads in the summary."""

    budget: str  # "tool_calls" | "input_tokens" | "time" | "model_calls"
    message: str


@dataclass
class Budget:
    max_tool_calls: int
    max_input_tokens: int
    timeout_s: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    tool_calls: int = 0  # calls the model asked for, duplicates included (a loop on one call still ends)
    peak_prompt_tokens: int = 0  # offline count of the largest prompt sent (the whole conversation)

    def __post_init__(self) -> None:
        if not self.started:
            self.started = self.clock()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], float] = time.monotonic) -> Budget:
        return cls(
            max_tool_calls=settings.max_tool_calls,
            max_input_tokens=settings.max_input_tokens,
            timeout_s=settings.question_timeout_s,
            clock=clock,
        )

    def elapsed_s(self) -> float:
        return self.clock() - self.started

    def remaining_s(self) -> float:
        return max(0.0, self.timeout_s - self.elapsed_s())

    def out_of_time(self) -> BudgetStop | None:
        if self.remaining_s() > 0:
            return None
        return BudgetStop("time", time_message(self.timeout_s))

    def before_model_call(self, prompt_tokens: int) -> BudgetStop | None:
        """Stop before a model call that runs out of time or would pass the input-token budget."""
        return self.out_of_time() or self._tokens_stop(prompt_tokens)

    def before_tool_call(self, prompt_tokens: int, tool_output_tokens: int) -> BudgetStop | None:
        """Stop before a tool whose output (at most ``tool_output_tokens``) could push the conversation
        past the input-token budget, keeping room for the final answer step."""
        return self._tokens_stop(prompt_tokens + tool_output_tokens + FINAL_STEP_RESERVE_TOKENS)

    def _tokens_stop(self, tokens: int) -> BudgetStop | None:
        if tokens <= self.max_input_tokens:
            return None
        return BudgetStop(
            "input_tokens",
            f"the input-token budget ({self.max_input_tokens:,} tokens per question) would be exceeded",
        )

    def charge_model_call(self, prompt_tokens: int) -> None:
        self.peak_prompt_tokens = max(self.peak_prompt_tokens, prompt_tokens)

    def take_tool_call(self) -> BudgetStop | None:
        """Count one requested tool call; a stop when the budget was already spent or time is up."""
        stop = self.out_of_time()
        if stop:
            return stop
        if self.tool_calls >= self.max_tool_calls:
            return BudgetStop("tool_calls", f"the tool-call budget ({self.max_tool_calls} calls) was used up")
        self.tool_calls += 1
        return None


def message_tokens(message: BaseMessage) -> int:
    """Offline token count of one chat message as sent: text, plus the tool calls it carries."""
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    total = count_tokens(content) + MESSAGE_OVERHEAD_TOKENS
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            total += count_tokens(call["name"]) + count_tokens(json.dumps(call["args"])) + 3
    return total


def tools_tokens(schemas: list[dict[str, Any]]) -> int:
    """What the tool definitions cost on every model call."""
    return count_tokens(json.dumps(schemas))


def normalized_args(spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments as the registry records them (defaults left out), or None when they are invalid."""
    try:
        return spec.params.model_validate(args).model_dump(exclude_defaults=True, mode="json")
    except ValidationError:
        return None


def find_duplicate(ledger: Ledger, spec: ToolSpec, args: dict[str, Any]) -> str | None:
    """The evidence id of an earlier identical call (same tool, same arguments after defaults), if any.
    A family's call is its member's (``k8s`` with ``op=list`` is ``k8s_list``), as the ledger records it."""
    spec, args = spec.route(args)
    normal = normalized_args(spec, args)
    if normal is None:
        return ledger.lookup(spec.name, args)
    return ledger.lookup(spec.name, normal) or ledger.lookup(spec.name, args)


def time_message(timeout_s: float) -> str:
    return f"the time budget ({timeout_s:g} s) ran out"
