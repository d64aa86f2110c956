"""The Runbooks page's form through Streamlit's AppTest on the bundled demo cluster (real snapshot API
server, real Prometheus): pickers filled from the cluster, one message for every missing field, a
targeted runbook's answer kept to its target, evidence in the order it was read."""

from __future__ import annotations

import re

import pytest

from tests.ui.helpers import contains, plain
from tests.ui.test_pages import Places, click, errors, go

pytestmark = pytest.mark.prometheus

DEMO_NAMESPACES = [
    "data",
    "default",
    "ingress-nginx",
    "kube-node-lease",
    "kube-public",
    "kube-system",
    "monitoring",
    "shop",
]


@pytest.fixture
def places(tmp_path) -> Places:
    return Places(f"sqlite:///{tmp_path}/history.db", tmp_path / "runbooks")


def picker(at, runbook: str, param: str):
    return at.selectbox(key=f"rb-param-{runbook}-{param}")


def test_namespace_and_workload_are_picked_from_the_cluster(page, places):
    at = go(page(**places.env), "runbooks")
    at.selectbox(key="rb-selected").set_value("pod-restarting").run()
    namespace, workload = picker(at, "pod-restarting", "namespace"), picker(at, "pod-restarting", "workload")
    assert namespace.options == DEMO_NAMESPACES and namespace.value is None
    assert workload.options == [] and workload.proto.placeholder == "choose the namespace first"

    namespace.set_value("shop").run()
    workload = picker(at, "pod-restarting", "workload")
    assert workload.options == [
        "cart",
        "catalog",
        "checkout",
        "frontend",
        "payments",
        "recommendations",
        "redis",
    ]
    workload.set_value("payments").run()
    assert picker(at, "pod-restarting", "workload").value == "payments"

    picker(at, "pod-restarting", "namespace").set_value("data").run()  # the list follows the namespace
    workload = picker(at, "pod-restarting", "workload")
    assert workload.options == ["postgres"] and workload.value is None  # payments is not in data
    # a parameter that names no object stays typed; an enum stays a choice of its values
    assert "rb-param-pod-restarting-kind" in [s.key for s in at.selectbox]
    assert "(not set)" in at.selectbox(key="rb-param-pod-restarting-kind").options

    at.selectbox(key="rb-selected").set_value("traffic-dropped").run()  # each object in its own namespace
    picker(at, "traffic-dropped", "source_namespace").set_value("shop").run()
    picker(at, "traffic-dropped", "destination_namespace").set_value("data").run()
    assert "checkout" in picker(at, "traffic-dropped", "source").options
    assert picker(at, "traffic-dropped", "destination").options == ["postgres"]
    at.selectbox(key="rb-selected").set_value("node-not-ready").run()  # nodes are not in a namespace
    assert picker(at, "node-not-ready", "node").options == ["worker-1", "worker-2", "worker-3"]


def test_an_empty_form_names_every_missing_field_in_one_message(page, places):
    at = go(page(**places.env), "runbooks")
    at.selectbox(key="rb-selected").set_value("traffic-dropped").run()
    click(at, "Run")
    assert errors(at) == [
        "**Bad parameter** — runbook traffic-dropped needs source_namespace=... (namespace of the client), "
        "source=... (the client workload), destination_namespace=... (namespace of the server) and "
        "destination=... (the server workload)"
    ]
    assert not [s for s in at.status if s.label.startswith("Runbook")], "nothing may start"
    assert places.store().list_runs() == []


def test_a_targeted_runbook_keeps_to_its_target_and_lists_evidence_in_order(page, places):
    at = go(page(**places.env), "runbooks")
    at.selectbox(key="rb-selected").set_value("pod-restarting").run()
    picker(at, "pod-restarting", "namespace").set_value("shop").run()
    picker(at, "pod-restarting", "workload").set_value("payments").run()
    click(at, "Run")

    shown = [plain(m.value) for m in at.markdown]
    answer = next(t for t in shown if t.startswith("**payments is failing"))
    assert "checkout" not in answer and "postgres" not in answer
    findings = [t for t in shown if re.match(r"\*\*\d+\. ", t)]
    assert findings == ["**1. payments keeps crashing: missing environment variable STRIPE_API_KEY**"]
    # the cluster's other problems are listed, but as elsewhere, never as the answer's findings
    [elsewhere] = [e for e in at.expander if plain(e.label) == "Elsewhere in the cluster"]
    assert contains(elsewhere, "NetworkPolicy postgres-allow-catalog drops the traffic")

    [cited] = [plain(e.label) for e in at.expander if plain(e.label).startswith("Evidence: ")]
    numbers = [int(n) for n in re.findall(r"e(\d+)", cited)]
    assert numbers == sorted(numbers) and numbers[0] == 1, cited  # e1, e2, e3, e7 ... not e7 … e1
    index = [plain(e.label) for e in at.expander if re.match(r"e\d+ · ", plain(e.label))]
    cited_first = [int(label[1:].split(" ")[0]) for label in index if "— cited by" in label]
    assert cited_first == numbers  # the evidence index: the cited results, in the order they were read
    [run] = places.store().list_runs()
    assert run.diagnosis.answer.subject.name == "payments"
