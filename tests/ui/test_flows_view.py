"""The flows view's parts on the demo cluster's own flows: the pair read after a policy drop, the
Hubble-style rows with the attributed policy, and the verdict change the timeline marks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.demo import SHOP_SNAPSHOT
from app.engine import ask, open_session
from app.ui.flows import (
    COLUMNS,
    attributions,
    flow_table,
    follow_policy_drops,
    pair_query,
    related_flows,
    timeline_chart,
    verdict_change,
)
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolResult

pytestmark = pytest.mark.prometheus


@pytest.fixture(scope="module")
def checkout() -> Iterator[dict[str, ToolResult]]:
    session = open_session(Settings(llm="none"), snapshot=SHOP_SNAPSHOT)
    try:
        ledger = Ledger()
        ask(session, "why are orders failing at checkout?", ledger=ledger)
        follow_policy_drops(session.ctx, ledger)
        follow_policy_drops(session.ctx, ledger)  # once only
        yield {evidence_id: entry.result for evidence_id, entry in ledger.entries.items()}
    finally:
        session.close()


def test_a_policy_drop_is_followed_by_one_read_of_the_pairs_flows(checkout):
    follow_ups = [r for r in checkout.values() if r.tool == "flows_query"]
    assert len(follow_ups) == 1 and not follow_ups[0].error
    args = follow_ups[0].args
    assert (args["namespace"], args["workload"], args["side"], args["port"]) == (
        "shop",
        "checkout",
        "source",
        5432,
    )
    policy = next(r for r in checkout.values() if r.tool == "flows_policy")
    assert related_flows(policy, checkout) is follow_ups[0]


def test_the_table_has_hubbles_columns_and_names_the_policy_of_each_drop(checkout):
    policy = next(r for r in checkout.values() if r.tool == "flows_policy")
    table = flow_table(related_flows(policy, checkout), attributions(checkout))
    assert list(table.columns) == COLUMNS
    first = table.iloc[0].to_dict()
    assert first == {
        "time": "08:30:20",
        "source": "shop/checkout-sglv88tzpm-kvjb8",
        "destination": "data/postgres",
        "port": "5432/TCP",
        "verdict": "FORWARDED",
        "drop reason": "",
        "policy": "",
    }
    dropped = table[table["verdict"] == "DROPPED"]
    assert len(dropped) == 52 and set(dropped["policy"]) == {"data/postgres-allow-catalog"}


def test_the_timeline_marks_when_forwarded_turned_to_dropped(checkout):
    flows = next(r for r in checkout.values() if r.tool == "flows_query")
    moment, before, after = verdict_change(flows.data["flows"])
    assert (before, after) == ("FORWARDED", "DROPPED")
    assert (
        datetime(2026, 11, 20, 8, 49, 36, tzinfo=UTC) < moment <= datetime(2026, 11, 20, 8, 52, 7, tzinfo=UTC)
    )
    spec = timeline_chart(flows.data).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "rule", "text"]
    rows = [row for data in spec["datasets"].values() for row in data]
    assert sum(row.get("flows", 0) for row in rows) == 59
    assert any(row.get("change", "").startswith("FORWARDED → DROPPED at 08:5") for row in rows)


def test_no_follow_up_for_a_source_that_is_not_a_workload():
    window = {"since": "2026-11-20T08:30:00Z", "until": "2026-11-20T09:30:00Z"}
    assert pair_query({"source": "10.0.0.7", "port": 53}, window) is None
    assert pair_query({"source": "shop/checkout", "port": None}, window) is None
    assert pair_query({"source": "shop/checkout", "port": 80}, window)["since_minutes"] == 60


def test_a_single_verdict_has_no_change():
    flows = [{"time": "2026-11-20T08:30:00Z", "verdict": "DROPPED"}] * 3
    assert verdict_change(flows) is None
