"""ServicePortMismatch: targetPort (number or name) against containerPorts, RST replies, refused logs."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import service_ports
from tests.diagnose.analyzers.factories import endpoint, facts, pod, service, tcp_flow, ts
from tools.contracts.diagnosis import Category

LABELS = {"app": "checkout"}
HTTP_8080 = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def checkout_pods(ports=HTTP_8080):
    return [
        pod("checkout-7d9f8c6b5-x2lqp", labels=LABELS, owner_rs="checkout-7d9f8c6b5", ports=ports),
        pod("checkout-7d9f8c6b5-k8zqw", labels=LABELS, owner_rs="checkout-7d9f8c6b5", ports=ports),
    ]


def rst_reply(seconds_ago: float, port: int = 8081):
    src = endpoint("shop", "checkout-7d9f8c6b5-x2lqp", LABELS, "checkout")
    dst = endpoint("shop", "frontend-6c8d7f9b4-2xkqp", {"app": "frontend"}, "frontend")
    return tcp_flow(
        src,
        dst,
        43512,
        seconds_ago,
        verdict="FORWARDED",
        drop_reason=None,
        flags={"RST": True, "ACK": True},
        is_reply=True,
        sport=port,
        direction="INGRESS",
    )


REFUSED = {
    ("shop", "frontend-6c8d7f9b4-2xkqp", "app", False): (
        f"{ts(1)} error calling checkout: dial tcp 10.96.45.12:80: connect: connection refused\n"
    )
}

CASES = [
    (
        "numeric targetPort not declared, RST replies from the pod port",
        facts(*checkout_pods(), service("checkout", target_port=8081), flows=[rst_reply(30), rst_reply(20)]),
        (Category.ServicePortMismatch, "Service", "shop", "checkout"),
        0.85,
    ),
    (
        "named targetPort that no container declares",
        facts(*checkout_pods(), service("checkout", target_port="web")),
        (Category.ServicePortMismatch, "Service", "shop", "checkout"),
        0.85,
    ),
    (
        "numeric mismatch with refused connections in a client's log",
        facts(*checkout_pods(), service("checkout", target_port=9090), logs=REFUSED),
        (Category.ServicePortMismatch, "Service", "shop", "checkout"),
        0.7,
    ),
    (
        "healthy: named targetPort matches",
        facts(*checkout_pods(), service("checkout", target_port="http")),
        None,
        None,
    ),
    (
        "healthy: numeric port matches; old RSTs from another port are history",
        facts(*checkout_pods(), service("checkout", target_port=8080), flows=[rst_reply(3 * 3600)]),
        None,
        None,
    ),
    (
        "undeclared ports and no traffic evidence: nothing to say",
        facts(*checkout_pods(ports=[]), service("checkout", target_port=8080)),
        None,
        None,
    ),
]


@pytest.mark.parametrize(("name", "given", "expected", "min_conf"), CASES, ids=[c[0] for c in CASES])
def test_service_ports(name, given, expected, min_conf):
    found = service_ports.analyze(given)
    if expected is None:
        assert found == []
        return
    (top,) = found
    assert (top.category, top.resource.kind, top.resource.namespace, top.resource.name) == expected
    assert top.confidence >= min_conf
    assert top.cites and top.next_steps


def test_rst_citation_names_the_pod():
    (candidate,) = service_ports.analyze(CASES[0][1])
    key = "flow-pod/shop/checkout-7d9f8c6b5-x2lqp"
    assert any(c.ref.kind == "flows" and c.key == key for c in candidate.cites)
    assert "8080" in candidate.title
