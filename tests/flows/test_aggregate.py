"""Aggregations checked against a brute-force count over generated flow lines."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from devkit.flow_synth import make_flow, pod, traffic_mix
from tests.flows.flow_builders import CART, CHECKOUT, NOW, POSTGRES, WEB
from tools.flows.aggregate import OTHER, DnsStats, DropStats, FlowGroups, HttpStats, PairHistory, WorkloadRef
from tools.flows.model import unwrap


def generated(count: int = 4000) -> list[dict]:
    flows = [unwrap(record) for record in traffic_mix(count, NOW - timedelta(hours=1), seed=11)]
    return [flow for flow in flows if flow is not None]


def test_drops_match_a_brute_force_count() -> None:
    flows = generated()
    stats = DropStats()
    for flow in flows:
        stats.add(flow)
    dropped = [flow for flow in flows if flow["verdict"] == "DROPPED"]
    assert stats.total == len(dropped) > 0
    assert stats.by_reason == Counter(flow["drop_reason_desc"] for flow in dropped)
    (row,) = stats.top_pairs(10)
    assert row["source"] == "shop/checkout" and row["destination"] == "data/postgres"
    assert (row["port"], row["protocol"], row["reason"], row["direction"]) == (
        5432,
        "TCP",
        "POLICY_DENIED",
        "INGRESS",
    )
    assert row["count"] == len(dropped)
    assert row["first_seen"] == dropped[0]["time"][11:19]
    assert row["last_seen"] == dropped[-1]["time"][11:19]


def test_dns_failures_match_a_brute_force_count() -> None:
    flows = generated()
    stats = DnsStats()
    for flow in flows:
        stats.add(flow)
    answers = [flow for flow in flows if "dns" in (flow.get("l7") or {})]
    failures = [flow for flow in answers if flow["l7"]["dns"].get("rcode")]
    assert stats.responses == len(answers)
    assert stats.by_rcode[3] == len(failures) > 0
    (row,) = stats.failure_rows(5)
    assert row == {
        "query": "postgress.data.svc.cluster.local.",
        "rcode": "NXDOMAIN",
        "rcode_number": 3,
        "client": "shop/checkout",
        "count": len(failures),
        "first_seen": failures[0]["time"][11:19],
        "last_seen": failures[-1]["time"][11:19],
    }
    assert stats.l4_flows == 0


def test_l4_only_dns_counts_dropped_lookups() -> None:
    coredns = pod("kube-system", "coredns", "10.0.0.10", {"k8s-app": "kube-dns"})
    stats = DnsStats()
    for second in range(5):
        stats.add(
            make_flow(
                NOW + timedelta(seconds=second),
                CHECKOUT,
                coredns,
                protocol="UDP",
                destination_port=53,
                verdict="DROPPED",
                direction="EGRESS",
            )
        )
    stats.add(make_flow(NOW, WEB, coredns, protocol="UDP", destination_port=53))
    stats.add(make_flow(NOW, WEB, CART, protocol="UDP", destination_port=5353))
    assert stats.l7_flows == 0
    assert stats.l4_flows == 6
    assert stats.l4_verdicts == Counter({"DROPPED": 5, "FORWARDED": 1})
    (row,) = stats.l4_drop_rows(5)
    assert (row["client"], row["server"], row["reason"], row["count"]) == (
        "shop/checkout",
        "kube-system/coredns",
        "POLICY_DENIED",
        5,
    )


def test_http_errors_by_destination() -> None:
    flows = generated()
    stats = HttpStats(min_status=500)
    for flow in flows:
        stats.add(flow)
    answers = [flow for flow in flows if "http" in (flow.get("l7") or {})]
    errors = [flow for flow in answers if flow["l7"]["http"]["code"] >= 500]
    (row,) = stats.rows(5)
    assert row["destination"] == "shop/cart"
    assert (row["responses"], row["errors"]) == (len(answers), len(errors))
    assert row["codes"] == {"503": len(errors)}
    assert row["top_request"] == "GET http://cart.shop:8080/api/cart"
    assert row["top_client"] == "shop/web"


def test_pair_history_sees_rst_from_a_port_nobody_listens_on() -> None:
    history = PairHistory(WorkloadRef.parse("shop/web"), WorkloadRef.parse("cart"))
    for second in range(0, 180, 20):
        moment = NOW + timedelta(seconds=second)
        port = 50000 + second
        history.add(make_flow(moment, WEB, CART, source_port=port, destination_port=8081, flags=("SYN",)))
        history.add(
            make_flow(
                moment,
                CART,
                WEB,
                source_port=8081,
                destination_port=port,
                flags=("RST", "ACK"),
                is_reply=True,
                direction="INGRESS",
            )
        )
    history.add(make_flow(NOW, WEB, POSTGRES, destination_port=5432))  # another pair: ignored
    assert history.verdicts == Counter({"FORWARDED": 9})
    assert history.rst_replies == 9
    assert history.rst_ports == Counter({8081: 9})
    assert history.syn_retransmits == 0
    buckets = history.bucket_rows()
    assert [row["bucket_start"] for row in buckets] == [
        "2026-11-20T09:30:00Z",
        "2026-11-20T09:31:00Z",
        "2026-11-20T09:32:00Z",
    ]
    assert sum(row.get("RST", 0) for row in buckets) == 9


def test_pair_history_counts_syn_retransmits_of_a_blocked_connection() -> None:
    history = PairHistory(WorkloadRef.parse("shop/checkout"), WorkloadRef.parse("data/postgres"))
    for connection in range(4):
        port = 40000 + connection
        for delay in (0, 1, 3, 7):  # the kernel retries after about 1, 2, 4 s
            moment = NOW + timedelta(seconds=connection * 30 + delay)
            history.add(
                make_flow(
                    moment, CHECKOUT, POSTGRES, verdict="DROPPED", source_port=port, destination_port=5432
                )
            )
    assert history.syns == 16
    assert history.syn_retransmits == 12
    assert history.drop_reasons == Counter({"POLICY_DENIED": 16})
    assert history.rst_replies == 0


def test_groups_turn_replies_around_and_cap_distinct_keys() -> None:
    groups = FlowGroups(keep=3, max_keys=2)
    groups.add(make_flow(NOW, WEB, CART))
    groups.add(make_flow(NOW, CART, WEB, source_port=8080, destination_port=43512, is_reply=True))
    groups.add(make_flow(NOW, CHECKOUT, POSTGRES, destination_port=5432))
    groups.add(make_flow(NOW, CHECKOUT, CART, destination_port=8080))
    rows = groups.group_rows(10)
    assert groups.total == 4
    assert len(groups.recent) == 3
    by_reply = {row.get("replies"): row for row in rows if row["source"] != OTHER}
    assert by_reply[True]["source"] == "shop/web" and by_reply[True]["destination"] == "shop/cart"
    assert by_reply[True]["port"] == 8080
    assert next(row for row in rows if row["source"] == OTHER)["count"] == 2
