"""The registry is the one place a tool's exception becomes a tool error: a ToolError keeps its message, a
tool bug (any other exception) is named with its type, and nothing above it wraps a call again (the
runbook runner's steps read the registry's result as it is)."""

from __future__ import annotations

from typing import Any

import pytest

from app.runbooks.model import Runbook
from app.runbooks.runner import run_steps
from app.toolset import call_tool
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolError


class BrokenKube:
    """A Kubernetes access whose every read raises ``error`` (a bug below the tool, or a refused read)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise self.error

        return fail


def _ctx(error: BaseException) -> ToolContext:
    return ToolContext(settings=Settings(llm="none"), kube=BrokenKube(error))


def test_a_tool_bug_is_an_error_result_naming_its_type() -> None:
    result = call_tool(_ctx(KeyError("metadata")), "k8s_list", {"kind": "Pod", "namespace": "shop"})
    assert result.error == "k8s_list failed: KeyError: 'metadata'"
    assert result.text == f"error: {result.error}" and result.source == "kubernetes"


def test_a_tool_error_keeps_its_own_message() -> None:
    result = call_tool(_ctx(ToolError("pods is forbidden")), "k8s_get", {"kind": "Pod", "name": "a"})
    assert result.error == "pods is forbidden"


def test_a_cancellation_is_not_turned_into_an_answer() -> None:
    class Cancelled(BaseException):
        pass

    with pytest.raises(Cancelled):
        call_tool(_ctx(Cancelled()), "k8s_list", {"kind": "Pod"})


def test_a_runbook_step_whose_tool_breaks_is_recorded_and_the_run_goes_on() -> None:
    book = Runbook(
        name="two-reads",
        title="Two reads",
        steps=[
            {"tool": "k8s_list", "args": {"kind": "Pod"}},
            {"tool": "k8s_get", "args": {"kind": "Pod", "name": "a"}},
        ],
    )
    ledger = Ledger()
    first, second = run_steps(_ctx(RuntimeError("boom")), book, {}, ledger)
    assert first.result is not None and first.result.error == "k8s_list failed: RuntimeError: boom"
    assert second.result is not None and second.result.error == "k8s_get failed: RuntimeError: boom"
    assert [entry.result.tool for entry in ledger.entries.values()] == ["k8s_list", "k8s_get"]
