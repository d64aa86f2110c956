"""Turning the model's final answer into the diagnosis: parsing, leniency, checks against the ledger."""

from __future__ import annotations

import pytest

from app.agent.answer import AnswerError, check_answer, excerpt_is_verbatim, parse_final_answer
from app.agent.events import describe_call
from app.agent.schemas import compact_schema
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolResult

EVENTS = (
    "LAST SEEN  TYPE     REASON   OBJECT                      MESSAGE\n"
    "2m         Warning  BackOff  pod/checkout-7d9f8c6b5-x2lqp  Back-off restarting failed container app\n"
    "5m         Normal   Pulled   pod/checkout-7d9f8c6b5-x2lqp  Container image already present"
)


def ledger() -> Ledger:
    book = Ledger()
    book.record(ToolResult(tool="k8s_events", args={"namespace": "shop"}, source="kubernetes", text=EVENTS))
    return book


def answer(**finding) -> dict:
    base = {
        "title": "checkout crashes",
        "category": "appcrash",
        "resource": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
        "confidence": 1.4,
        "explanation": "It restarts.",
        "evidence": [{"id": "e1"}],
    }
    return {"summary": "s", "findings": [base | finding]}


def test_harmless_slips_are_forgiven():
    parsed = parse_final_answer(answer())
    [finding] = parsed.findings
    assert (finding.category, finding.confidence, finding.evidence) == ("AppCrash", 1.0, ["e1"])
    as_map = parse_final_answer({"summary": "s", "evidence": {"e1": "BackOff"}})
    assert as_map.evidence[0].id == "e1" and as_map.evidence[0].excerpt == "BackOff"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("I think it is the database.", "the final answer is not JSON: no object found"),
        ('{"summary": "s",', "the final answer is not valid JSON"),
        ({"findings": []}, "summary: Field required"),
        (answer(category="Gremlins"), "findings.0.category: Input should be 'AppCrash'"),
        ("[1, 2]", "no object found"),
    ],
)
def test_unusable_answers_say_what_to_fix(raw, problem):
    with pytest.raises(AnswerError, match=problem.replace("(", r"\(").replace(".", r"\.")):
        parse_final_answer(raw)


def test_excerpts_may_join_verbatim_pieces_with_an_ellipsis():
    book = ledger()
    assert excerpt_is_verbatim(book, "e1", "Warning  BackOff ... Back-off restarting failed container app")
    assert excerpt_is_verbatim(book, "e1", "  Back-off restarting failed container app  \n")
    assert not excerpt_is_verbatim(book, "e1", "Back-off restarting failed container db")
    assert not excerpt_is_verbatim(book, "e1", "...")
    assert not excerpt_is_verbatim(book, "e2", "BackOff")


def test_check_keeps_good_quotes_and_fills_missing_ones_from_the_ledger():
    raw = answer(confidence=0.8) | {"evidence": [{"id": "e1", "excerpt": ""}, {"id": "e4", "excerpt": "x"}]}
    checked = check_answer(parse_final_answer(raw), ledger())
    [finding] = checked.findings
    assert finding.confidence == 0.8 and finding.evidence == ["e1"]
    [evidence] = checked.evidence
    assert "pod/checkout-7d9f8c6b5-x2lqp" in evidence.excerpt  # lines naming the culprit, verbatim
    assert evidence.tool == "k8s_events" and evidence.args == {"namespace": "shop"}
    assert checked.corrections == ["dropped evidence 'e4': no tool result has this id"]


def test_schema_compaction_keeps_meaning_and_drops_noise():
    schema = {
        "title": "Params",
        "properties": {
            "title": {"title": "Title", "type": "string"},
            "namespace": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Ns"},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 5},
        },
        "required": ["title"],
    }
    assert compact_schema(schema) == {
        "properties": {
            "title": {"type": "string"},
            "namespace": {"type": "string"},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 5},
        },
        "required": ["title"],
    }


@pytest.mark.parametrize(
    ("tool", "args", "text"),
    [
        ("k8s_events", {"namespace": "shop"}, "reading events in shop"),
        ("k8s_list", {"kind": "pods", "namespace": "shop"}, "listing pods in shop"),
        ("k8s_describe", {"kind": "Deployment", "name": "checkout"}, "describing Deployment checkout"),
        (
            "prom_check",
            {"check": "cpu_throttling", "workload": "api"},
            "checking cpu_throttling in Prometheus for api",
        ),
        ("prom_query", {"query": "up"}, "querying Prometheus"),
        (
            "flows_pair",
            {"source": "shop/web", "destination": "data/db"},
            "reading traffic from shop/web to data/db",
        ),
        (
            "health_checks",
            {"workload": "checkout", "namespace": "shop"},
            "running the health checks for checkout in shop",
        ),
        ("get_events", {}, "reading events"),
        ("odd", {}, "running odd"),
    ],
)
def test_status_lines_say_what_is_read(tool, args, text):
    assert describe_call(tool, args) == text


DESCRIBE = (
    "Name:        db\n"
    "Namespace:   shop\n"
    "Spec:\n"
    "  PodSelector:  app=db\n"
    "  Allowing ingress traffic:\n"
    "    From: podSelector app=analytics\n"
    "Created:     2026-11-20T09:05:00Z"
)


def test_a_cited_object_is_quoted_by_the_key_lines_its_tool_marked():
    book = Ledger()
    key_lines = ["    From: podSelector app=analytics", "Created:     2026-11-20T09:05:00Z"]
    result = ToolResult(
        tool="k8s_describe",
        args={"kind": "NetworkPolicy", "namespace": "shop", "name": "db"},
        source="kubernetes",
        text=DESCRIBE,
        data={"key_lines": key_lines},
    )
    book.record(result)
    raw = answer(
        resource={"kind": "NetworkPolicy", "namespace": "shop", "name": "db"},
        category="NetworkPolicyBlocked",
    )
    [evidence] = check_answer(parse_final_answer(raw), book).evidence
    lines = evidence.excerpt.splitlines()
    assert "Name:        db" in lines  # the line naming the cited object
    assert all(line in lines for line in key_lines)  # and what proves its state, though it names neither
    assert "Spec:" not in lines  # lines neither naming it nor marked stay out
