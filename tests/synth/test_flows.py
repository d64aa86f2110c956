"""Flow records are Hubble GetFlowsResponse lines in exact protobuf-JSON form, telling the demo's story."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import pairwise

from google.protobuf import json_format

from app.demo import SHOP_SNAPSHOT
from tests.synth.helpers import flows
from tools.flows.proto import observer_pb2


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# Real flow.proto fields that the trimmed copy in tools/flows/proto does not declare.
NOT_IN_LOCAL_PROTO = {"ethernet", "Summary"}


def test_every_line_round_trips_through_the_protobuf_schema() -> None:
    lines = (SHOP_SNAPSHOT / "flows" / "hubble.jsonl").read_text().splitlines()
    assert len(lines) > 500
    for line in lines:
        original = json.loads(line)
        assert set(original["flow"]) - set(_local_fields()) <= NOT_IN_LOCAL_PROTO
        message = json_format.Parse(line, observer_pb2.GetFlowsResponse(), ignore_unknown_fields=True)
        again = json_format.MessageToDict(message, preserving_proto_field_name=True)
        expected = {
            **original,
            "flow": {k: v for k, v in original["flow"].items() if k not in NOT_IN_LOCAL_PROTO},
        }
        assert again == expected, line[:200]


def _local_fields() -> list[str]:
    return [
        f.name for f in observer_pb2.GetFlowsResponse.DESCRIPTOR.fields_by_name["flow"].message_type.fields
    ]


def test_flows_are_in_time_order_with_cluster_node_names() -> None:
    records = flows(SHOP_SNAPSHOT)
    times = [_time(r["time"]) for r in records]
    assert times == sorted(times)
    for record in records[:200]:
        assert record["node_name"].startswith("shop-prod/worker-")
        assert record["flow"]["node_name"] == record["node_name"]
        assert all(label.startswith("k8s:") for label in record["flow"]["source"]["labels"])


def test_checkout_to_postgres_is_dropped_by_policy_after_it_was_created_with_syn_retransmits() -> None:
    records = [r["flow"] for r in flows(SHOP_SNAPSHOT)]
    to_pg = [
        f
        for f in records
        if f["source"].get("workloads", [{}])[0].get("name") == "checkout"
        and f["destination"].get("pod_name") == "postgres-0"
    ]
    dropped = [f for f in to_pg if f["verdict"] == "DROPPED"]
    forwarded = [f for f in to_pg if f["verdict"] == "FORWARDED"]
    policy_created = _time("2026-11-20T08:52:00Z")
    assert dropped and forwarded
    assert all(_time(f["time"]) >= policy_created for f in dropped)
    assert all(_time(f["time"]) < policy_created for f in forwarded)
    for f in dropped:
        assert f["drop_reason_desc"] == "POLICY_DENIED" and f["event_type"] == {"type": 1, "sub_type": 133}
        assert f["l4"]["TCP"]["flags"] == {"SYN": True} and f["traffic_direction"] == "INGRESS"
    by_port: dict[int, list[datetime]] = {}
    for f in dropped:
        by_port.setdefault(f["l4"]["TCP"]["source_port"], []).append(_time(f["time"]))
    for moments in by_port.values():
        gaps = [round((b - a).total_seconds()) for a, b in pairwise(moments)]
        assert gaps == [1, 2, 4]
    catalog = [
        f
        for f in records
        if "k8s:app=catalog" in f["source"]["labels"] and f["destination"].get("pod_name") == "postgres-0"
    ]
    assert catalog and all(f["verdict"] == "FORWARDED" for f in catalog)


def test_dns_l7_flows_carry_rcode_and_latency_as_string() -> None:
    records = [r["flow"] for r in flows(SHOP_SNAPSHOT) if r["flow"]["Type"] == "L7"]
    responses = [f for f in records if f["l7"]["type"] == "RESPONSE"]
    assert responses and all(isinstance(f["l7"]["latency_ns"], str) for f in responses)
    nx = [f for f in responses if f["l7"]["dns"].get("rcode") == 3]
    assert nx and all(f["l7"]["dns"]["query"] == "api.stripe.com.shop.svc.cluster.local." for f in nx)
    assert all(f["is_reply"] for f in responses) and all(f["event_type"] == {"type": 129} for f in records)
