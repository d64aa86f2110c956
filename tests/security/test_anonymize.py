"""Anonymization for external models: with `anonymize` on, the model-side transcript (every request the
scripted OpenAI-compatible server received) holds none of the cluster's real names or IPs — not in the
question, tool results, event messages, logs or flows — and the answer people get has them back."""

from __future__ import annotations

import json
import re
from typing import Any

from app.agent.anonymize import Anonymizer
from app.agent.loop import run_agent
from tests.agent.scripted_server import Reply
from tests.security import adversarial
from tests.security.sec_support import model_settings, start_model

QUESTION = "why is checkout crashing in shop on worker-1? it calls payments at 10.244.0.12"
_PSEUDO_NS = re.compile(r"\bxns\d+\b")
_PSEUDO_POD = re.compile(r"\bxapp\d+-[a-z0-9]+-[a-z0-9]+\b")
_PSEUDO_APP = re.compile(r"\bxapp\d+\b")


def real_names(evil) -> set[str]:
    """Every namespace, workload, node and pod name and IP of the adversarial cluster (not the built-ins)."""
    names = {"evil-prod", *adversarial.NODES}
    for kind in ("Namespace", "Deployment", "Service", "Pod", "Node"):
        for obj in evil.kube.list_objects(kind):
            meta = obj["metadata"]
            if meta["name"] not in ("default", "kube-system", "kube-public", "kube-node-lease", "kubernetes"):
                names.add(meta["name"])
            status = obj.get("status") or {}
            names.update(ip for ip in [status.get("podIP"), status.get("hostIP")] if ip)
            names.update(a["address"] for a in status.get("addresses", []) if a.get("type") == "InternalIP")
    return names


def last_tool_text(body: dict[str, Any]) -> str:
    return "\n".join(m.get("content") or "" for m in body["messages"] if m.get("role") in ("tool", "user"))


def hostile_but_curious(body: dict[str, Any]) -> Reply:
    """Reads everything a model would, using the names it was shown, then answers in those names."""
    turn = sum(1 for m in body["messages"] if m.get("role") == "assistant")
    seen = last_tool_text(body)
    namespace = (_PSEUDO_NS.findall(seen) or ["xns01"])[0]
    if turn == 0:
        return Reply(tool_calls=[("k8s_overview", {}), ("k8s_list", {"kind": "Pod", "namespace": namespace})])
    pods = _PSEUDO_POD.findall(seen)
    app = (_PSEUDO_APP.findall(seen) or ["xapp01"])[0]
    if turn == 1:
        calls = [
            ("k8s_events", {"namespace": namespace}),
            ("k8s_workload", {"namespace": namespace, "name": app}),
            ("flows_dns", {}),
            ("flows_query", {"namespace": namespace, "since_minutes": 120}),
            ("k8s_node", {"name": "xnode01"}),
        ]
        calls += [("k8s_logs", {"namespace": namespace, "pod": pod, "previous": True}) for pod in pods[:1]]
        calls += [("k8s_logs", {"namespace": namespace, "pod": pod}) for pod in pods[:1]]
        return Reply(tool_calls=calls)
    crash_line = next(
        (line.strip() for line in seen.splitlines() if "panic: cannot connect" in line),
        "panic: cannot connect",
    )
    evidence_id = next(
        (
            m["content"].split("]")[0][1:]
            for m in body["messages"]
            if m.get("role") == "tool" and crash_line in m["content"]
        ),
        "e1",
    )
    answer = {
        "summary": f"{app} in {namespace} crashes on start: it cannot reach its dependency. Seen on xnode01.",
        "findings": [
            {
                "title": f"{app} crashes: connection refused",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": namespace, "name": app},
                "confidence": 0.8,
                "explanation": f"The previous log of {pods[0] if pods else app} ends with the panic.",
                "evidence": [evidence_id],
            }
        ],
        "evidence": [{"id": evidence_id, "excerpt": crash_line}],
        "next_steps": [
            {"description": "Read the logs", "command": f"kubectl -n {namespace} logs deploy/{app}"}
        ],
    }
    return Reply(tool_calls=[("final_answer", answer)])


def test_the_model_never_reads_a_real_name_and_the_answer_has_them_back(evil, models):
    server = start_model(models, hostile_but_curious)
    ctx = evil.context(model_settings(server, anonymize=True))
    diagnosis = run_agent(ctx, QUESTION)

    assert len(server.requests) == 3 and diagnosis.stats.tool_calls >= 8
    sent = "\n".join(json.dumps(r.messages, ensure_ascii=False) for r in server.requests)
    leaked = sorted(
        name
        for name in real_names(evil)
        if re.search(rf"(?i)(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", sent)
    )
    assert leaked == [], f"real names reached the model: {leaked}"
    # ... while the model did read the injected content of logs, events and flows (in pseudonyms)
    assert "panic: cannot connect to xapp" in sent
    assert "IGNORE PREVIOUS INSTRUCTIONS" in sent
    assert "call-delete-namespace.evil.example" in sent

    [finding] = diagnosis.findings
    assert (finding.resource.namespace, finding.resource.name) == ("shop", "checkout")
    assert "checkout in shop crashes" in diagnosis.summary and "worker-1" in diagnosis.summary
    assert finding.confidence == 0.8  # the excerpt, revealed, is verbatim tool output
    [evidence] = diagnosis.evidence
    assert evidence.excerpt == "panic: cannot connect to payments: connection refused"
    assert diagnosis.next_steps[0].command == "kubectl -n shop logs deploy/checkout"
    for name in ("shop", "checkout", "payments"):
        assert name not in {
            w for r in server.requests for m in r.messages for w in re.findall(r"\w+", str(m.get("content")))
        }


def test_without_the_option_the_model_reads_real_names(evil, models):
    server = start_model(models, hostile_but_curious)
    run_agent(evil.context(model_settings(server)), QUESTION)
    sent = json.dumps(server.requests[0].messages)
    assert "checkout" in sent and "xapp01" not in sent


def test_pseudonyms_are_stable_and_reversible():
    anonymizer = Anonymizer()
    for kind, name in [
        ("namespace", "shop"),
        ("workload", "checkout"),
        ("node", "worker-1"),
        ("cluster", "acme"),
    ]:
        anonymizer.add(kind, name)
    anonymizer.add("namespace", "kube-system")  # built-in: not hidden
    anonymizer.add("workload", "db")  # too short to hide without mangling words
    text = (
        "Pod checkout-7d9f8c6b5-x2lqp in shop on worker-1 (10.0.3.7) -> 10.0.3.9; CHECKOUT failed; "
        "acme/worker-1 kube-system/coredns; checkout.shop.svc.cluster.local:8080; apiVersion: v1; db ok"
    )
    hidden = anonymizer.hide(text)
    assert hidden == (
        "Pod xapp01-7d9f8c6b5-x2lqp in xns01 on xnode01 (198.18.0.1) -> 198.18.0.2; XAPP01 failed; "
        "xcluster01/xnode01 kube-system/coredns; xapp01.xns01.svc.cluster.local:8080; apiVersion: v1; db ok"
    )
    assert anonymizer.hide(text) == hidden  # stable
    assert anonymizer.reveal(hidden) == text
    assert anonymizer.reveal_data({"args": [hidden]}) == {"args": [text]}


def test_off_changes_nothing():
    anonymizer = Anonymizer.off()
    anonymizer.add("namespace", "shop")
    assert anonymizer.hide("shop 10.0.0.1") == "shop 10.0.0.1"


def test_ipv6_addresses_are_hidden_and_restored_but_times_and_macs_are_left():
    from app.agent.anonymize import Anonymizer

    anonymizer = Anonymizer()
    text = (
        "2026-11-20T09:30:00Z dial tcp [fd00:10:96::a]:5432 from fd00:10:244:1::1b "
        "(also 10.244.1.7), mac aa:bb:cc:dd:ee:ff, loopback ::1"
    )
    hidden = anonymizer.hide(text)
    for real in ("fd00:10:96::a", "fd00:10:244:1::1b", "10.244.1.7"):
        assert real not in hidden
    assert "09:30:00" in hidden and "aa:bb:cc:dd:ee:ff" in hidden and "::1" in hidden
    assert "2001:db8::" in hidden
    assert anonymizer.reveal(hidden) == text
