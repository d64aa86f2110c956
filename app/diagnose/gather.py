"""Gather cluster facts for a question's scope through the read-only clients of a ToolContext.

Bulk reads go through the same guarded clients the tools use (ctx.kube, ctx.prometheus, ctx.flows); the
evidence a finding cites is then confirmed through the registered tools (see ``cite.py``), so every
excerpt is text a tool really returned. On a big cluster only the namespaces in scope are read.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.diagnose.facts import Facts, core_events
from app.diagnose.k8s_facts import workload_of
from app.diagnose.question import NamedObject, Scope
from tools.contracts.diagnosis import SourceFailed
from tools.contracts.kube.ingress import backend_services
from tools.contracts.kube.objects import meta
from tools.contracts.kube.pod_status import pod_is_healthy
from tools.contracts.notes import Note, ran_out_of_time
from tools.contracts.tool import ToolContext, ToolError

log = logging.getLogger(__name__)

NAMESPACED_KINDS = (
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service",
    "EndpointSlice", "Ingress", "NetworkPolicy", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "PersistentVolumeClaim", "ResourceQuota", "LimitRange", "ConfigMap", "Secret", "ServiceAccount",
    "Role", "RoleBinding",
    "Certificate",  # cert-manager, when installed (an unknown kind reads as none)
    "Route",  # OpenShift's Ingress (route.openshift.io): its host names the Service behind it
)  # fmt: skip
CLUSTER_KINDS = (
    "Namespace", "Node", "PersistentVolume", "StorageClass", "IngressClass", "ClusterRole",
    "ClusterRoleBinding",
)  # fmt: skip
INVENTORY_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service", "Ingress", "Route", "CronJob", "Job")
INVENTORY_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")
SMALL_CLUSTER_PODS = 3000  # below this, read everything: cause chains cross namespaces
MAX_SCOPE_NAMESPACES = 20  # on a big cluster, read at most this many namespaces fully for one question
REVIEW_PODS = 10_000  # a whole-cluster review reads the most troubled namespaces up to about this many pods
PROBE_KINDS_FROM = 3  # reading this many namespaces, first ask which kinds the cluster has none of
MAX_LOG_PODS = 40
LOG_TAIL = 300
METRIC_WINDOW = timedelta(hours=2)
MAX_FLOWS = 20_000


@dataclass
class Gathered:
    facts: Facts
    inventory: list[NamedObject]
    notes: list[Note] = field(default_factory=list)
    deadline: float = float("inf")  # time.monotonic() after which nothing more is read
    log_failures: list[str] = field(default_factory=list)
    permitted: tuple[str, ...] = ()  # KUBEWHY_NAMESPACES: the only namespaces read; empty = all
    inventory_namespaces: set[str] | None = None  # where the inventory kinds were read; None = everywhere
    absent_kinds: set[str] | None = None  # namespaced kinds the cluster has none of; None = not asked

    def out_of_time(self) -> bool:
        """True once the question's time budget for reading is spent (noted once in the answer)."""
        if time.monotonic() <= self.deadline:
            return False
        if not ran_out_of_time(self.notes):
            self.notes.append(Note.out_of_time())
        return True


def _list(
    ctx: ToolContext, gathered: Gathered, kind: str, namespace: str | None = None
) -> list[dict[str, Any]]:
    if gathered.out_of_time():
        return []
    try:
        return ctx.kube.list_objects(kind, namespace=namespace)
    except ToolError as exc:
        message = str(exc)
        if (
            "unknown kind" in message.lower()
            or "not found" in message.lower()
            or "no kind" in message.lower()
        ):
            return []
        gathered.facts.unread.add(kind)
        if gathered.permitted and getattr(exc, "status", None) == 403:
            message = _forbidden_reason(gathered.permitted, namespace)  # one reason: one grouped note
        gathered.notes.append(Note.unread(f"{kind}{' in ' + namespace if namespace else ''}", message))
        return []


ALWAYS_THERE = ("ConfigMap", "Secret")  # every namespace has kube-root-ca.crt; every real cluster Secrets


def mark_uncaptured(facts: Facts) -> None:
    """Kinds every cluster holds that the facts have none of were not captured (a support bundle collects
    no Secrets, `kubectl get all` no ConfigMaps): their absence proves nothing, so nothing of theirs is
    called missing."""
    for kind in ALWAYS_THERE:
        if kind in facts.objects and not facts.objects[kind]:
            facts.unread.add(kind)


def _forbidden_reason(permitted: tuple[str, ...], namespace: str | None) -> str:
    if namespace is None:
        return (
            f"forbidden: kubewhy may read only namespaces {', '.join(permitted)} (KUBEWHY_NAMESPACES) and "
            "no ClusterRole grants cluster-scoped kinds"
        )
    return "forbidden: check kubewhy's Role in that namespace (deploy/overlays/namespace-scoped)"


def permitted_namespaces(ctx: ToolContext) -> tuple[str, ...]:
    """KUBEWHY_NAMESPACES, as the settings or the Kubernetes client carry it (empty: the whole cluster)."""
    return tuple(ctx.settings.namespaces) or tuple(getattr(ctx.kube, "namespaces", ()) or ())


def _namespace_stubs(permitted: tuple[str, ...]) -> list[dict[str, Any]]:
    """Namespaces cannot be listed under Roles alone; the permitted ones exist, and the API server labels
    every namespace with its name, which is all a namespaceSelector can be checked against here."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
        }
        for ns in permitted
    ]


def inventory_of(objects: dict[str, list[dict[str, Any]]]) -> list[NamedObject]:
    names = [
        NamedObject("Namespace", None, meta(ns).get("name", ""), _owner_labels(ns))
        for ns in objects.get("Namespace", [])
    ]
    for kind in (*INVENTORY_KINDS, "Node", "PersistentVolumeClaim"):
        for obj in objects.get(kind, []):
            names.append(
                NamedObject(
                    kind,
                    meta(obj).get("namespace"),
                    meta(obj).get("name", ""),
                    _aliases(obj, kind),
                )
            )
    for pod in objects.get("Pod", []):  # a bare Pod (no controller) is asked about by its own name
        if not meta(pod).get("ownerReferences"):
            names.append(NamedObject("Pod", meta(pod).get("namespace"), meta(pod).get("name", "")))
    return names + _named_by_pods(objects)


def _named_by_pods(objects: dict[str, list[dict[str, Any]]]) -> list[NamedObject]:
    """What pods name that the capture does not hold: a `kubectl get pods` capture has no Deployments,
    yet people ask about "inventory" (its pods' owner); a node deleted under its pods ("worker-4") is still
    what they ask about."""
    uncaptured = {kind for kind in INVENTORY_WORKLOADS if not objects.get(kind)}
    nodes = {meta(node).get("name") for node in objects.get("Node", [])}
    found: dict[tuple[str, str | None, str], NamedObject] = {}
    for pod in objects.get("Pod", []):
        node = (pod.get("spec") or {}).get("nodeName")
        if node and node not in nodes:
            found.setdefault(("Node", None, node), NamedObject("Node", None, node))
        if uncaptured and meta(pod).get("ownerReferences"):
            owner = workload_of(None, pod)  # no ReplicaSet read: named after its pod-template-hash
            if owner.kind in uncaptured:
                named = NamedObject(owner.kind, owner.namespace, owner.name)
                found.setdefault((owner.kind, owner.namespace, owner.name), named)
    return list(found.values())


OWNER_LABELS = ("team", "owner", "squad", "tribe", "app.kubernetes.io/part-of", "product")


def _owner_labels(obj: dict[str, Any]) -> tuple[str, ...]:
    """The team or product a namespace belongs to (label ``team: storefront``): people ask about their
    team's stuff by that name."""
    labels = meta(obj).get("labels") or {}
    return tuple(sorted({str(labels[k]).lower() for k in OWNER_LABELS if labels.get(k)}))


def _aliases(obj: dict[str, Any], kind: str) -> tuple[str, ...]:
    """Other names people use for it: an Ingress's or a Route's hosts; a node named by its DNS name
    (ip-10-0-1-88.ec2.internal) is called by its host name."""
    if kind in ("Ingress", "Route"):
        return _hosts(obj)
    name = meta(obj).get("name", "")
    return (name.split(".")[0],) if kind == "Node" and "." in name else ()


def _hosts(obj: dict[str, Any]) -> tuple[str, ...]:
    """The host names an Ingress serves: people ask about "shop.example.com", not about Ingress shop."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Route":  # one host in spec.host
        return (spec["host"],) if spec.get("host") else ()
    rules = spec.get("rules") or []
    return tuple(sorted({rule["host"] for rule in rules if rule.get("host")}))


def is_small_cluster(ctx: ToolContext) -> bool:
    """One one-pod page (the server counts the rest) tells whether reading everything is cheap."""
    try:
        return not ctx.kube.has_at_least("Pod", SMALL_CLUSTER_PODS)
    except ToolError:
        return True


def _question_namespaces(scope_of: Any, facts: Facts, namespace: str | None) -> list[str]:
    """The namespaces a question calls by name ("the ns-042 namespace", "namespace shop", --namespace),
    known from the Namespace list alone. When it names nothing else, their inventory is all its routing
    needs, so a namespaced question on a big cluster lists nothing across all namespaces."""
    if namespace:
        return [namespace, "kube-system"]
    named = scope_of(inventory_of({"Namespace": facts.objects.get("Namespace", [])}))
    if named.whole_cluster or not named.namespaces:
        return []
    if any(ns not in named.called_namespaces for ns in named.namespaces):
        return []  # "the shop is down": maybe a namespace, maybe not; names elsewhere may matter
    return [*named.namespaces, *([] if "kube-system" in named.namespaces else ["kube-system"])]


def gather(ctx: ToolContext, scope_of: Any, namespace: str | None = None) -> tuple[Gathered, Scope]:
    """Read what the question needs. ``scope_of(inventory) -> Scope`` routes the question once names are
    known; on a big cluster the inventory is read first and only the namespaces in scope are read fully."""
    facts = Facts(now=ctx.now(), cluster=ctx.cluster_name, unavailable=dict(ctx.unavailable))
    # Leave a quarter of the question's budget for analysis and for confirming findings with the tools.
    deadline = time.monotonic() + ctx.settings.question_timeout_s * 0.75
    permitted = permitted_namespaces(ctx)
    gathered = Gathered(facts=facts, inventory=[], deadline=deadline, permitted=permitted)
    if ctx.kube is None:
        facts.unavailable.setdefault("kubernetes", "no Kubernetes connection")
        return gathered, scope_of([])
    try:
        ctx.kube.server_version()
    except ToolError as exc:
        raise SourceFailed(f"the Kubernetes API of {ctx.cluster_name} cannot be read: {exc}") from exc
    for kind in CLUSTER_KINDS:
        failed_before = len(gathered.notes)
        objects = _list(ctx, gathered, kind)
        if objects or len(gathered.notes) == failed_before:  # an unread kind stays absent, not empty
            facts.objects[kind] = objects
    if permitted and not facts.objects.get("Namespace"):
        facts.objects["Namespace"] = _namespace_stubs(permitted)
    small = not permitted and is_small_cluster(ctx)
    if small and namespace is None:
        ctx.progress("reading the cluster's objects and events")
        for kind in NAMESPACED_KINDS:
            facts.objects[kind] = _list(ctx, gathered, kind)
        facts.events = core_events(_list(ctx, gathered, "Event"))
        gathered.inventory = inventory_of(facts.objects)
        scope = scope_of(gathered.inventory)
    else:
        inventory_in = list(permitted) or _question_namespaces(scope_of, facts, namespace)
        _read_inventory(ctx, gathered, inventory_in)
        scope = scope_of(gathered.inventory)
        if inventory_in and not permitted and (scope.targets or scope.unknown or scope.whole_cluster):
            # It names objects too: a name found in one namespace only counts wherever it is, so look
            # everywhere (cart in shop can't reach redis in the data namespace).
            _read_inventory(ctx, gathered, [])
            scope = scope_of(gathered.inventory)
        if permitted:
            _keep_to_permitted(scope, permitted, namespace)
        if scope.outside and not scope.namespaces and not scope.targets:
            namespaces = []  # the question is only about namespaces kubewhy may not read
        elif scope.whole_cluster and namespace is None:
            namespaces = list(permitted) or _review_namespaces(ctx, gathered, _unhealthy_namespaces(facts))
        else:
            namespaces = _scope_namespaces(scope, namespace, facts)
        namespaces += [ns for ns in _bare_pod_namespaces(ctx, gathered, scope) if ns not in namespaces]
        if permitted:
            namespaces = [ns for ns in namespaces if ns in permitted]
        limit = MAX_SCOPE_NAMESPACES
        if scope.whole_cluster and namespace is None and not permitted:
            limit = min(limit, _within_pods(namespaces, _expected_pods(facts), REVIEW_PODS))
        if len(namespaces) > limit:
            what = "have pods in trouble" if scope.whole_cluster else "hold objects the question names"
            which = f"{limit} most troubled" if scope.whole_cluster else f"first {limit}"
            gathered.notes.append(
                Note.limited(
                    f"{len(namespaces)} namespaces {what}; read the {which} only: "
                    "name the namespace to narrow the question"
                )
            )
            namespaces = [ns for ns in namespaces if ns != "kube-system"][: limit - 1]
            namespaces.append("kube-system")
        if not namespaces:
            for kind in INVENTORY_KINDS:
                facts.objects[kind] = []
            return gathered, scope
        _read_namespaces(ctx, gathered, namespaces)
        _target_bare_pods(gathered, scope, scope_of)
        _read_logs(ctx, gathered, scope)
        _read_flows(ctx, gathered)
        linked = linked_namespaces(facts, namespaces)
        if permitted:
            linked = [ns for ns in linked if ns in permitted]
        _read_namespaces(ctx, gathered, linked)
        keep = set(namespaces) | set(linked)
        for kind in INVENTORY_KINDS:
            facts.objects[kind] = [o for o in facts.objects[kind] if meta(o).get("namespace") in keep]
        _read_metrics(ctx, gathered)
        _read_erroring_logs(ctx, gathered)
        return gathered, scope
    _read_logs(ctx, gathered, scope)
    _read_metrics(ctx, gathered)
    _read_erroring_logs(ctx, gathered)
    _read_flows(ctx, gathered)
    return gathered, scope


def _bare_pod_namespaces(ctx: ToolContext, gathered: Gathered, scope: Scope) -> list[str]:
    """Pods are not in the big-cluster inventory, so a name the question uses that matched nothing may be
    a bare Pod's: ask the API for Pods of that exact name (one field-selected list per name) before the
    name is called unknown."""
    found: list[str] = []
    for word, _close in scope.unknown[:3]:
        if gathered.out_of_time():
            break
        try:
            pods = ctx.kube.list_objects("Pod", field_selector=f"metadata.name={word}")
        except ToolError:
            continue
        for pod in pods:
            ns = meta(pod).get("namespace")
            if ns and ns not in found:
                found.append(ns)
    return found


def _target_bare_pods(gathered: Gathered, scope: Scope, scope_of: Any) -> None:
    """On the big-cluster path pods are read only with their namespaces: a bare Pod the question names
    becomes a target once its namespace is read (routing again with those pods in the inventory)."""
    bare = inventory_of({"Pod": gathered.facts.objects.get("Pod", [])})
    if not bare:
        return
    gathered.inventory.extend(bare)
    found = [t for t in scope_of(gathered.inventory).targets if t.kind == "Pod" and t not in scope.targets]
    if found:
        scope.targets.extend(found)
        scope.whole_cluster = False
        scope.unknown = [
            (word, close) for word, close in scope.unknown if word not in {t.name for t in found}
        ]


def _read_inventory(ctx: ToolContext, gathered: Gathered, namespaces: list[str]) -> None:
    """The named kinds (workloads, Services, Ingresses, ...) in these namespaces, or everywhere (none)."""
    facts = gathered.facts
    for kind in INVENTORY_KINDS:
        if namespaces:
            facts.objects[kind] = [o for ns in namespaces for o in _list(ctx, gathered, kind, ns)]
        else:
            facts.objects[kind] = _list(ctx, gathered, kind)
    gathered.inventory_namespaces = set(namespaces) if namespaces else None
    gathered.inventory = inventory_of(facts.objects)


def _read_namespaces(ctx: ToolContext, gathered: Gathered, namespaces: list[str]) -> None:
    facts = gathered.facts
    if len(namespaces) >= PROBE_KINDS_FROM and gathered.absent_kinds is None and not gathered.permitted:
        gathered.absent_kinds = _absent_kinds(ctx, gathered)
    absent = gathered.absent_kinds or set()
    for ns in namespaces:
        ctx.progress(f"reading objects and events in {ns}")
        read = gathered.inventory_namespaces
        for kind in NAMESPACED_KINDS:
            if kind in INVENTORY_KINDS and (read is None or ns in read):
                continue
            if kind in absent:
                facts.objects.setdefault(kind, [])
                continue
            facts.objects.setdefault(kind, []).extend(_list(ctx, gathered, kind, ns))
        if read is not None:
            read.add(ns)
        facts.events.extend(core_events(_list(ctx, gathered, "Event", ns)))


def _absent_kinds(ctx: ToolContext, gathered: Gathered) -> set[str]:
    """The namespaced kinds the cluster holds none of, each told by a one-item page across all namespaces:
    reading twenty namespaces, a kind no namespace has (no HorizontalPodAutoscaler, no NetworkPolicy
    anywhere) costs one request instead of twenty. A kind that cannot be probed is read as before."""
    absent = set()
    for kind in NAMESPACED_KINDS:
        if kind == "Pod" or gathered.out_of_time():
            continue
        try:
            if not ctx.kube.has_at_least(kind, 1):
                absent.add(kind)
        except ToolError:
            continue
    return absent


MAX_LINKED_NAMESPACES = 5
_IP_PORT = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}\b")
_FORBIDDEN_IN = re.compile(r'is forbidden: .*? in the namespace \\?"([a-z0-9-]+)\\?"')
_SERVICE_HOST = re.compile(r"\b([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\b")


def linked_namespaces(facts: Facts, namespaces: list[str]) -> list[str]:
    """Namespaces outside the scope that its trouble points at: the other end of a dropped or failing flow
    of a scoped pod, and the Services (by ClusterIP or DNS name) its logs fail to reach. A cause chain
    crosses namespaces (checkout in shop times out -> drops at data/postgres -> a policy in data)."""
    inside = set(namespaces)
    found: list[str] = []

    def add(ns: str | None) -> None:
        if ns and ns not in inside and ns not in found:
            found.append(ns)

    for flow in facts.flows:
        ends = [(flow.get(side) or {}).get("namespace") for side in ("source", "destination")]
        if any(ns in inside for ns in ends):
            for ns in ends:
                add(ns)
    by_ip = {
        (svc.get("spec") or {}).get("clusterIP"): meta(svc).get("namespace")
        for svc in facts.of_kind("Service")
    }
    known = {meta(ns).get("name") for ns in facts.of_kind("Namespace")}
    for text in facts.logs.values():
        for ip in _IP_PORT.findall(text):
            add(by_ip.get(ip))
        for ns in [ns for _, ns in _SERVICE_HOST.findall(text)] + _FORBIDDEN_IN.findall(text):
            if ns in known:
                add(ns)
    return found[:MAX_LINKED_NAMESPACES]


def _keep_to_permitted(scope: Scope, permitted: tuple[str, ...], namespace: str | None) -> None:
    """Narrow the question's scope to the permitted namespaces. Namespaces it names outside them (known to
    the inventory, given with --namespace, or called a namespace in the question) go to ``scope.outside``,
    so the answer says plainly that kubewhy may not read them instead of reporting 403s or "no such name"."""
    outside = [ns for ns in scope.namespaces if ns not in permitted]
    if namespace and namespace not in permitted and namespace not in outside:
        outside.append(namespace)
    kept_unknown = []
    for word, close in scope.unknown:
        if word in scope.called_namespaces and word not in permitted:
            if word not in outside:
                outside.append(word)
        else:
            kept_unknown.append((word, close))
    scope.unknown = kept_unknown
    scope.namespaces = [ns for ns in scope.namespaces if ns in permitted]
    scope.targets = [t for t in scope.targets if t.namespace is None or t.namespace in permitted]
    scope.outside = outside
    scope.permitted = list(permitted)
    if outside and not scope.namespaces and not scope.targets:
        scope.whole_cluster = False


def _scope_namespaces(scope: Scope, namespace: str | None, facts: Facts) -> list[str]:
    if namespace:
        return [namespace]
    found = list(scope.namespaces)
    for target in scope.targets:
        if target.namespace and target.namespace not in found:
            found.append(target.namespace)
    if "kube-system" not in found:
        found.append("kube-system")
    return found


def _troubled(pod: dict[str, Any]) -> bool:
    """Not running with every container ready (native sidecars included), and not finished either."""
    return not pod_is_healthy(pod)


NOT_RUNNING = "status.phase!=Running,status.phase!=Succeeded"


def _review_namespaces(ctx: ToolContext, gathered: Gathered, unhealthy: dict[str, int]) -> list[str]:
    """A whole-cluster review on a big cluster, from summary counts rather than every pod's details: the
    workloads' own ready counts (Deployments, StatefulSets, DaemonSets, from the inventory) and one
    selector-scoped list of the pods that are not running (Pending, Failed, Unknown; bare pods included).
    The most troubled namespaces come first; kube-system always comes along. A bare pod that runs but is
    not ready shows once its namespace is read."""
    ctx.progress("counting the pods in trouble")
    counts = dict(unhealthy)
    try:
        for page in ctx.kube.iter_pages("Pod", field_selector=NOT_RUNNING, page_size=1000):
            for pod in page:
                if _troubled(pod):
                    ns = meta(pod).get("namespace") or ""
                    counts[ns] = counts.get(ns, 0) + 1
    except ToolError as exc:
        gathered.notes.append(Note.failed(f"could not list the pods that are not running: {exc}"))
    found = sorted((ns for ns in counts if ns and ns != "kube-system"), key=lambda ns: (-counts[ns], ns))
    return [*found, "kube-system"]


def _unhealthy_namespaces(facts: Facts) -> dict[str, int]:
    """Pods missing from each namespace's workloads, by their own status counts."""
    missing: dict[str, int] = {}
    for kind, want_key, ready_key in (
        ("Deployment", None, "readyReplicas"),
        ("StatefulSet", None, "readyReplicas"),
        ("DaemonSet", "desiredNumberScheduled", "numberReady"),
    ):
        for obj in facts.objects.get(kind, []):
            status = obj.get("status") or {}
            want = status.get(want_key, 0) if want_key else (obj.get("spec") or {}).get("replicas", 1)
            short = _count(want) - _count(status.get(ready_key, 0))
            ns = meta(obj).get("namespace")
            if ns and short > 0:
                missing[ns] = missing.get(ns, 0) + short
    return missing


def _expected_pods(facts: Facts) -> dict[str, int]:
    """The pods each namespace's workloads want (replicas; a DaemonSet's scheduled count), known from the
    inventory before any pod is read."""
    pods: dict[str, int] = {}
    for kind, key in (("Deployment", "replicas"), ("StatefulSet", "replicas"), ("DaemonSet", None)):
        for obj in facts.objects.get(kind, []):
            want = (
                (obj.get("spec") or {}).get(key, 1)
                if key
                else (obj.get("status") or {}).get("desiredNumberScheduled", 0)
            )
            ns = meta(obj).get("namespace") or ""
            pods[ns] = pods.get(ns, 0) + _count(want)
    return pods


def _within_pods(namespaces: list[str], pods: dict[str, int], budget: int) -> int:
    """How many of a review's namespaces (most troubled first, kube-system last) to read so that their
    pods stay within ``budget``: a review's cost follows the pods it reads, so twenty namespaces of 5,000
    pods each are not read like twenty of fifty. The most troubled one and kube-system are always read."""
    total, count = 0, 0
    for ns in namespaces:
        if ns == "kube-system":
            continue
        total += pods.get(ns, 0)
        if count and total > budget:
            break
        count += 1
    return count + 1


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# ---- logs -------------------------------------------------------------------------------------------


def _pods_worth_reading(facts: Facts, scope: Scope) -> Iterable[tuple[dict[str, Any], str, bool]]:
    """Containers whose logs may explain trouble: restarted or not ready, and the asked-about workloads."""
    target_names = set(scope.target_names)
    for target in scope.targets:  # a host names an Ingress: the pods behind its backends are asked about
        if target.kind == "Ingress":
            ingress = facts.find("Ingress", target.namespace, target.name) or {}
            target_names.update(backend_services(ingress))
    for pod in facts.of_kind("Pod"):
        name = meta(pod).get("name", "")
        status = pod.get("status") or {}
        statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
        targeted = any(name == t or name.startswith(f"{t}-") for t in target_names) or (
            not scope.targets and meta(pod).get("namespace") in scope.namespaces  # a namespace asked about
        )
        for cs in statuses:
            unhealthy = not cs.get("ready", False) or cs.get("restartCount", 0) > 0
            if cs.get("restartCount", 0) > 0 or (cs.get("lastState") or {}).get("terminated"):
                yield pod, cs.get("name", ""), True
            if unhealthy or targeted:
                yield pod, cs.get("name", ""), False


def _read_logs(ctx: ToolContext, gathered: Gathered, scope: Scope) -> None:
    facts = gathered.facts
    read = 0
    for pod, container, previous in _pods_worth_reading(facts, scope):
        if read >= MAX_LOG_PODS:
            gathered.notes.append(
                Note.limited(f"read logs of the first {MAX_LOG_PODS} troubled containers only")
            )
            return
        ns, name = meta(pod).get("namespace", ""), meta(pod).get("name", "")
        if (ns, name, container, previous) in facts.logs:
            continue
        if gathered.out_of_time():
            return
        read += 1
        _read_log(ctx, gathered, pod, container, previous)


def _read_log(
    ctx: ToolContext, gathered: Gathered, pod: dict[str, Any], container: str, previous: bool
) -> None:
    facts = gathered.facts
    ns, name = meta(pod).get("namespace", ""), meta(pod).get("name", "")
    try:
        text = ctx.kube.read_log(ns, name, container=container, previous=previous, tail_lines=LOG_TAIL)
    except ToolError as exc:
        if not (previous and "previous terminated container" in str(exc)):
            gathered.log_failures.append(f"{ns}/{name}/{container}: {exc}")
        return
    if text:
        from tools.kubernetes.redact import redact_text

        facts.logs[(ns, name, container, previous)] = redact_text(text)


ERRORING_RATIO = 0.05  # a Service answering more than this share with 5xx now is failing its callers
MAX_ERRORING_SERVICES = 5


def _read_erroring_logs(ctx: ToolContext, gathered: Gathered) -> None:
    """The log of one pod behind each Service whose 5xx share is high now, though its pods look healthy:
    its error lines name the dependency that fails it, so its errors join that dependency's cause chain
    instead of standing as a finding of their own."""
    from app.diagnose.series import label, latest
    from app.diagnose.service_facts import selected_pods

    facts = gathered.facts
    erroring = [
        series
        for series in facts.metrics.get("http_error_ratio", [])
        if (latest(series, facts.now) or 0.0) >= ERRORING_RATIO
    ]
    for series in erroring[:MAX_ERRORING_SERVICES]:
        service = facts.find("Service", label(series, "namespace"), label(series, "service"))
        pods = selected_pods(facts, service) if service is not None else []
        if not pods or gathered.out_of_time():
            continue
        pod = pods[0]
        ns, name = meta(pod).get("namespace", ""), meta(pod).get("name", "")
        for container in (pod.get("spec") or {}).get("containers") or []:
            if (ns, name, container.get("name", ""), False) not in facts.logs:
                _read_log(ctx, gathered, pod, container.get("name", ""), False)


# ---- metrics ----------------------------------------------------------------------------------------

_POD = 'container!="", container!="POD"'
METRIC_QUERIES: dict[str, str] = {
    "cpu_throttling": (
        "sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total"
        f"{{{_POD}}}[5m])) / sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total"
        f"{{{_POD}}}[5m]))"
    ),
    "memory_working_set_ratio": (
        f"max by (namespace, pod, container) (container_memory_working_set_bytes{{{_POD}}}) / "
        f"max by (namespace, pod, container) (container_spec_memory_limit_bytes{{{_POD}}} > 0)"
    ),
    "container_restarts": "max by (namespace, pod, container) (kube_pod_container_status_restarts_total)",
    "http_error_ratio": (
        'sum by (namespace, service) (rate(http_requests_total{code=~"5.."}[5m])) / '
        "sum by (namespace, service) (rate(http_requests_total[5m]))"
    ),
    "http_latency_p95": (
        "histogram_quantile(0.95, sum by (namespace, service, le) "
        "(rate(http_request_duration_seconds_bucket[5m])))"
    ),
    "http_request_rate": "sum by (namespace, service) (rate(http_requests_total[5m]))",
    "node_filesystem_avail_ratio": (
        'min by (node) (label_replace(node_filesystem_avail_bytes{mountpoint="/"} / '
        'node_filesystem_size_bytes{mountpoint="/"}, "node", "$1", "instance", "([^:]+).*"))'
    ),
    "node_memory_available_ratio": (
        "min by (node) (label_replace(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes, "
        '"node", "$1", "instance", "([^:]+).*"))'
    ),
    "conntrack_ratio": (
        "max by (node) (label_replace(node_nf_conntrack_entries / node_nf_conntrack_entries_limit, "
        '"node", "$1", "instance", "([^:]+).*"))'
    ),
    "coredns_rcode_rate": "sum by (rcode) (rate(coredns_dns_responses_total[5m]))",
    "hubble_drop_rate": "sum by (reason) (rate(hubble_drop_total[5m]))",
}


def _read_metrics(ctx: ToolContext, gathered: Gathered) -> None:
    facts = gathered.facts
    if ctx.prometheus is None:
        facts.unavailable.setdefault(
            "prometheus", ctx.unavailable.get("prometheus", "no Prometheus configured")
        )
        return
    ctx.progress("querying Prometheus: throttling, memory, restarts, latency, errors, nodes, DNS")
    end = ctx.now()
    start = end - METRIC_WINDOW
    for name, promql in METRIC_QUERIES.items():
        try:
            series = ctx.prometheus.query_range(promql, start, end, 60.0)
        except ToolError as exc:
            facts.unavailable["prometheus"] = str(exc)
            return
        if series:
            facts.metrics[name] = series


# ---- flows ------------------------------------------------------------------------------------------


def _notable(flow: dict[str, Any]) -> bool:
    if flow.get("verdict") == "DROPPED":
        return True
    l7 = flow.get("l7") or {}
    dns = l7.get("dns")
    if dns and dns.get("rcode") not in (None, 0, "0"):
        return True
    http = l7.get("http")
    if http and int(http.get("code") or 0) >= 500:
        return True
    flags = ((flow.get("l4") or {}).get("TCP") or {}).get("flags") or {}
    return bool(flags.get("RST"))


def _read_flows(ctx: ToolContext, gathered: Gathered) -> None:
    facts = gathered.facts
    if ctx.flows is None:
        facts.unavailable.setdefault("flows", ctx.unavailable.get("flows", "no flow source configured"))
        return
    ctx.progress("reading Hubble flows: drops, DNS failures, resets, HTTP errors")
    try:
        for record in ctx.flows.iter_flows(since=ctx.now() - timedelta(hours=1), until=ctx.now()):
            flow = record.get("flow", record)
            if _notable(flow):
                facts.flows.append(flow)
                if len(facts.flows) >= MAX_FLOWS:
                    gathered.notes.append(Note.limited(f"kept the first {MAX_FLOWS} notable flows"))
                    break
    except ToolError as exc:
        facts.unavailable["flows"] = str(exc)
