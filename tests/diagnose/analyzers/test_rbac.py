"""RBACForbidden analyzer: from the Forbidden log line to the Role lacking the rule, the binding naming the
wrong subject, or the unbound ServiceAccount; a permission granted since is history."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import rbac
from tests.diagnose.analyzers.factories import deployment, facts, replicaset
from tests.diagnose.analyzers.workload_factories import (
    culprits,
    role,
    role_binding,
    rule,
    running_status,
    service_account,
    workload_pod,
)

POD = "operator-7b8c9d6e5-tt4kq"
RS = "operator-7b8c9d6e5"
FORBIDDEN = (
    "2026-11-20T09:29:40.511Z E1120 09:29:40.511203 1 reflector.go:147] failed to list *v1.Pod: pods is "
    'forbidden: User "system:serviceaccount:shop:operator" cannot list resource "pods" in API group "" '
    'in the namespace "shop"\n'
)
BASE = (
    deployment("operator"),
    replicaset("operator", "7b8c9d6e5"),
    workload_pod(POD, owner_rs=RS, ready=True, statuses=[running_status()], serviceAccountName="operator"),
    service_account("operator", "shop"),
)
LOGS = {("shop", POD, "app", False): FORBIDDEN}

CASES = [
    (
        "bound Role lacks list pods",
        facts(
            *BASE,
            role("operator", "shop", [rule(["pods"], ["get"]), rule(["configmaps"], ["get", "list"])]),
            role_binding("operator", "shop", "operator", [("shop", "operator")]),
            logs=LOGS,
        ),
        [("RBACForbidden", "Role", "shop", "operator")],
    ),
    (
        "binding of a granting role names another account",
        facts(
            *BASE,
            role("pod-reader", "shop", [rule(["pods"], ["get", "list", "watch"])]),
            role_binding("pod-reader", "shop", "pod-reader", [("shop", "operater")]),
            logs=LOGS,
        ),
        [("RBACForbidden", "RoleBinding", "shop", "pod-reader")],
    ),
    (
        "nothing grants or binds: the ServiceAccount",
        facts(*BASE, role("other", "shop", [rule(["secrets"], ["get"])]), logs=LOGS),
        [("RBACForbidden", "ServiceAccount", "shop", "operator")],
    ),
    (
        "granted since via ClusterRoleBinding: history",
        facts(
            *BASE,
            role("view-pods", None, [rule(["pods"], ["list", "watch"])], cluster=True),
            role_binding(
                "operator-view",
                None,
                "view-pods",
                [("shop", "operator")],
                role_kind="ClusterRole",
                cluster=True,
            ),
            logs=LOGS,
        ),
        [],
    ),
    (
        "quotes escaped inside a logfmt/JSON value",
        facts(
            *BASE,
            role("operator", "shop", [rule(["pods"], ["get"])]),
            role_binding("operator", "shop", "operator", [("shop", "operator")]),
            logs={
                ("shop", POD, "app", False): (
                    '2026-11-20T09:29:40Z level=error msg="sync failed" err="pods is forbidden: User '
                    '\\"system:serviceaccount:shop:operator\\" cannot list resource \\"pods\\" in API group '
                    '\\"\\" in the namespace \\"shop\\""\n'
                )
            },
        ),
        [("RBACForbidden", "Role", "shop", "operator")],
    ),
    (
        "old forbidden line: history",
        facts(
            *BASE,
            logs={("shop", POD, "app", False): FORBIDDEN.replace("2026-11-20T09:29", "2026-11-20T05:29")},
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_rbac(name, given, expected):
    assert culprits(rbac.analyze(given)) == expected


def test_rbac_cites_log_and_role_and_suggests_can_i():
    (found,) = rbac.analyze(CASES[0][1])
    kinds = sorted(cite.ref.kind for cite in found.cites)
    assert kinds == ["log", "object", "object"]
    assert "kubectl auth can-i list pods -n shop --as=system:serviceaccount:shop:operator" in [
        step.command for step in found.next_steps
    ]
    assert rbac.grants([rule(["*"], ["*"], ["*"])], "list", "pods", "")
    assert not rbac.grants([{**rule(["pods"], ["list"]), "resourceNames": ["a"]}], "list", "pods", "")
