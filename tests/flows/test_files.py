"""The snapshot flow-file source: envelopes, bare flows, skipped response types, bad lines, windows,
limits, gzip, and the flow model's reading of the records."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest

from devkit.flow_synth import dns_l7, envelope, make_flow
from tests.flows.flow_builders import CHECKOUT, COREDNS, NOW, POSTGRES, WEB
from tools.flows.files import FileFlowSource
from tools.flows.filters import FlowFilter
from tools.flows.model import FlowView, parse_epoch, unwrap
from tools.flows.source import FlowSource, FlowSourceError


def _flows(count: int, verdict: str = "FORWARDED") -> list[dict]:
    return [
        make_flow(NOW - timedelta(minutes=count - i), WEB, POSTGRES, verdict=verdict, destination_port=5432)
        for i in range(count)
    ]


def test_reads_envelopes_and_bare_flows_and_skips_other_response_types(tmp_path: Path) -> None:
    flows = _flows(4)
    lines = [
        json.dumps(envelope(flows[0])),
        json.dumps(flows[1]),  # bare Flow
        json.dumps({"node_status": {"state_change": "NODE_CONNECTED", "node_names": ["prod/worker-1"]}}),
        json.dumps({"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "12"}}),
        "",
        "{not json",
        json.dumps([1, 2]),
        json.dumps(envelope(flows[2])),
        json.dumps(envelope(flows[3])),
    ]
    path = tmp_path / "node.jsonl"
    path.write_text("\n".join(lines) + "\n")
    source = FileFlowSource([path])
    assert isinstance(source, FlowSource)
    got = list(source.iter_flows())
    assert [flow["uuid"] for flow in got] == [flow["uuid"] for flow in flows]
    stats = source.last_stats
    assert stats.non_flow == 2
    assert stats.bad_lines == 2
    assert stats.problems[0].startswith("node.jsonl:6: not valid JSON")


def test_envelope_supplies_node_name_and_time_to_the_flow() -> None:
    flow = {"verdict": "FORWARDED", "IP": {"source": "10.0.0.1"}}
    inner = unwrap({"flow": flow, "node_name": "prod/worker-3", "time": "2026-11-20T09:00:00Z"})
    assert inner is not None
    assert inner["node_name"] == "prod/worker-3"
    assert inner["time"] == "2026-11-20T09:00:00Z"
    assert unwrap({"node_status": {}}) is None
    assert unwrap({"hello": "world"}) is None


def test_time_window_is_inclusive_and_limit_keeps_last_or_first(tmp_path: Path) -> None:
    flows = _flows(10)  # one per minute, the last one at NOW - 1 min
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(envelope(flow)) + "\n" for flow in flows))
    source = FileFlowSource([path])
    since, until = NOW - timedelta(minutes=6), NOW - timedelta(minutes=3)
    window = list(source.iter_flows(since=since, until=until))
    assert [f["uuid"] for f in window] == [f["uuid"] for f in flows[4:8]]
    last = list(source.iter_flows(limit=3))
    assert [f["uuid"] for f in last] == [f["uuid"] for f in flows[-3:]]
    first = list(source.iter_flows(limit=3, first=True))
    assert [f["uuid"] for f in first] == [f["uuid"] for f in flows[:3]]


def test_filters_and_blacklist_apply(tmp_path: Path) -> None:
    flows = [*_flows(3), *_flows(2, verdict="DROPPED")]
    path = tmp_path / "f.jsonl"
    path.write_text("".join(json.dumps(envelope(flow)) + "\n" for flow in flows))
    source = FileFlowSource([tmp_path])
    assert len(list(source.iter_flows([FlowFilter(verdict=["DROPPED"])]))) == 2
    assert len(list(source.iter_flows(exclude=[FlowFilter(verdict=["DROPPED"])]))) == 3


def test_directories_and_gzip(tmp_path: Path) -> None:
    (tmp_path / "flows" / "a").mkdir(parents=True)
    (tmp_path / "flows" / "a" / "one.jsonl").write_text(json.dumps(envelope(_flows(1)[0])) + "\n")
    with gzip.open(tmp_path / "flows" / "two.jsonl.gz", "wt") as handle:
        handle.write(json.dumps(envelope(_flows(1)[0])) + "\n")
    (tmp_path / "flows" / "notes.txt").write_text("ignored")
    source = FileFlowSource([tmp_path / "flows"])
    assert len(source.paths) == 2
    assert len(list(source.iter_flows())) == 2


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FlowSourceError, match="does not exist"):
        FileFlowSource([tmp_path / "nope.jsonl"])


def test_flow_without_time_is_reported_when_a_window_is_asked(tmp_path: Path) -> None:
    flow = _flows(1)[0]
    del flow["time"]
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(flow) + "\n")
    source = FileFlowSource([path])
    assert list(source.iter_flows(since=NOW - timedelta(hours=1))) == []
    assert "no readable time" in source.last_stats.problems[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T09:30:00Z", NOW.timestamp()),
        ("2026-11-20T09:30:00.250000000Z", NOW.timestamp() + 0.25),
        ("2026-11-20T11:30:00.5+02:00", NOW.timestamp() + 0.5),
        ("2026-11-20T10:30:00.123456789+01:00", NOW.timestamp() + 0.123456),
        ("yesterday", None),
    ],
)
def test_parse_epoch(text: str, expected: float | None) -> None:
    result = parse_epoch(text)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-6)


def test_view_reads_ports_flags_and_turns_replies_around() -> None:
    reply = make_flow(
        NOW, COREDNS, CHECKOUT, protocol="UDP", source_port=53, destination_port=40000,
        l7=dns_l7("postgres.data.svc.cluster.local.", 3), is_reply=True,
    )  # fmt: skip
    view = FlowView(reply)
    assert view.protocol == "UDP"
    assert view.service_port == 53
    assert view.oriented() == ("shop/checkout", "kube-system/coredns", 53, True)
    summary = view.summary()
    assert summary.startswith(
        "09:30:00 shop/checkout-7d9f8c6b5-x2lqp <- kube-system/coredns-5d78c9869d-4vq7z:53 UDP"
    )
    assert summary.endswith("dns response postgres.data.svc.cluster.local. NXDOMAIN")
    syn = FlowView(
        make_flow(NOW, WEB, "93.184.216.34", flags=("SYN",), verdict="DROPPED", drop_reason="POLICY_DENY")
    )
    assert syn.tcp_flags == {"SYN"}
    assert syn.destination_name == "world(93.184.216.34)"
    assert "TCP[SYN] DROPPED POLICY_DENY egress" in syn.summary()


def test_open_flow_source_prefers_snapshot_files(tmp_path: Path) -> None:
    from tools.contracts.settings import Settings
    from tools.flows.connect import open_flow_source

    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(envelope(_flows(1)[0])) + "\n")
    source = open_flow_source(Settings(hubble_address="127.0.0.1:4245"), [path])
    assert isinstance(source, FileFlowSource)
    assert open_flow_source(Settings(hubble_address=None)) is None
