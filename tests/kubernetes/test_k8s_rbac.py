"""deploy/rbac.yaml grants reads only, covers what the tools read, and keeps Secrets out by default."""

from __future__ import annotations

from pathlib import Path

import yaml

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def _documents() -> list[dict]:
    return [d for d in yaml.safe_load_all(RBAC.read_text()) if d]


def _role(name: str) -> dict:
    return next(d for d in _documents() if d["kind"] == "ClusterRole" and d["metadata"]["name"] == name)


def test_only_read_verbs_and_no_wildcards() -> None:
    for document in _documents():
        for rule in document.get("rules") or []:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
            assert "*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", [])


def test_main_role_covers_the_tools_but_not_secrets() -> None:
    granted = {
        (group, resource)
        for rule in _role("kubewhy-read-only")["rules"]
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
    }
    for needed in [
        ("", "pods"),
        ("", "pods/log"),
        ("", "events"),
        ("", "nodes"),
        ("", "namespaces"),
        ("", "services"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "controllerrevisions"),
        ("batch", "jobs"),
        ("networking.k8s.io", "networkpolicies"),
        ("discovery.k8s.io", "endpointslices"),
    ]:
        assert needed in granted
    assert ("", "secrets") not in granted


def test_secret_names_role_is_opt_in() -> None:
    assert _role("kubewhy-secret-names")["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}
    ]
    bindings = [d for d in _documents() if d["kind"] == "ClusterRoleBinding"]
    assert [b["roleRef"]["name"] for b in bindings] == ["kubewhy-read-only"]
