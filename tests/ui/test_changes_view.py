"""What changed before the onset, on the chat page through Streamlit's AppTest on the demo (real snapshot API
server, real Prometheus): the cart answer draws its timeline (the promotion's traffic jump, the payments
rollout, cart's requests collapsing) with the onset marked, each change backed by cited evidence; and no
text the page draws writes "(s)" for a count."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from app.ui.changes import changes_chart
from tests.ui.helpers import plain, texts
from tools.contracts.diagnosis import Answer, Change

pytestmark = pytest.mark.prometheus

CART = "Why do shoppers get errors when they open their cart?"
CATALOG = "Why has the product catalog been so slow since about 9 o'clock?"
TITLE = "What changed before the onset"


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def rows(chart: Any) -> list[dict[str, Any]]:
    """Every data row a chart draws: its named datasets, which the page sends apart from the spec (Arrow)."""
    return [
        row
        for dataset in chart.proto.datasets
        for row in convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")
    ]


def timelines(at: AppTest) -> list[Any]:
    return [
        c for c in at.get("vega_lite_chart") if json.loads(c.proto.spec).get("title", {}).get("text") == TITLE
    ]


def test_the_cart_answer_draws_what_changed_before_its_onset_with_the_onset_marked(page):
    at = page()
    at.run()
    ask(at, CART)
    [timeline] = timelines(at)
    layers = json.loads(timeline.proto.spec)["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["rule", "point", "text", "text"]
    drawn = rows(timeline)
    changes = {row["what"]: row for row in drawn if "what" in row}
    traffic = [what for what, row in changes.items() if row["kind"] == "traffic"]
    assert any(w.startswith("requests to Service shop/catalog rose from 30 to ") for w in traffic), traffic
    assert any(w.startswith("requests to Service shop/cart fell from 15 to ") for w in traffic), traffic
    rollouts = [what for what, row in changes.items() if row["kind"] == "rollout"]
    assert rollouts == [
        "Deployment shop/payments rolled out ReplicaSet payments-lm2kvkchd7 "
        "(registry.example.com/shop/payments:2.8.0)"
    ]
    [onset] = [row for row in drawn if "onset" in row]
    assert onset["onset"] == "onset 09:14"
    # every change is before the onset, the first of them the promotion's jump at 09:00
    times = sorted(row["time"] for row in changes.values())
    assert times[0] == "2026-11-20T09:00:00+00:00" and max(times) <= onset["time"]  # ISO, in UTC

    # under the chart, the same changes numbered as on their points, each with the evidence that shows it
    assert [row["number"] for row in sorted(changes.values(), key=lambda r: r["time"])] == ["1", "2", "3"]
    [listed] = [
        text for text in texts(at) if text.startswith("1. **09:00** requests to Service shop/catalog")
    ]
    assert [line.split(" ", 1)[0] for line in listed.splitlines()] == ["1.", "2.", "3."]
    cited = re.findall(r"· evidence (e\d+)$", listed, re.MULTILINE)
    assert len(cited) == 3, listed
    finding_expander = next(e for e in at.expander if plain(e.label).startswith("Evidence: e1"))
    assert set(cited) <= set(plain(finding_expander.label).removeprefix("Evidence: ").split(", "))
    labels = [plain(e.label) for e in at.expander]
    assert any(label.startswith(f"{cited[0]} · prom_check check=http_request_rate") for label in labels)


def test_an_answer_without_an_onset_or_changes_draws_no_timeline():
    change = Change(at="2026-11-20T09:05:00Z", what="Deployment shop/payments rolled out", kind="rollout")
    assert changes_chart(Answer(changes=[change])) is None  # no onset: nothing to put it before
    assert changes_chart(Answer(since="2026-11-20T09:14:00Z")) is None
    chart = changes_chart(Answer(since="2026-11-20T09:14:00Z", changes=[change])).to_dict()
    x_domain = chart["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert x_domain == ["2026-11-20T08:44:00+00:00", "2026-11-20T09:16:00+00:00"]  # the searched window


def page_words(at: AppTest) -> list[str]:
    """Every text the page shows: Markdown, captions, code, labels of expanders, statuses and buttons,
    alerts, chart titles and data, table cells."""
    words = texts(at)
    words += [plain(e.label) for e in at.expander] + [plain(s.label) for s in at.status]
    words += [plain(b.label) for b in at.button]
    words += [plain(item.value) for kind in ("error", "warning", "info", "success") for item in at.get(kind)]
    words += [json.dumps(spec) for spec in charts(at)]
    words += [str(row) for chart in at.get("vega_lite_chart") for row in rows(chart)]
    words += [frame.value.to_csv() for frame in at.dataframe]
    return words


def test_no_text_the_page_draws_for_the_demo_answers_writes_s_plurals(page):
    at = page()
    at.run()
    for question in (CART, CATALOG):
        ask(at, question)
    words = page_words(at)
    assert len(at.chat_message) == 4 and any(TITLE in w for w in words)
    assert not [w for w in words if "(s)" in w]
