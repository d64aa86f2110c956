"""RBACForbidden: a workload's ServiceAccount lacks a permission its code needs.

Evidence: a recent log line `... is forbidden: User "system:serviceaccount:shop:api" cannot list resource
"pods" in API group "" in the namespace "shop"`, then the RBAC objects: which RoleBindings and
ClusterRoleBindings name that ServiceAccount, and whether their roles grant the verb. The culprit is the
bound Role that lacks the rule, a binding that names the wrong subject, or (when nothing binds the
account) the ServiceAccount itself. A permission granted now means the log line is history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import RECENT
from app.diagnose.log_shapes import LogShape, find_shapes, shape_is_recent
from app.diagnose.workload_facts import (
    cite_log,
    cite_object,
    find,
    key_of,
    kubectl,
    owner_workload,
    pod_healthy,
    pod_ref,
)
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of

RBAC_KINDS = ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")
NAME_LIMITED_VERBS = {"list", "watch", "create", "deletecollection"}


@dataclass(frozen=True)
class Denial:
    sa_namespace: str
    service_account: str
    verb: str
    resource: str
    group: str
    namespace: str | None  # None: cluster scope

    @classmethod
    def from_shape(cls, shape: LogShape) -> Denial:
        groups = shape.groups
        return cls(
            groups["sa_ns"],
            groups["sa"],
            groups["verb"],
            groups["resource"],
            groups.get("group", ""),
            groups.get("ns"),
        )

    def words(self) -> str:
        group = f" in API group {self.group!r}" if self.group else ""
        where = f" in namespace {self.namespace}" if self.namespace else " at the cluster scope"
        return f"{self.verb} {self.resource}{group}{where}"


def grants(rules: list[dict[str, Any]], verb: str, resource: str, group: str) -> bool:
    """Do these PolicyRules allow ``verb`` on ``resource`` in API ``group``?"""
    for rule in rules or []:
        groups, resources, verbs = (
            rule.get("apiGroups") or [],
            rule.get("resources") or [],
            rule.get("verbs") or [],
        )
        if "*" not in groups and group not in groups:
            continue
        if "*" not in resources and resource not in resources:
            continue
        if "*" not in verbs and verb not in verbs:
            continue
        if rule.get("resourceNames") and verb in NAME_LIMITED_VERBS:
            continue
        return True
    return False


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for (namespace, pod_name, container, previous), text in sorted(facts.logs.items()):
        pod = find(facts, "Pod", namespace, pod_name)
        if pod is None or (previous and pod_healthy(facts, pod)):
            continue
        shapes = [s for s in find_shapes(text, ("forbidden",)) if shape_is_recent(s, facts.now, RECENT)]
        if not shapes:
            continue
        shape = shapes[-1]
        denial = Denial.from_shape(shape)
        candidate = _candidate(facts, pod, container, previous, shape, denial)
        if candidate is None:
            continue
        if key_of(candidate.resource) in candidates:
            known = candidates[key_of(candidate.resource)]
            known.affected.extend(ref for ref in candidate.affected if ref not in known.affected)
        else:
            candidates[key_of(candidate.resource)] = candidate
    return list(candidates.values())


def _names_account(binding: dict[str, Any], denial: Denial) -> bool:
    binding_ns = namespace_of(binding)
    for subject in binding.get("subjects") or []:
        kind, name = subject.get("kind"), subject.get("name")
        subject_ns = subject.get("namespace") or binding_ns
        if kind == "ServiceAccount" and name == denial.service_account and subject_ns == denial.sa_namespace:
            return True
        if kind == "Group" and name in (
            "system:serviceaccounts",
            f"system:serviceaccounts:{denial.sa_namespace}",
        ):
            return True
    return False


def _role_of(facts: Facts, binding: dict[str, Any]) -> tuple[ResourceRef, dict[str, Any] | None]:
    ref = binding.get("roleRef") or {}
    kind, name = ref.get("kind", "Role"), ref.get("name", "")
    namespace = namespace_of(binding) if kind == "Role" else None
    return ResourceRef(kind=kind, namespace=namespace, name=name), find(facts, kind, namespace, name)


def _bindings(facts: Facts, denial: Denial) -> list[dict[str, Any]]:
    """Bindings that apply where the call was made: RoleBindings of that namespace and ClusterRoleBindings."""
    found = list(facts.of_kind("RoleBinding", denial.namespace)) if denial.namespace else []
    return found + list(facts.of_kind("ClusterRoleBinding"))


def _candidate(
    facts: Facts, pod: dict[str, Any], container: str, previous: bool, shape: LogShape, denial: Denial
) -> Candidate | None:
    namespace = namespace_of(pod) or ""
    workload = owner_workload(facts, pod)
    cites: list[Cite] = [cite_log(namespace, name_of(pod), container, previous, shape.line)]
    account = ResourceRef(kind="ServiceAccount", namespace=denial.sa_namespace, name=denial.service_account)
    bindings = _bindings(facts, denial)
    mine = [b for b in bindings if _names_account(b, denial)]
    bound_roles = [(_role_of(facts, b), b) for b in mine]
    if any(
        role and grants(role.get("rules") or [], denial.verb, denial.resource, denial.group)
        for (_, role), _ in bound_roles
    ):
        return None  # granted now: the log line is history
    gathered = any(kind in facts.objects for kind in RBAC_KINDS)
    confidence = 0.9
    if bound_roles:
        (ref, role), binding = sorted(bound_roles, key=lambda item: item[0][0].kind != "Role")[0]
        culprit = ref
        cites.append(cite_object(binding, name_of(binding)))
        if role is not None:
            cites.append(cite_object(role, name_of(role)))
            fix = f"{ref} (bound by {binding.get('kind')} {name_of(binding)}) has no rule allowing it"
        else:
            fix = f"{binding.get('kind')} {name_of(binding)} refers to {ref}, which does not exist"
    else:
        culprit, fix, extra = _unbound(facts, denial, bindings, account)
        cites.extend(extra)
        if not gathered:
            confidence = 0.6
            fix += " (RBAC objects could not be read to confirm)"
    explanation = (
        f"{workload} runs as ServiceAccount {denial.sa_namespace}/{denial.service_account}; "
        f"the API server refuses it to {denial.words()}: {fix}."
    )
    scope = f"-n {denial.namespace} " if denial.namespace else ""
    can_i = (
        f"kubectl auth can-i {denial.verb} {denial.resource}{'.' + denial.group if denial.group else ''} "
        f"{scope}--as=system:serviceaccount:{denial.sa_namespace}:{denial.service_account}"
    )
    return Candidate(
        title=f"{workload.name} is forbidden to {denial.verb} {denial.resource}: fix {culprit}",
        category=Category.RBACForbidden,
        resource=culprit,
        confidence=confidence,
        explanation=explanation,
        cites=cites,
        affected=[workload, pod_ref(pod)],
        severity=2,
        next_steps=[
            NextStep(description="Confirm the missing permission", command=can_i),
            NextStep(
                description=f"Grant {denial.verb} on {denial.resource}", command=kubectl(culprit, "edit")
            ),
        ],
    )


def _unbound(
    facts: Facts, denial: Denial, bindings: list[dict[str, Any]], account: ResourceRef
) -> tuple[ResourceRef, str, list[Cite]]:
    """Nothing binds the account: a binding of a granting role with the wrong subject, an unbound granting
    role, or no rule anywhere."""
    for binding in bindings:
        ref, role = _role_of(facts, binding)
        if role and grants(role.get("rules") or [], denial.verb, denial.resource, denial.group):
            subjects = ", ".join(
                f"{sub.get('kind')} {sub.get('namespace') or namespace_of(binding)}/{sub.get('name')}"
                for sub in binding.get("subjects") or []
            )
            return (
                ResourceRef(
                    kind=binding.get("kind", "RoleBinding"),
                    namespace=namespace_of(binding),
                    name=name_of(binding),
                ),
                f"{binding.get('kind')} {name_of(binding)} grants {ref} to {subjects or 'nobody'}, "
                "not to this account",
                [cite_object(binding, name_of(binding))],
            )
    scopes = [("Role", denial.namespace)] if denial.namespace else []
    for kind, namespace in [*scopes, ("ClusterRole", None)]:
        for role in sorted(facts.of_kind(kind, namespace), key=name_of):
            if kind == "ClusterRole" and name_of(role).startswith("system:"):
                continue
            if grants(role.get("rules") or [], denial.verb, denial.resource, denial.group):
                return (
                    ResourceRef(kind=kind, namespace=namespace, name=name_of(role)),
                    f"{kind} {name_of(role)} would allow it, but no binding gives it to this account",
                    [cite_object(role, name_of(role))],
                )
    return account, "no RoleBinding or ClusterRoleBinding grants this account any role allowing it", []
