"""The objects a card names and the YAML their buttons open, read through k8s_get from the demo cluster's
snapshot API server: the object to fix first, no repeats, and never a Secret's values."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import yaml

from app.demo import SHOP_SNAPSHOT
from app.engine import Session, ask, open_session
from app.ui.objects import MAX_OBJECTS, named_objects, read_yaml
from tools.contracts.diagnosis import Category, Evidence, Finding, ResourceRef
from tools.contracts.settings import Settings


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    with open_session(Settings(llm="none", prometheus_url=None), snapshot=SHOP_SNAPSHOT) as opened:
        yield opened


def _finding(resource: ResourceRef) -> Finding:
    return Finding(title="t", category=Category.Other, resource=resource, confidence=0.5, explanation="e")


def test_the_object_to_fix_comes_first_then_the_described_ones_without_repeats():
    fix = ResourceRef(kind="Deployment", namespace="shop", name="checkout")
    cited = [
        Evidence(
            id="e1",
            source="kubernetes",
            tool="k8s_describe",
            args=dict(kind="deployment", **_at()),
            excerpt="",
        ),
        Evidence(
            id="e2",
            source="kubernetes",
            tool="k8s_service",
            args={"namespace": "shop", "name": "cart"},
            excerpt="",
        ),
        Evidence(id="e3", source="kubernetes", tool="k8s_node", args={"name": "node-a"}, excerpt=""),
        Evidence(id="e4", source="logs", tool="k8s_logs", args={"namespace": "shop", "pod": "x"}, excerpt=""),
        Evidence(
            id="e5", source="kubernetes", tool="k8s_get", args={"kind": "ConfigMap", **_at()}, excerpt=""
        ),
    ]
    found = named_objects(_finding(fix), cited)
    assert [str(ref) for ref in found] == [
        "Deployment shop/checkout",
        "Service shop/cart",
        "Node node-a",
        "ConfigMap shop/checkout",
    ]
    assert len(found) == MAX_OBJECTS


def _at() -> dict[str, str]:
    return {"namespace": "shop", "name": "checkout"}


def test_the_yaml_of_a_named_object_is_the_object_as_the_cluster_serves_it(session):
    diagnosis = ask(session, "why are orders failing at checkout?").diagnosis
    [culprit] = named_objects(diagnosis.findings[0], [])
    text, error = read_yaml(session.ctx, culprit)
    assert error is None
    shown = yaml.safe_load(text)
    assert shown["kind"] == "NetworkPolicy" and shown["metadata"]["name"] == "postgres-allow-catalog"
    assert shown["spec"]["ingress"][0]["from"][0]["podSelector"] == {"matchLabels": {"app": "catalog"}}


def test_a_secret_opens_without_its_values(session):
    stored = yaml.safe_load((SHOP_SNAPSHOT / "resources" / "shop" / "secrets.yaml").read_text())
    [secret] = [item for item in stored["items"] if item["metadata"]["name"] == "payments-stripe"]
    value = secret["data"]["api-key"]
    text, error = read_yaml(session.ctx, ResourceRef(kind="Secret", namespace="shop", name="payments-stripe"))
    assert error is None and "kind: Secret" in text and "api-key" in text
    assert value not in text and base64.b64decode(value).decode() not in text


def test_an_object_that_is_not_there_is_an_error_not_an_exception(session):
    _, error = read_yaml(session.ctx, ResourceRef(kind="Deployment", namespace="shop", name="nope"))
    assert error and "nope" in error
