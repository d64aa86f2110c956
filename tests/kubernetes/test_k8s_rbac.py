"""deploy/rbac.yaml grants reads only and covers what the Kubernetes tools read."""

from __future__ import annotations

from pathlib import Path

import yaml

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def _documents() -> list[dict]:
    return [d for d in yaml.safe_load_all(RBAC.read_text()) if d]


def _rules() -> list[dict]:
    return [rule for d in _documents() if d["kind"] == "ClusterRole" for rule in d["rules"]]


def _granted(verb: str) -> set[tuple[str, str]]:
    return {
        (group, resource)
        for rule in _rules()
        if verb in rule["verbs"]
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
    }


def test_only_read_verbs_and_no_wildcards() -> None:
    for rule in _rules():
        assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert "*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", [])


def test_covers_what_the_tools_read() -> None:
    for needed in [
        ("", "pods"),
        ("", "pods/log"),
        ("", "events"),
        ("", "nodes"),
        ("", "namespaces"),
        ("", "services"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "controllerrevisions"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("networking.k8s.io", "networkpolicies"),
        ("discovery.k8s.io", "endpointslices"),
    ]:
        assert needed in _granted("get") and needed in _granted("list"), needed


def test_secrets_at_most_listed_never_read_one_by_one() -> None:
    assert ("", "secrets") not in _granted("get")
    assert ("", "secrets") not in _granted("watch")


def test_the_role_is_bound_to_the_kubewhy_service_account() -> None:
    binding = next(d for d in _documents() if d["kind"] == "ClusterRoleBinding")
    role = next(d for d in _documents() if d["kind"] == "ClusterRole")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kubewhy", "namespace": "kubewhy"}]
