"""k8s_describe shows, for each kind, what `kubectl describe` shows that bears on a diagnosis (Secret values
excepted), and marks the lines that prove the object's state. Against the demo snapshot and a built one,
both served by kubewhy's snapshot API server and read with the official client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.demo import SHOP_SNAPSHOT
from app.toolset import call_tool
from tests.kubernetes.k8s_builders import (
    NOW,
    container,
    deployment,
    meta,
    namespace,
    owner,
    ts,
    write_snapshot,
)
from tools.budget import count_tokens
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolResult
from tools.kubernetes.connect import open_kube, tool_context
from tools.kubernetes.describe_kinds import identity

ISSUE_18_TOOL_TOKENS = 1500  # every tool output on the demo stays under this (issue 18)


@pytest.fixture(scope="module")
def demo() -> Iterator[ToolContext]:
    with open_kube(Settings(llm="none"), snapshot=SHOP_SNAPSHOT) as connection:
        yield tool_context(Settings(llm="none"), connection)


def describe(ctx: ToolContext, kind: str, name: str, namespace: str | None = None) -> ToolResult:
    args = {"kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}
    result = call_tool(ctx, "k8s_describe", args)
    assert result.ok, result.error
    assert count_tokens(result.text) <= ctx.token_budget
    return result


def test_networkpolicy_shows_selector_types_rules_creation_and_change_cause(demo):
    result = describe(demo, "networkpolicy", "postgres-allow-catalog", "data")
    lines = result.text.splitlines()
    assert lines[0] == "NetworkPolicy data/postgres-allow-catalog"  # its age is in the creation line
    expected = [
        "  created: 2026-11-20T08:52:00Z (38m ago)",
        "  annotation kubernetes.io/change-cause: CHG-4471 allow catalog read replica access",
        "  podSelector: app=postgres (selects 1 pod in data: postgres-0)",
        "  policyTypes: Ingress",
        "    ingress allowed from pods app=catalog in namespaces kubernetes.io/metadata.name=shop (shop) "
        "on 5432/TCP",
    ]
    for line in expected:
        assert line in lines
        assert line in result.data["key_lines"]  # what a citation of the policy quotes
    assert "    egress: not affected by this policy" in lines


def test_endpointslice_shows_ready_and_not_ready_endpoints_with_their_pods(demo):
    empty = describe(demo, "endpointslice", "cart-kf8f4", "shop")
    assert "  endpoints: 0 ready, 0 not ready" in empty.data["key_lines"]
    assert "  for Service cart" in empty.data["key_lines"]
    assert "  controlled by: Service/cart" in empty.text
    waiting = describe(demo, "endpointslice", "recommendations-nz6jf", "shop")
    assert "  endpoints: 0 ready, 1 not ready" in waiting.text
    assert (
        "    10.244.0.28  not ready  serving=false terminating=false  "
        "-> Pod/recommendations-5hpk6nsgx8-5525q  node=worker-1"
    ) in waiting.data["key_lines"]


def test_endpoints_show_ready_addresses_and_ports(demo):
    result = describe(demo, "endpoints", "catalog", "shop")
    assert "  endpoints: 2 ready, 0 not ready" in result.data["key_lines"]
    assert "  ports: http 8080/TCP" in result.text
    assert "    10.244.0.22  ready  -> Pod/catalog-z5wtmwrj8-q5kcg  node=worker-1" in result.text


def test_deployment_shows_its_rollout_and_pod_template_and_fits_the_issue_18_budget(demo):
    result = describe(demo, "deployment", "payments", "shop")
    text = result.text
    key = result.data["key_lines"]
    assert "  created: 2026-09-21T09:30:00Z (60d ago)" in key
    assert "deployment.kubernetes.io/revision" not in text  # the new ReplicaSet's "rev 5" says it
    assert (
        "  new ReplicaSet: payments-lm2kvkchd7 (rev 5, 0/1 ready, created 25m ago, "
        "registry.example.com/shop/payments:2.8.0)"
    ) in key
    assert "  old ReplicaSet: payments-vs97gp7gv (rev 4, 2/2 ready, created 9d ago" in text
    assert "Pod template:" in text and "serviceAccount=payments" in text
    assert "      env STRIPE_KEY from key 'api-key' of secret 'payments-stripe'" in text
    assert "      env STRIPE_ENDPOINT=https://api.stripe.com" in text
    assert "      requests: cpu=100m,memory=128Mi  limits: memory=256Mi" in text
    assert "      liveness probe: http-get http://:http/healthz delay=10s" in text
    assert "Pods (3):" in text and "BackOff" in text  # its pods and their events still follow
    assert count_tokens(text) <= ISSUE_18_TOOL_TOKENS


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolContext]:
    """A Deployment using every kind of config reference, a DaemonSet and a Secret with a value."""
    api = container(
        env=[
            {"name": "LEVEL", "value": "debug"},
            {"name": "DB_PASSWORD", "value": "hunter2-literal"},
            {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "user"}}},
            {
                "name": "FLAGS",
                "valueFrom": {"configMapKeyRef": {"name": "api-flags", "key": "flags", "optional": True}},
            },
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        ]
    )
    api["envFrom"] = [
        {"configMapRef": {"name": "api-config"}},
        {"secretRef": {"name": "api-keys"}, "prefix": "K_"},
    ]
    api["volumeMounts"] = [{"name": "tls", "mountPath": "/etc/tls", "readOnly": True}]
    api["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}
    web = deployment("api", "shop", 2, 2, "reg/shop/api:v2", {"app": "api"})
    web["metadata"]["annotations"]["kubernetes.io/change-cause"] = "CHG-1 new api keys"
    web["spec"]["template"]["spec"] = {
        "serviceAccountName": "api",
        "containers": [api],
        "volumes": [{"name": "tls", "secret": {"secretName": "api-tls"}}],
    }
    agent = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": meta("agent", "shop", {"app": "agent"}),
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [container(name="agent", port=None)],
                    "volumes": [{"name": "conf", "configMap": {"name": "agent-conf"}}],
                },
            },
        },
        "status": {"desiredNumberScheduled": 3, "numberReady": 2, "currentNumberScheduled": 3},
    }
    secret_value = base64.b64encode(b"s3cr3t-value").decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta("db-creds", "shop", ownerReferences=[owner("Deployment", "api", "shop")]),
        "data": {"user": secret_value},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(
            "api-config",
            "shop",
            managedFields=[
                {"manager": "helm", "operation": "Update", "time": ts(600)},
                {"manager": "kubectl-edit", "operation": "Update", "time": ts(20)},
            ],
        ),
        "data": {"MODE": "fast"},
    }
    objects = [namespace("shop"), web, agent, secret, config]
    root: Path = write_snapshot(tmp_path_factory.mktemp("describe"), objects)
    with open_kube(Settings(llm="none"), snapshot=root) as connection:
        yield tool_context(Settings(llm="none"), connection)


def test_pod_template_references_are_named_never_valued(built):
    text = describe(built, "deployment", "api", "shop").text
    for line in (
        "      env LEVEL=debug",
        "      env DB_USER from key 'user' of secret 'db-creds'",
        "      env FLAGS from key 'flags' of configmap 'api-flags' (optional)",
        "      env POD_IP from field status.podIP",
        "      env from all keys of configmap 'api-config'",
        "      env from all keys of secret 'api-keys' with prefix K_",
        "      mounts: tls->/etc/tls (ro)",
        "  volumes: tls (secret 'api-tls')",
        "  annotation kubernetes.io/change-cause: CHG-1 new api keys",
    ):
        assert line in text.splitlines(), line
    assert "hunter2-literal" not in text and "env DB_PASSWORD=***" in text  # a credential-looking literal


def test_daemonset_shows_its_counts_and_config_volumes(built):
    result = describe(built, "daemonset", "agent", "shop")
    assert "  pods: 3 desired, 3 scheduled, 2 ready" in result.text
    assert "  volumes: conf (configmap 'agent-conf')" in result.text
    assert result.text.splitlines()[0] in result.data["key_lines"]


def test_secret_values_never_appear(built):
    result = describe(built, "secret", "db-creds", "shop")
    assert "s3cr3t-value" not in result.text
    assert base64.b64encode(b"s3cr3t-value").decode() not in result.text
    assert "  controlled by: Deployment/api" in result.text


def test_the_last_change_of_an_object_is_dated_from_its_managed_fields(built):
    result = describe(built, "configmap", "api-config", "shop")
    line = "  last changed: 2026-11-20T09:10:00Z (20m ago) by kubectl-edit"
    assert line in result.text.splitlines() and line in result.data["key_lines"]
    assert "  created: 2026-11-19T23:30:00Z (10h ago)" in result.text


def test_the_header_carries_the_age_only_when_no_creation_line_does(built):
    dated = describe(built, "configmap", "api-config", "shop").text.splitlines()
    assert dated[:2] == ["ConfigMap shop/api-config", "  created: 2026-11-19T23:30:00Z (10h ago)"]
    undated = identity({"kind": "ConfigMap", "metadata": {"name": "undated", "namespace": "shop"}}, NOW, None)
    assert undated.lines[0] == "ConfigMap shop/undated  age=<unknown>"  # no creation line to carry it
