"""Sharing an answer, through AppTest on the demo cluster with a real SQLite history: the Markdown to copy,
the JSON document, and a permalink that a fresh browser session opens on the History page."""

from __future__ import annotations

import pytest

from app.render import render_markdown
from app.ui.export import permalink
from tests.ui.helpers import contains, plain
from tests.ui.test_pages import Places, go, run_restarts

pytestmark = pytest.mark.prometheus

CHECKOUT = "why are orders failing at checkout?"


@pytest.fixture
def places(tmp_path) -> Places:
    return Places(f"sqlite:///{tmp_path}/history.db", tmp_path / "runbooks")


@pytest.mark.parametrize(
    ("page_url", "expected"),
    [
        ("http://localhost:8501/", "http://localhost:8501/history?run=7"),
        ("http://localhost:8501/chat?x=1", "http://localhost:8501/history?run=7"),
        ("https://ops.example/kubewhy/runbooks", "https://ops.example/kubewhy/history?run=7"),
        ("https://ops.example/kubewhy/history?run=3", "https://ops.example/kubewhy/history?run=7"),
        (None, "/history?run=7"),
    ],
)
def test_a_permalink_is_the_history_page_on_the_same_server(page_url, expected):
    assert permalink(page_url, 7) == expected


def test_an_answer_offers_its_markdown_its_json_and_a_permalink_that_a_new_session_opens(page, places):
    at = page(**places.env)
    at.run()
    at.chat_input[0].set_value(CHECKOUT).run()
    assert not at.exception, at.exception
    [run] = places.store().list_runs()
    answer = at.chat_message[1]

    [markdown] = [c for c in answer.code if c.language == "markdown"]
    assert markdown.value == render_markdown(run.diagnosis)
    assert "fix **NetworkPolicy data\\/postgres\\-allow\\-catalog**" in markdown.value
    buttons = [b for b in at.get("download_button") if b.proto.label == "Download JSON"]
    assert len(buttons) == 1
    [link] = [c.value for c in answer.code if c.value.endswith(f"/history?run={run.id}")]

    fresh = page(**places.env)  # another browser: nothing in its session, only the link
    fresh.query_params["run"] = str(run.id)
    go(fresh, "history")
    assert fresh.selectbox(key="history-open").value == run.id
    assert contains(fresh, f"run #{run.id}")
    assert any("fix" in m.value and "postgres-allow-catalog" in plain(m.value) for m in fresh.markdown)
    assert link.endswith(f"history?run={run.id}")


def test_a_runbook_run_has_a_permalink_and_an_unknown_run_is_named(page, places):
    at = go(page(**places.env), "runbooks")
    run_restarts(at, namespace="shop", workload="payments")
    [run] = places.store().list_runs()
    assert any(c.value.endswith(f"/history?run={run.id}") for c in at.code)

    fresh = page(**places.env)
    fresh.query_params["run"] = str(run.id + 100)
    go(fresh, "history")
    assert f"Run #{run.id + 100} of the link is not in this history." in [w.value for w in fresh.warning]
    assert fresh.selectbox(key="history-open").value == run.id  # the latest one instead
