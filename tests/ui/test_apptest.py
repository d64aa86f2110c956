"""The chat page driven through Streamlit's AppTest, on the bundled demo cluster (real snapshot API server,
real Prometheus over its metrics, its flow files): questions, follow-ups, sources down, bad input."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Status

from app.demo import SHOP_SNAPSHOT
from app.ui import runtime
from app.ui.safe import md
from tests.ui.helpers import answer_parts, contains, plain, texts

pytestmark = pytest.mark.prometheus

CHECKOUT = "Why are customers' orders failing at checkout?"
PAYMENTS = "Why does the new payments pod keep restarting?"


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_a_question_renders_the_card_then_the_evidence(page):
    at = page()
    at.run()
    assert not at.exception
    ask(at, CHECKOUT)

    user, answer = at.chat_message
    assert (user.name, answer.name) == ("user", "assistant")
    assert plain(user.markdown[0].value) == CHECKOUT
    [status] = at.status
    assert status.label.startswith("Investigated in") and status.state == "complete"
    assert contains(status, "reading Hubble flows: drops, DNS failures, resets, HTTP errors")
    results = re.search(r"(\d+) tool results", status.label).group(1)
    footers = [plain(c.value) for c in answer.caption if " · as of " in plain(c.value)]
    assert footers and all(f"{results} tool calls" in footer for footer in footers), (results, footers)

    # the card: the direct answer first, then the finding with category, culprit, confidence and evidence
    parts = answer_parts(answer)
    assert isinstance(parts[0], Status)  # what was investigated, then the card
    summary = plain(parts[1].markdown[0].value)
    assert summary.strip("*").startswith("checkout is failing: shop/checkout cannot reach data/postgres:5432")
    shown = [plain(m.value) for m in answer.markdown]
    badges = next(m.value for m in answer.markdown if "badge[NetworkPolicyBlocked]" in m.value)
    assert f"fix{md(': NetworkPolicy data/postgres-allow-catalog')}" in badges
    assert "confidence 92" in plain(badges)
    assert any(text.startswith("**1. shop/checkout cannot reach data/postgres:5432") for text in shown)
    evidence_code = [c.value for c in answer.code]
    assert any("Dropped by NetworkPolicy data/postgres-allow-catalog" in code for code in evidence_code)
    commands = [c.value for c in answer.code if c.language == "bash"]
    assert commands and all(command.startswith("kubectl") for command in commands)

    # every tool result in an expander, the cited ones marked; charts for metrics, tables for flows
    labels = [plain(e.label) for e in answer.expander]
    assert "e1 · flows_policy namespace=shop — cited by finding 1" in labels
    assert any(label.startswith("e4 · prom_check check=http_latency_quantiles") for label in labels)
    charts = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert charts, "no metric chart"
    marks = [layer["mark"]["type"] for chart in charts for layer in chart.get("layer", [])]
    assert "line" in marks and "rule" in marks  # the series, and the change point marked
    # the drops' flows: a Hubble-style table, and the verdict timeline with the change marked
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "time",
        "source",
        "destination",
        "port",
        "verdict",
        "drop reason",
        "policy",
    ]
    dropped = table[table["verdict"] == "DROPPED"]
    assert len(dropped) == 52 and len(table[table["verdict"] == "FORWARDED"]) == 7
    assert set(dropped["policy"]) == {"data/postgres-allow-catalog"}
    assert set(dropped["drop reason"]) == {"POLICY_DENIED"} and set(dropped["port"]) == {"5432/TCP"}
    assert all(source.startswith("shop/checkout-") for source in table["source"])
    timelines = [c for c in charts if c.get("title", {}).get("text") == "Verdicts over time"]
    assert timelines, "no verdict timeline"
    layers = timelines[0]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["bar", "rule", "text"]
    assert len(timelines) == 3  # the finding's evidence; the index: the drops and the follow-up read


def test_a_follow_up_keeps_the_conversation_and_new_conversation_clears_it(page):
    at = page()
    at.run()
    ask(at, CHECKOUT)
    ask(at, PAYMENTS)

    names = [m.name for m in at.chat_message]
    assert names == ["user", "assistant", "user", "assistant"]
    first, second = at.chat_message[1], at.chat_message[3]
    assert plain(at.chat_message[0].markdown[0].value) == CHECKOUT
    assert contains(first, "fix: NetworkPolicy data/postgres-allow-catalog")
    assert plain(at.chat_message[2].markdown[0].value) == PAYMENTS
    top = next(m.value for m in second.markdown if "-badge[" in m.value)
    assert "badge[AppCrash]" in top and "Deployment shop/payments" in plain(top)
    assert len(at.status) == 2  # the earlier investigation is still there, collapsed

    # a follow-up with no name of its own is about the previous answer's subject and culprit
    ask(at, "how do I fix it?")
    third = at.chat_message[5]
    opening = plain(answer_parts(third)[1].markdown[0].value)
    assert opening.strip("*").startswith("Fix Deployment shop/payments")
    elsewhere = [e for e in third.expander if plain(e.label) == "Elsewhere in the cluster"]
    assert elsewhere and not elsewhere[0].proto.expanded  # the rest of the cluster, collapsed

    at.button(key="new-conversation").click().run()
    assert not at.exception
    assert len(at.chat_message) == 0
    assert any(plain(b.label) == "What is wrong in the cluster?" for b in at.button)


def test_suggested_questions_come_from_the_health_review_and_can_be_asked(page):
    at = page()
    at.run()
    starters = {plain(b.label): b for b in at.button if (b.key or "").startswith("starter-")}
    assert "Why can checkout not reach the services it needs?" in starters  # the outage first
    assert "Why is recommendations not starting?" in starters
    assert "Why is catalog slow?" in starters

    starters["Why is recommendations not starting?"].click().run()
    assert not at.exception
    assert plain(at.chat_message[0].markdown[0].value) == "Why is recommendations not starting?"
    assert contains(at.chat_message[1], "fix: Deployment shop/recommendations")


def test_a_source_that_is_down_shows_its_reason(page, no_metrics_snapshot):
    at = page(snapshot=no_metrics_snapshot)
    at.run()
    assert not at.exception
    sidebar = texts(at.sidebar)
    assert ":red[●] **Prometheus** — unavailable" in sidebar
    assert "the snapshot has no metrics/*.om files" in sidebar
    assert ":green[●] **Kubernetes** — connected" in sidebar

    ask(at, CHECKOUT)
    warnings = [plain(w.value) for w in at.chat_message[1].warning]
    assert warnings == ["Answered without Prometheus: the snapshot has no metrics/*.om files."]
    # the flows still show the culprit
    assert contains(at.chat_message[1], "fix: NetworkPolicy data/postgres-allow-catalog")


def test_a_bad_question_is_an_error_and_the_conversation_stays(page):
    at = page()
    at.run()
    ask(at, PAYMENTS)
    ask(at, "   ")
    ask(at, "why " * 1001)

    errors = [plain(e.value) for e in at.error]
    assert errors[0].startswith("**Bad question** — the question is empty")
    assert errors[1].startswith("**Bad question** — the question is 4,003 characters long; the limit is 4,")
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 3
    assert contains(at.chat_message[1], "fix: Deployment shop/payments")


def test_a_snapshot_that_cannot_be_loaded_is_shown_not_raised(page, tmp_path):
    (tmp_path / "resources").mkdir()
    at = page(snapshot=tmp_path)
    at.run()
    assert not at.exception
    [error, *_] = [plain(e.value) for e in at.error]
    assert error.startswith("The snapshot cannot be loaded:") and "snapshot.yaml" in error
    assert not at.chat_message


@pytest.mark.parametrize(("view", "title"), [("runbooks", "Runbooks"), ("history", "History")])
def test_the_other_pages_render(view, title):
    at = AppTest.from_string(f"from app.ui.views import {view}\n{view}.render()\n", default_timeout=30)
    at.run()
    assert not at.exception
    assert at.title[0].value == title


def test_a_live_cluster_lists_its_contexts_and_says_why_metrics_and_flows_are_missing(page):
    """Live mode through a kubeconfig: the demo snapshot served as a real API server stands in for a cluster,
    with no Prometheus URL and no Hubble Relay configured."""
    from tools.snapshot.server import start_snapshot_server

    server = start_snapshot_server(SHOP_SNAPSHOT)
    try:
        at = page(snapshot=None, KUBEWHY_KUBECONFIG=str(server.kubeconfig_path))
        at.run()
        assert not at.exception
        [context] = at.sidebar.selectbox(key="kubewhy_context").options
        assert at.sidebar.selectbox(key="kubewhy_context").value == context
        sidebar = texts(at.sidebar)
        assert "**shop-prod** · live cluster" in sidebar
        assert "KUBEWHY_PROMETHEUS_URL is not set" in sidebar
        assert "KUBEWHY_HUBBLE_ADDRESS is not set" in sidebar

        ask(at, PAYMENTS)
        answer = at.chat_message[1]
        assert contains(answer, "fix: Deployment shop/payments")  # logs and objects are enough here
        assert [plain(w.value) for w in answer.warning] == [
            "Answered without Network flows: KUBEWHY_HUBBLE_ADDRESS is not set.",
            "Answered without Prometheus: KUBEWHY_PROMETHEUS_URL is not set.",
        ]
    finally:
        runtime.close_all_sessions()
        server.stop()
