"""IngressMisconfig: unknown class, no default class, missing backend Service or port, missing TLS secret."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import ingress as ingress_analyzer
from app.diagnose.gather import mark_uncaptured
from tests.diagnose.analyzers.factories import facts, ingress, ingress_class, service
from tools.contracts.diagnosis import Category

WEB = service("web", port=80, target_port=8080)
EXPECTED = (Category.IngressMisconfig, "Ingress", "shop", "shop")

CASES = [
    (
        "class with no IngressClass",
        facts(ingress_class("nginx"), WEB, ingress("shop", class_name="nginx-public", admitted=False)),
        EXPECTED,
        "nginx-public",
    ),
    (
        "no class and no default class",
        facts(ingress_class("nginx"), WEB, ingress("shop", class_name=None, admitted=False)),
        EXPECTED,
        "no IngressClass is marked default",
    ),
    (
        "backend Service missing",
        facts(ingress_class("nginx"), WEB, ingress("shop", backend_service="web-frontend")),
        EXPECTED,
        "web-frontend",
    ),
    (
        "backend port not on the Service",
        facts(ingress_class("nginx"), WEB, ingress("shop", backend_port=8080)),
        EXPECTED,
        "only has port 80",
    ),
    (
        "named backend port not on the Service",
        facts(ingress_class("nginx"), WEB, ingress("shop", backend_port="https")),
        EXPECTED,
        '"https"',
    ),
    (
        "TLS secret missing",
        facts(
            ingress_class("nginx"),
            WEB,
            ingress("shop", tls_secret="shop-tls"),
            {"kind": "Secret", "metadata": {"name": "other", "namespace": "shop"}},
        ),
        EXPECTED,
        "shop-tls",
    ),
    (
        "healthy: class exists, backend and port exist",
        facts(ingress_class("nginx"), WEB, ingress("shop")),
        None,
        None,
    ),
    (
        "healthy: no class but a default class",
        facts(ingress_class("nginx", default=True), WEB, ingress("shop", class_name=None)),
        None,
        None,
    ),
    ("classes not read: class not judged", facts(WEB, ingress("shop", class_name="whatever")), None, None),
]


@pytest.mark.parametrize(("name", "given", "expected", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_ingress(name, given, expected, phrase):
    found = ingress_analyzer.analyze(given)
    if expected is None:
        assert found == []
        return
    (top,) = found
    assert (top.category, top.resource.kind, top.resource.namespace, top.resource.name) == expected
    assert phrase in top.explanation
    assert top.cites and top.next_steps


def test_what_a_capture_left_out_is_not_called_missing():
    """A support bundle holds no Secrets and a `kubectl get` folder may hold no IngressClass: an Ingress a
    controller serves (it has an address) has a class, and a TLS secret nobody captured is not missing."""
    served = ingress("shop", class_name="nginx", tls_secret="shop-tls")
    given = facts(WEB, served)
    given.objects["IngressClass"] = []
    given.objects["Secret"] = []
    mark_uncaptured(given)
    assert ingress_analyzer.analyze(given) == []
    unserved = facts(WEB, ingress("shop", class_name="nginx", admitted=False))
    unserved.objects["IngressClass"] = []
    assert ingress_analyzer.analyze(unserved), "no address and no class: nothing serves it"
