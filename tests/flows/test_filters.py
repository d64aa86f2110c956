"""FlowFilter semantics, table-driven: each case is a filter, a flow, and whether Hubble would match."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from devkit.flow_synth import dns_l7, envelope, http_l7, make_flow
from tests.flows.flow_builders import CHECKOUT, COREDNS, NOW, POSTGRES, WEB
from tools.flows.filters import FilterError, FlowFilter, line_prefilter, parse_selector, selects

T = NOW - timedelta(minutes=5)
DROP = make_flow(T, CHECKOUT, POSTGRES, verdict="DROPPED", destination_port=5432, direction="INGRESS")
WEB_TO_PG = make_flow(T, WEB, POSTGRES, destination_port=5432, flags=("SYN", "ACK"), direction="EGRESS")
DNS_NX = make_flow(
    T, COREDNS, CHECKOUT, protocol="UDP", source_port=53, destination_port=40000,
    l7=dns_l7("postgress.data.svc.cluster.local.", 3), is_reply=True,
)  # fmt: skip
HTTP_503 = make_flow(T, POSTGRES, WEB, source_port=8080, l7=http_l7(503), is_reply=True, node="worker-2")
ICMP = make_flow(T, WEB, "1.1.1.1", protocol="ICMPv4", verdict="FORWARDED")

CASES = [
    # (case id, filter fields, flow, expected)
    ("pod ns/prefix", {"source_pod": ["shop/checkout"]}, DROP, True),
    ("pod ns/ only", {"destination_pod": ["data/"]}, DROP, True),
    ("pod wrong ns", {"source_pod": ["data/checkout"]}, DROP, False),
    ("pod prefix any ns", {"source_pod": ["checkout-7d9f"]}, DROP, True),
    ("pod prefix mismatch", {"source_pod": ["cart"]}, DROP, False),
    ("pod on world endpoint", {"destination_pod": ["1.1"]}, ICMP, False),
    ("pods ORed", {"source_pod": ["shop/cart", "shop/web"]}, WEB_TO_PG, True),
    ("label with source", {"source_label": ["k8s:app=checkout"]}, DROP, True),
    ("label without source", {"source_label": ["app=checkout"]}, DROP, True),
    ("label mismatch", {"source_label": ["app=web"]}, DROP, False),
    ("label in", {"destination_label": ["app in (postgres, mysql)"]}, DROP, True),
    ("label notin", {"destination_label": ["app notin (postgres)"]}, DROP, False),
    ("label != ", {"destination_label": ["app!=mysql"]}, DROP, True),
    ("label exists", {"destination_label": ["app"]}, DROP, True),
    ("label not exists", {"destination_label": ["!app"]}, DROP, False),
    ("label AND", {"source_label": ["app=checkout,io.kubernetes.pod.namespace=shop"]}, DROP, True),
    ("label reserved", {"destination_label": ["reserved:world"]}, ICMP, True),
    ("workload name", {"destination_workload": [{"name": "postgres"}]}, DROP, True),
    ("workload kind", {"destination_workload": [{"name": "postgres", "kind": "statefulset"}]}, DROP, True),
    ("workload kind mismatch", {"destination_workload": [{"kind": "Deployment"}]}, DROP, False),
    ("verdict", {"verdict": ["DROPPED"]}, DROP, True),
    ("verdict ORed", {"verdict": ["FORWARDED", "ERROR"]}, DROP, False),
    ("verdict lower-case accepted", {"verdict": ["dropped"]}, DROP, True),
    ("event type", {"event_type": [{"type": 1}]}, DROP, True),
    ("event subtype", {"event_type": [{"type": 1, "match_sub_type": True, "sub_type": 133}]}, DROP, True),
    (
        "event subtype mismatch",
        {"event_type": [{"type": 1, "match_sub_type": True, "sub_type": 5}]},
        DROP,
        False,
    ),
    ("http 5+", {"http_status_code": ["5+"]}, HTTP_503, True),
    ("http exact", {"http_status_code": ["503"]}, HTTP_503, True),
    ("http 4+", {"http_status_code": ["4+"]}, HTTP_503, False),
    ("http on non-http", {"http_status_code": ["5+"]}, DROP, False),
    ("protocol tcp", {"protocol": ["tcp"]}, DROP, True),
    ("protocol udp", {"protocol": ["UDP"]}, DROP, False),
    ("protocol icmp", {"protocol": ["icmp"]}, ICMP, True),
    ("protocol dns", {"protocol": ["dns"]}, DNS_NX, True),
    ("protocol http", {"protocol": ["http"]}, DNS_NX, False),
    ("destination port", {"destination_port": ["5432"]}, DROP, True),
    ("source port", {"source_port": ["53"]}, DNS_NX, True),
    ("port mismatch", {"destination_port": ["5433"]}, DROP, False),
    ("port on icmp", {"destination_port": ["0"]}, ICMP, False),
    ("dns regex", {"dns_query": [r"postgres+\.data"]}, DNS_NX, True),
    ("dns regex mismatch", {"dns_query": ["^redis"]}, DNS_NX, False),
    ("direction", {"traffic_direction": ["INGRESS"]}, DROP, True),
    ("direction mismatch", {"traffic_direction": ["EGRESS"]}, DROP, False),
    ("node exact", {"node_name": ["prod/worker-2"]}, HTTP_503, True),
    ("node glob", {"node_name": ["worker-*"]}, HTTP_503, True),
    ("node cluster prefix", {"node_name": ["prod/"]}, HTTP_503, True),
    ("node mismatch", {"node_name": ["staging/"]}, HTTP_503, False),
    ("fields ANDed", {"source_pod": ["shop/"], "verdict": ["FORWARDED"]}, DROP, False),
    ("empty filter", {}, DROP, True),
]


@pytest.mark.parametrize(("case", "fields", "flow", "expected"), CASES, ids=[case[0] for case in CASES])
def test_filter_semantics(case: str, fields: dict, flow: dict, expected: bool) -> None:
    flow_filter = FlowFilter.from_dict(fields)
    assert flow_filter.matches(flow) is expected


@pytest.mark.parametrize(("case", "fields", "flow", "expected"), CASES, ids=[case[0] for case in CASES])
def test_line_prefilter_never_rejects_a_match(case: str, fields: dict, flow: dict, expected: bool) -> None:
    """The raw-line shortcut is only a necessary condition, whatever JSON spacing the writer used."""
    prefilter = line_prefilter([FlowFilter.from_dict(fields)])
    if prefilter is None or not expected:
        return
    for separators in ((",", ":"), (", ", ": ")):
        for record in (envelope(flow), flow):
            line = json.dumps(record, separators=separators).encode()
            assert prefilter.test(line)
            assert any(token in line for token in prefilter.seek)


def test_prefilter_rejects_lines_that_cannot_match() -> None:
    prefilter = line_prefilter([FlowFilter(verdict=["DROPPED"])])
    assert prefilter is not None
    assert prefilter.seek == (b'"DROPPED"',)
    assert prefilter.test(json.dumps(envelope(DROP)).encode())
    assert not prefilter.test(json.dumps(envelope(WEB_TO_PG)).encode())
    ports = line_prefilter([FlowFilter(destination_port=["53"]), FlowFilter(source_pod=["shop/web"])])
    assert ports is not None
    assert {b'_port":53', b'_port": 53'} < set(ports.seek)
    assert len(ports.seek) == 3
    assert line_prefilter([FlowFilter(verdict=["DROPPED"]), FlowFilter()]) is None


def test_whitelist_is_ored_and_blacklist_excludes() -> None:
    whitelist = [FlowFilter(verdict=["DROPPED"]), FlowFilter(protocol=["dns"])]
    assert selects(DROP, whitelist)
    assert selects(DNS_NX, whitelist)
    assert not selects(WEB_TO_PG, whitelist)
    assert not selects(DROP, whitelist, [FlowFilter(destination_port=["5432"])])
    assert selects(WEB_TO_PG, None, [FlowFilter(verdict=["DROPPED"])])


def test_wire_form_round_trips() -> None:
    fields = {
        "source_pod": ["shop/checkout"],
        "destination_workload": [{"name": "postgres", "kind": "StatefulSet"}],
        "verdict": ["DROPPED"],
        "event_type": [{"type": 1, "match_sub_type": True, "sub_type": 133}],
        "destination_port": ["5432"],
        "http_status_code": ["5+"],
    }
    assert FlowFilter.from_dict(fields).to_dict() == fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"verdict": ["BLOCKED"]}, "verdict"),
        ({"destination_port": ["http"]}, "destination_port"),
        ({"destination_port": ["70000"]}, "destination_port"),
        ({"http_status_code": ["5xx"]}, "http_status_code"),
        ({"protocol": ["quic"]}, "protocol"),
        ({"traffic_direction": ["UP"]}, "traffic_direction"),
        ({"source_ip": ["1.2.3.4"]}, "source_ip"),
    ],
)
def test_bad_values_name_the_field(fields: dict, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        FlowFilter.from_dict(fields)


def test_bad_regex_and_selector_are_clear_errors() -> None:
    with pytest.raises(FilterError, match="dns_query"):
        FlowFilter(dns_query=["(unclosed"]).matches(DNS_NX)
    with pytest.raises(FilterError, match="label selector"):
        parse_selector("app=web,=x")
    with pytest.raises(FilterError, match="source_pod"):
        FlowFilter(source_pod=["/"]).matches(DROP)
