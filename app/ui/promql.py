"""PromQL as one line that opens to the full query, with links to run it in Prometheus or Grafana.

A generated query is long (quantiles, pod-name patterns) and wrapped it fills a card. The first line says
what it is; the expander holds it whole. The links are kubewhy's own: the base URLs come from the
settings (``KUBEWHY_PROMETHEUS_PUBLIC_URL``, ``KUBEWHY_GRAFANA_URL``), never from the cluster, and the
query and the time range are URL-encoded into them, so no text from a query can change where they go.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import streamlit as st

from app.ui.safe import md_line, plain
from tools.contracts.settings import Settings

PREFIX = "PromQL: "
ONE_LINE = 90


def one_line(query: str, limit: int = ONE_LINE) -> str:
    """The query's first line, cut with an ellipsis: what a card shows before it is opened."""
    lines = query.strip().splitlines() or [""]
    first = " ".join(lines[0].split())
    if len(first) > limit or len(lines) > 1:
        return first[: limit - 1].rstrip() + "…"
    return first


def split_excerpt(excerpt: str) -> tuple[list[str], str]:
    """(the queries, the rest): an excerpt's ``PromQL: ...`` lines are drawn as query blocks."""
    queries = [line[len(PREFIX) :] for line in excerpt.splitlines() if line.startswith(PREFIX)]
    rest = "\n".join(line for line in excerpt.splitlines() if not line.startswith(PREFIX))
    return queries, rest


def _base(url: str | None) -> str | None:
    """An http(s) base URL without a trailing slash, or None (unset, or not a web address)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url.strip().rstrip("/")


def duration(seconds: float) -> str:
    """A Prometheus duration ("1h", "1h30m", "45s") for the graph page's range box."""
    left = max(round(seconds), 1)
    text = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            text += f"{left // size}{unit}"
            left %= size
    return text


def prometheus_link(base: str | None, query: str, start: datetime, end: datetime) -> str | None:
    """The Prometheus graph page with this query over [start, end]."""
    root = _base(base)
    if root is None:
        return None
    params = {
        "g0.expr": query,
        "g0.tab": "0",
        "g0.range_input": duration((end - start).total_seconds()),
        "g0.end_input": f"{end:%Y-%m-%d %H:%M:%S}",
    }
    return f"{root}/graph?{urlencode(params, quote_via=quote)}"


def grafana_link(base: str | None, datasource: str, query: str, start: datetime, end: datetime) -> str | None:
    """Grafana Explore with this query on the Prometheus data source ``datasource`` over [start, end]."""
    root = _base(base)
    if root is None:
        return None
    source = {"type": "prometheus", "uid": datasource}
    pane = {
        "datasource": datasource,
        "queries": [{"refId": "A", "expr": query, "range": True, "datasource": source}],
        "range": {"from": str(int(start.timestamp() * 1000)), "to": str(int(end.timestamp() * 1000))},
    }
    params = {"schemaVersion": "1", "panes": json.dumps({"kw": pane}, separators=(",", ":"))}
    return f"{root}/explore?{urlencode(params, quote_via=quote)}"


def window(data: Any) -> tuple[datetime, datetime] | None:
    """The time range a Prometheus result covered (its ``start`` and ``end``), when it says."""
    if not isinstance(data, dict) or not data.get("start") or not data.get("end"):
        return None
    try:
        return datetime.fromisoformat(str(data["start"])), datetime.fromisoformat(str(data["end"]))
    except ValueError:
        return None


def render_query(query: str, data: Any, settings: Settings | None, key: str) -> None:
    """One query: a one-line expander holding the full text and, when configured, the links."""
    with st.expander(md_line(f"PromQL: {one_line(query)}", 140), icon=":material/query_stats:"):
        st.code(plain(query), language="promql", wrap_lines=True)
        span = window(data)
        if settings is None or span is None:
            return
        links = [
            ("Open in Prometheus", prometheus_link(settings.prometheus_public_url, query, *span)),
            (
                "Open in Grafana",
                grafana_link(settings.grafana_url, settings.grafana_datasource, query, *span),
            ),
        ]
        shown = [(label, url) for label, url in links if url]
        for column, (label, url) in zip(st.columns(max(len(shown), 1)), shown, strict=False):
            column.link_button(label, url, icon=":material/open_in_new:", key=f"{key}-{label}")
