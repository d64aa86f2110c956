"""A finding's citation quotes the lines of its tool's output that print the cited text, and nothing
else: when the output does not print it (a renderer's wording changed), the miss is kept in the ledger
for the tests to see, never papered over with the first lines of the output."""

from __future__ import annotations

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.cite import cite_candidate
from app.diagnose.facts import FactRef
from tools.contracts.diagnosis import ResourceRef
from tools.contracts.evidence import Ledger, Missed
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolResult

EVENTS = "\n".join(
    [
        "events for api in shop (newest first): 2",
        "3m  Warning  BackOff  Pod/api-1  Back-off restarting failed container app in pod api-1",
        "9m  Normal   Pulled   Pod/api-1  Container image already present on machine",
    ]
)


def _candidate(needle: str) -> Candidate:
    return Candidate(
        title="api keeps restarting",
        category="AppCrash",
        resource=ResourceRef(kind="Deployment", namespace="shop", name="api"),
        confidence=0.8,
        explanation="it crashes",
        cites=[Cite(FactRef("events", ("shop", "api")), needle)],
    )


def _ledger() -> Ledger:
    ledger = Ledger()
    ledger.record(
        ToolResult(
            tool="k8s_events", args={"name": "api", "namespace": "shop"}, source="kubernetes", text=EVENTS
        )
    )
    return ledger


def _ctx() -> ToolContext:
    return ToolContext(settings=Settings(llm="none"))  # never read: the call is in the ledger already


def test_a_printed_citation_quotes_its_line_only() -> None:
    ledger = _ledger()
    cited = cite_candidate(_ctx(), ledger, _candidate("Back-off restarting failed container"))
    assert cited == [("e1", EVENTS.splitlines()[1])]
    assert ledger.missed == []


def test_a_citation_the_output_does_not_print_is_kept_as_a_miss_not_quoted_by_the_head() -> None:
    ledger = _ledger()
    cited = cite_candidate(_ctx(), ledger, _candidate("CrashLoopBackOff: container app exited 1"))
    assert cited == []  # not "events for api in shop ..." and the lines after it
    assert ledger.missed == [Missed("e1", "k8s_events", "CrashLoopBackOff: container app exited 1")]


def test_the_head_of_a_result_is_asked_for_by_name() -> None:
    ledger = _ledger()
    assert ledger.cite("e1", ["no such text"]) == ""
    assert ledger.head("e1") == EVENTS
