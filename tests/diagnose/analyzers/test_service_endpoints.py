"""ServiceNoEndpoints: selector vs pod labels vs EndpointSlices, and stale ingress complaints."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import service_endpoints
from tests.diagnose.analyzers.factories import deployment, endpointslice, facts, pod, replicaset, service, ts
from tools.contracts.diagnosis import Category


def cart_backend(labels: dict[str, str], ready: bool = True):
    return [
        deployment("cart", labels=labels, ports=[{"name": "http", "containerPort": 8080}]),
        replicaset("cart", "5f7c9d8b6", labels=labels),
        pod("cart-5f7c9d8b6-abcde", labels=labels, owner_rs="cart-5f7c9d8b6", ready=ready),
        pod("cart-5f7c9d8b6-fghij", labels=labels, owner_rs="cart-5f7c9d8b6", ready=ready, ip="10.244.2.11"),
    ]


NGINX_LOG = {
    ("ingress-nginx", "ingress-nginx-controller-7c6d9-xk2lp", "controller", False): (
        f'{ts(1)} W1120 09:29:00.123456  7 controller.go:1214] Service "shop/cart-api" does not have any '
        "active Endpoint.\n"
    )
}
OLD_NGINX_LOG = {
    key: text.replace(ts(1), ts(180)).replace("cart-api", "cart") for key, text in NGINX_LOG.items()
}

CASES = [
    (
        "selector differs from pod labels",
        facts(
            *cart_backend({"app": "cart"}),
            service("cart-api", selector={"app": "cart-api"}),
            endpointslice("cart-api", endpoints=[]),
            logs=NGINX_LOG,
        ),
        (Category.ServiceNoEndpoints, "Service", "shop", "cart-api"),
        "selector app=cart-api but pods are labelled app=cart",
    ),
    (
        "healthy service with ready endpoints and an old complaint",
        facts(
            *cart_backend({"app": "cart"}),
            service("cart", selector={"app": "cart"}),
            endpointslice("cart", endpoints=[("10.244.1.10", "cart-5f7c9d8b6-abcde", True)]),
            logs=OLD_NGINX_LOG,
        ),
        None,
        None,
    ),
    (
        "pods match but none is ready: low-confidence pointer at the Service",
        facts(
            *cart_backend({"app": "cart"}, ready=False),
            service("cart", selector={"app": "cart"}),
            endpointslice("cart", endpoints=[("10.244.1.10", "cart-5f7c9d8b6-abcde", False)]),
        ),
        (Category.ServiceNoEndpoints, "Service", "shop", "cart"),
        "not ready",
    ),
    (
        "backend scaled to zero",
        facts(
            {**deployment("cart", replicas=0), "spec": {**deployment("cart")["spec"], "replicas": 0}},
            service("cart", selector={"app": "cart"}),
        ),
        (Category.ServiceNoEndpoints, "Deployment", "shop", "cart"),
        "scaled to 0",
    ),
    (
        "selector key renamed",
        facts(
            *cart_backend({"app.kubernetes.io/name": "cart"}),
            service("cart", selector={"app": "cart"}),
        ),
        (Category.ServiceNoEndpoints, "Service", "shop", "cart"),
        "app.kubernetes.io/name=cart",
    ),
    (
        "service without selector (manual endpoints) is not judged",
        facts(service("external-db", selector={})),
        None,
        None,
    ),
]


@pytest.mark.parametrize(("name", "given", "expected", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_service_endpoints(name, given, expected, phrase):
    found = service_endpoints.analyze(given)
    if expected is None:
        assert found == []
        return
    assert found, name
    top = max(found, key=lambda c: c.confidence)
    category, kind, ns, obj = expected
    assert (top.category, top.resource.kind, top.resource.namespace, top.resource.name) == (
        category,
        kind,
        ns,
        obj,
    )
    assert phrase in top.title + top.explanation
    assert top.cites and top.next_steps


def test_selector_mismatch_cites_ingress_log_and_is_an_outage():
    given = CASES[0][1]
    (candidate,) = service_endpoints.analyze(given)
    assert candidate.severity == 3
    needles = [cite.needle for cite in candidate.cites]
    assert 'Service "shop/cart-api" does not have any active Endpoint' in needles
    assert any(ref.name == "cart" and ref.kind == "Deployment" for ref in candidate.affected)
