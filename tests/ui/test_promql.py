"""PromQL blocks: one line that opens to the query, and links built by kubewhy with the query encoded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from app.ui.promql import duration, grafana_link, one_line, prometheus_link, split_excerpt
from tests.ui.helpers import plain

QUERY = 'sum by (pod) (rate(http_requests_total{code=~`5..`, pod=~`checkout-([a-z0-9]{5})`}[5m])) & "x"#y'
START = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
END = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_a_query_shows_as_its_first_line_cut_with_an_ellipsis():
    assert one_line("up") == "up"
    assert one_line("a" * 200, limit=20) == "a" * 19 + "…"
    assert one_line("first line\nsecond line") == "first line…"


def test_an_excerpt_gives_its_queries_and_the_other_lines():
    queries, rest = split_excerpt(f"PromQL: {QUERY}\n{{pod=x}}: last 5%\nPromQL: up")
    assert queries == [QUERY, "up"] and rest == "{pod=x}: last 5%"


def test_the_prometheus_link_holds_the_encoded_query_and_the_window():
    url = prometheus_link("https://prom.example/", QUERY, START, END)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "prom.example", "/graph")
    assert "#" not in url and '"' not in url and " " not in url
    params = parse_qs(parts.query)
    assert params["g0.expr"] == [QUERY]
    assert params["g0.range_input"] == ["1h"] and params["g0.end_input"] == ["2026-11-20 09:30:00"]


def test_the_grafana_link_opens_explore_with_the_query_and_the_range_in_milliseconds():
    url = grafana_link("http://grafana.local:3000", "prom-uid", QUERY, START, END)
    parts = urlsplit(url)
    assert parts.path == "/explore" and "#" not in url
    pane = json.loads(parse_qs(parts.query)["panes"][0])["kw"]
    assert pane["queries"][0]["expr"] == QUERY and pane["datasource"] == "prom-uid"
    assert pane["range"] == {
        "from": str(int(START.timestamp() * 1000)),
        "to": str(int(END.timestamp() * 1000)),
    }


def test_no_link_without_a_web_base_url():
    assert prometheus_link(None, QUERY, START, END) is None
    assert prometheus_link("javascript:alert(1)", QUERY, START, END) is None
    assert grafana_link("file:///etc", "p", QUERY, START, END) is None


def test_durations_read_as_prometheus_writes_them():
    assert [duration(s) for s in (3600, 5400, 45, 90061)] == ["1h", "1h30m", "45s", "1d1h1m1s"]


def _block() -> None:
    import streamlit as st

    from app.ui.promql import render_query
    from tools.contracts.settings import Settings

    settings = Settings(prometheus_public_url="https://prom.example", grafana_url="https://grafana.example")
    data = {"start": "2026-11-20T08:30:00+00:00", "end": "2026-11-20T09:30:00+00:00"}
    render_query(st.session_state["query"], data, settings, "q")


def test_the_block_is_folded_to_one_line_and_holds_the_full_query_and_both_links():
    at = AppTest.from_function(_block)
    at.session_state["query"] = QUERY
    at.run()
    assert not at.exception
    (expander,) = at.expander
    label = plain(expander.label)
    assert label.startswith("PromQL: sum by") and label.endswith("…") and len(label) < 100
    assert at.code[0].value == QUERY
    links = [node for node in at.get("link_button")]
    urls = [node.proto.url for node in links]
    assert len(urls) == 2 and urls[0].startswith("https://prom.example/graph?g0.expr=")
    assert urls[1].startswith("https://grafana.example/explore?")
