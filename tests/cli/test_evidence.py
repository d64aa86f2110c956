"""The evidence a person checks at a glance (issue 17): on the demo, through the real CLI, each finding's
excerpt holds the lines that prove it (a policy's rule, creation time and change-cause; an EndpointSlice's
ready count; the pod-template line that holds a reference), a symptom whose failing calls name a broken
dependency is folded into that dependency's finding, and no rendered answer writes "(s)"."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from app.demo import SHOP_SNAPSHOT

KUBEWHY = [sys.executable, "-m", "app.cli"]
CART = "Why do shoppers get errors when they open their cart?"
QUESTIONS = (
    "why are orders failing at checkout?",
    "why is the frontend returning errors?",
    "why is catalog slow?",
    "payments pod keeps restarting??",
    "whats broken rn",
    "is anything wrong with the database?",
    "did anything get OOMKilled?",
)


def ask(question: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBEWHY_LLM": "none"}
    return subprocess.run(
        [*KUBEWHY, "ask", question, "--snapshot", str(SHOP_SNAPSHOT), *extra],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def document(question: str) -> dict:
    result = ask(question, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def checkout() -> dict:
    return document("why are orders failing at checkout?")


def _evidence(doc: dict, tool: str, kind: str) -> list[dict]:
    return [e for e in doc["evidence"] if e["tool"] == tool and e["args"].get("kind") == kind]


def test_the_policy_evidence_shows_its_rule_creation_time_and_change_cause(checkout):
    top = checkout["findings"][0]
    assert top["category"] == "NetworkPolicyBlocked"
    (policy,) = [
        e for e in _evidence(checkout, "k8s_describe", "NetworkPolicy") if e["id"] in top["evidence"]
    ]
    excerpt = policy["excerpt"]
    assert "created: 2026-11-20T08:52:00Z (38m ago)" in excerpt
    assert "annotation kubernetes.io/change-cause: CHG-4471 allow catalog read replica access" in excerpt
    assert "podSelector: app=postgres (selects 1 pod in data: postgres-0)" in excerpt
    assert "policyTypes: Ingress" in excerpt
    rule = "ingress allowed from pods app=catalog in namespaces kubernetes.io/metadata.name=shop (shop)"
    assert f"{rule} on 5432/TCP" in excerpt


def test_the_endpointslice_evidence_shows_its_ready_count(checkout):
    (cart,) = [f for f in checkout["elsewhere"] if f["category"] == "ServiceNoEndpoints"]
    slices = [e for e in _evidence(checkout, "k8s_describe", "EndpointSlice") if e["id"] in cart["evidence"]]
    assert slices and "endpoints: 0 ready, 0 not ready" in slices[0]["excerpt"]
    assert "for Service cart" in slices[0]["excerpt"]
    service = [e for e in _evidence(checkout, "k8s_describe", "Service") if e["id"] in cart["evidence"]]
    assert "cart-kf8f4: 0 ready, 0 not ready; ports <none>" in service[0]["excerpt"]
    # the closest workload's pods carry app=cart: its pod-template labels are quoted beside its selector
    workload = [e for e in _evidence(checkout, "k8s_describe", "Deployment") if e["id"] in cart["evidence"]]
    assert "labels: app=cart" in workload[0]["excerpt"] and "selector: app=cart" in workload[0]["excerpt"]


def test_a_described_deployment_quotes_its_rollout_lines(checkout):
    (payments,) = [f for f in checkout["elsewhere"] if f["resource"]["name"] == "payments"]
    described = [
        e for e in _evidence(checkout, "k8s_describe", "Deployment") if e["id"] in payments["evidence"]
    ]
    excerpt = described[0]["excerpt"]
    assert "new ReplicaSet: payments-lm2kvkchd7 (rev 5, 0/1 ready, created 25m ago" in excerpt
    assert "ProgressDeadlineExceeded" in excerpt


def test_the_frontend_errors_are_the_cart_service_s_symptom_not_a_finding_of_their_own():
    doc = document("why is the frontend returning errors?")
    assert [(f["category"], f["resource"]["name"]) for f in doc["findings"]] == [
        ("ServiceNoEndpoints", "cart")
    ]
    assert "This also explains: frontend: p95 latency and 5xx errors up" in doc["findings"][0]["explanation"]
    every = doc["findings"] + doc["elsewhere"]
    assert not any(f["category"] == "PerformanceRegression" for f in every)
    cited = {e["id"]: e for e in doc["evidence"]}
    tools = [(cited[i]["tool"], cited[i]["args"]) for i in doc["findings"][0]["evidence"]]
    # the symptom's own proof is read for the frontend: its error ratio and the log line naming cart
    assert ("prom_check", {"check": "http_error_ratio", "namespace": "shop", "workload": "frontend"}) in tools
    logs = [cited[i]["excerpt"] for i in doc["findings"][0]["evidence"] if cited[i]["tool"] == "k8s_logs"]
    assert any("upstream=cart" in line and "connection refused" in line for line in logs)


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_rendered_answer_writes_s_plurals(question):
    text = ask(question)
    assert text.returncode == 0, text.stderr
    doc = document(question)
    own_words = [doc["summary"], doc["answer"]["text"]]
    own_words += [f["title"] + " " + f["explanation"] for f in doc["findings"] + doc["elsewhere"]]
    own_words += [e["excerpt"] for e in doc["evidence"]]
    for words in (text.stdout, *own_words):
        assert "(s)" not in words, [line for line in words.splitlines() if "(s)" in line]


def test_what_changed_before_the_onset_is_cited_evidence(checkout):
    top = checkout["findings"][0]
    [change] = checkout["answer"]["changes"]
    assert change["at"] == "2026-11-20T08:52:00Z" and change["kind"] == "policy", change
    assert change["what"].startswith("NetworkPolicy data/postgres-allow-catalog") and change["evidence"]
    assert set(change["evidence"]) <= set(top["evidence"])  # the change is evidence of the top finding
    assert "What changed" not in top["explanation"]  # said once, in answer.changes
    onset = document("recommendations wont start, what changed?")
    assert onset["answer"]["intent"] == "onset"
    rollout = "Deployment shop/recommendations rolled out ReplicaSet recommendations-5hpk6nsgx8"
    assert rollout in onset["answer"]["text"]
    cited = {e["id"]: e for e in onset["evidence"]}
    described = [
        cited[i]
        for i in onset["findings"][0]["evidence"]
        if cited[i]["tool"] == "k8s_describe"
        and cited[i]["args"]["name"] == "recommendations"
        and cited[i]["args"]["kind"] == "Deployment"
    ]
    assert any("new ReplicaSet: recommendations-5hpk6nsgx8 (rev 1" in e["excerpt"] for e in described)


def test_the_promotion_traffic_jump_is_a_change_before_the_catalog_and_cart_onsets():
    """The demo's promotion (catalog's requests 30 -> 75/s at 09:00) comes out of the request-rate series
    as a change before the catalog slowdown and before the cart errors, cited by the request-rate check
    of catalog's own workload; the CLI lists it under "What changed before the onset"."""
    for question, onset in (("why is catalog slow?", "09:00"), (CART, "09:14")):
        doc = document(question)
        assert doc["answer"]["since"] == f"2026-11-20T{onset}:00Z", doc["answer"]
        [jump] = [
            c for c in doc["answer"]["changes"] if c["what"].startswith("requests to Service shop/catalog")
        ]
        assert jump["kind"] == "traffic" and jump["at"] == "2026-11-20T09:00:00Z", jump
        assert re.match(
            r"requests to Service shop/catalog rose from 30 to 7\d requests/s \(75/s now\)$", jump["what"]
        )
        [shown_by] = jump["evidence"]
        assert shown_by in doc["findings"][0]["evidence"]
        evidence = next(e for e in doc["evidence"] if e["id"] == shown_by)
        assert evidence["args"] == {"check": "http_request_rate", "namespace": "shop", "workload": "catalog"}
        assert 'service="catalog"' in evidence["excerpt"] and "→ 7" in evidence["excerpt"], evidence[
            "excerpt"
        ]
    kinds = [c["kind"] for c in document(CART)["answer"]["changes"]]
    assert kinds == ["traffic", "rollout", "traffic"]  # the jump, payments 2.8.0, cart's requests collapsing

    text = ask(CART).stdout
    listed = text.split("What changed before the onset (09:14):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(listed) == 3 and listed[0].startswith(
        "  - 09:00 requests to Service shop/catalog rose from 30"
    )
    assert all(re.search(r" \[e\d+\]$", line) for line in listed), listed


def test_a_policy_change_is_the_only_change_before_the_checkout_onset(checkout):
    [change] = checkout["answer"]["changes"]
    assert change["kind"] == "policy" and change["at"] == "2026-11-20T08:52:00Z"
    assert change["what"] == "NetworkPolicy data/postgres-allow-catalog created"
    assert change["evidence"] and change["evidence"][0] in checkout["findings"][0]["evidence"]
