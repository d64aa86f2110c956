"""The page's pure parts: inert text, starter questions, chart data and flow tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.ui.charts import frames, has_series, metric_chart
from app.ui.evidence import flow_tables
from app.ui.investigate import failure_warnings
from app.ui.safe import WORD_JOINER, md, md_line
from app.ui.starters import HEALTH_QUESTION, question_for, starter_questions
from tests.ui.helpers import plain
from tools.contracts.diagnosis import Category, Diagnosis, Finding, ResourceRef
from tools.contracts.tool import ToolResult


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[click](https://evil.example)", r"\[click\]\(https⁠\:\/\/evil\.example\)"),
        ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
        ("see www.evil.example", r"see www⁠\.evil\.example"),
        ("mail ops@evil.example", r"mail ops⁠\@evil\.example"),
        (":red[alarm] costs $5 and $6", r"\:red\[alarm\] costs \$5 and \$6"),
        ("**bold** _it_ `code` # head", r"\*\*bold\*\* \_it\_ \`code\` \# head"),
    ],
)
def test_cluster_text_becomes_inert_markdown_that_reads_the_same(text, escaped):
    assert md(text) == escaped.replace("⁠", WORD_JOINER)
    assert plain(md(text)) == text


def test_a_label_is_one_short_line():
    assert md_line("first\n   second", limit=200) == "first second"
    assert plain(md_line("x" * 300, limit=10)) == "x" * 9 + "…"


def finding(category: Category, kind: str, name: str, title: str = "t") -> Finding:
    resource = ResourceRef(kind=kind, namespace="shop", name=name)
    return Finding(title=title, category=category, resource=resource, confidence=0.9, explanation="e")


def test_starter_questions_ask_about_the_symptom_not_the_answer():
    review = Diagnosis(
        question=HEALTH_QUESTION,
        cluster="c",
        answered_at="2026-11-20T09:30:00Z",
        engine="offline",
        summary="s",
        findings=[
            finding(
                Category.NetworkPolicyBlocked,
                "NetworkPolicy",
                "postgres-allow-catalog",
                "shop/checkout cannot reach data/postgres:5432: NetworkPolicy p drops it",
            ),
            finding(Category.AppCrash, "Deployment", "payments"),
            finding(Category.OOMKilled, "Deployment", "payments"),
            finding(Category.AppCrash, "Deployment", "payments"),
            finding(Category.Other, "ConfigMap", "odd"),
            finding(Category.CPUThrottling, "Deployment", "catalog"),
        ],
    )
    assert starter_questions(review) == [
        "Why can checkout not reach the services it needs?",
        "Why does payments keep restarting?",
        "Why is payments running out of memory?",
        "What is wrong with ConfigMap odd?",
    ]
    assert question_for(finding(Category.CPUThrottling, "Deployment", "catalog")) == "Why is catalog slow?"


def range_data() -> dict:
    start = datetime(2026, 11, 20, 8, 30, tzinfo=UTC).timestamp()
    flat = [[start + 60 * i, 0.02] for i in range(10)] + [[start + 600 + 60 * i, 0.8] for i in range(10)]
    return {
        "check": "cpu_throttling",
        "unit": "ratio",
        "start": "2026-11-20T08:30:00+00:00",
        "end": "2026-11-20T09:30:00+00:00",
        "series": [
            {
                "labels": {"namespace": "shop", "pod": "catalog-a", "container": "catalog"},
                "points": flat,
                "change_points": [{"at": start + 600, "before": 0.02, "after": 0.8, "delta": 0.78}],
            },
            {
                "labels": {"namespace": "shop", "pod": "catalog-b", "container": "catalog"},
                "points": [[start, None], [start + 60, 0.1]],
                "change_points": [],
            },
        ],
    }


def test_metric_points_and_change_points_become_chart_data():
    data = range_data()
    assert has_series(data) and not has_series({"series": [{"labels": {}, "points": []}]})
    points, changes = frames(data)
    assert sorted(set(points["series"])) == ["pod=catalog-a", "pod=catalog-b"]  # only the labels that differ
    assert len(points) == 21  # the missing sample is left out
    assert list(changes["change"]) == ["0.02 → 0.8"]
    assert changes["time"][0].isoformat() == "2026-11-20T08:40:00+00:00"

    spec = metric_chart(data).to_dict()
    layers = [layer["mark"]["type"] for layer in spec["layer"]]
    assert layers == ["line", "rule", "text"]
    assert spec["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert json.dumps(spec["title"]).count("cpu_throttling") == 1


def test_flow_rows_and_counts_become_plain_tables():
    data = {
        "window": {"from": "a", "to": "b"},
        "total": 52,
        "by_reason": {"POLICY_DENIED": 52},
        "pairs": [{"source": "shop/checkout", "port": 5432, "attributions": [{"policy": "p"}]}],
        "flows": [],
    }
    tables = dict(flow_tables(data))
    assert set(tables) == {"by reason", "pairs"}
    assert tables["pairs"].to_dict("records") == [
        {"source": "shop/checkout", "port": 5432, "attributions": '[{"policy": "p"}]'}
    ]
    assert tables["by reason"].to_dict("records") == [{"key": "POLICY_DENIED", "count": 52}]
    assert flow_tables("not a dict") == []


def test_failed_tool_calls_are_summed_up_per_source():
    def result(tool: str, source: str, error: str | None) -> ToolResult:
        return ToolResult(tool=tool, args={}, source=source, text=f"error: {error}", error=error)

    results = {
        "e1": result("prom_check", "prometheus", "Prometheus at http://127.0.0.1:9 refused the connection"),
        "e2": result("k8s_events", "kubernetes", None),
        "e3": result("prom_query", "prometheus", "timed out"),
    }
    assert failure_warnings(results) == [
        "2 Prometheus tool calls failed; the first: prom_check: "
        "Prometheus at http://127.0.0.1:9 refused the connection"
    ]
