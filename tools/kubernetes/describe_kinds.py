"""What `kubectl describe` shows of each kind that bears on a diagnosis, as compact lines for a model and
a person: when an object was created and changed (creation time, change annotations, owners), a
NetworkPolicy's selector and rules, an EndpointSlice's or Endpoints' ready and not-ready addresses, a
workload's pod template (images, ports, env and its ConfigMap/Secret references by name, mounts, probes,
resources) and a Deployment's ReplicaSets.

Each section marks its *key* lines: the ones that prove the object's state (its rules, selectors, ready
counts, times and change annotations). A finding that cites the object quotes them (see
``app.diagnose.cite``), so an excerpt always holds what makes the point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tools.contracts.kube.objects import labels_of, meta, name_of
from tools.contracts.kube.selectors import map_text, selector_text
from tools.contracts.kube.time import kubectl_age
from tools.contracts.printed import indented, joined, printed, printed_key
from tools.contracts.wording import plural
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.netpol import policy_types
from tools.kubernetes.network import policy_rule_lines
from tools.kubernetes.pods import container_lines, placement_text, volume_lines
from tools.kubernetes.render import changed_line, created_line, short
from tools.kubernetes.workloads import CHANGE_CAUSE, REVISION, owned

# Annotations that say when or why an object last changed, shown first and always quoted.
CHANGE_ANNOTATIONS = (
    CHANGE_CAUSE,
    REVISION,
    "kubectl.kubernetes.io/restartedAt",
    "deprecated.daemonset.template.generation",
    "endpoints.kubernetes.io/last-change-trigger-time",
)
# Bookkeeping that says nothing about the object's behaviour (kubectl hides the first one too).
HIDDEN_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
MAX_ANNOTATIONS = 8
MAX_ENDPOINTS = 12
MAX_OLD_REPLICASETS = 1  # the one a rollout replaces; the older ones are history (k8s_workload)


@dataclass
class Section:
    """Lines in order, and which of them prove the object's state (quoted by citations)."""

    lines: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)

    def add(self, line: str, key: bool = False) -> None:
        self.lines.append(line)
        if key:
            self.key.append(line)

    def extend(self, other: Section) -> None:
        self.lines += other.lines
        self.key += other.key


# --- every kind ------------------------------------------------------------------------------------


def pod_labels_line(labels: dict[str, str] | None) -> str:
    """The labels a pod carries (a pod's own, a workload's pod template's): what a selector is matched to."""
    return printed(f"  labels: {map_text(labels) or '<none>'}", printed_key("pod-labels"))


def annotation_lines(obj: dict[str, Any], shown_elsewhere: tuple[str, ...] = ()) -> Section:
    """One line per annotation, change annotations first; long values shortened, bookkeeping and those
    another line already shows (``shown_elsewhere``) left out."""
    section = Section()
    hidden = (*HIDDEN_ANNOTATIONS, *shown_elsewhere)
    annotations = {k: v for k, v in (meta(obj).get("annotations") or {}).items() if k not in hidden}
    ordered = [k for k in CHANGE_ANNOTATIONS if k in annotations]
    ordered += sorted(k for k in annotations if k not in CHANGE_ANNOTATIONS)
    for name in ordered[:MAX_ANNOTATIONS]:
        section.add(f"  annotation {name}: {short(annotations[name], 160)}", key=name in CHANGE_ANNOTATIONS)
    if len(ordered) > MAX_ANNOTATIONS:
        section.add(f"  ... {plural(len(ordered) - MAX_ANNOTATIONS, 'more annotation')}; k8s_get shows them")
    return section


def header(obj: dict[str, Any], now: datetime, created: str | None) -> str:
    """'Deployment shop/payments': the age is in the creation line (kubectl describe has only its
    CreationTimestamp), so the header carries it only when there is no creation line to print."""
    where = f"{meta(obj)['namespace']}/" if meta(obj).get("namespace") else ""
    age = "" if created else f"  age={kubectl_age(meta(obj).get('creationTimestamp'), now)}"
    return f"{obj.get('kind')} {where}{name_of(obj)}{age}"


def identity(obj: dict[str, Any], now: datetime, owners: str | None) -> Section:
    """Header, creation time, change annotations, labels and owners: the lines every kind starts with."""
    section = Section()
    created = created_line(obj, now)
    section.add(header(obj, now, created), key=True)
    for line in (created, changed_line(obj, now)):
        if line:
            section.add(line, key=True)
    section.extend(annotation_lines(obj))
    section.add(f"  labels: {map_text(labels_of(obj)) or '<none>'}")
    if owners:
        section.add(f"  controlled by: {owners}", key=True)
    return section


# --- NetworkPolicy ---------------------------------------------------------------------------------


def netpol_section(kube: KubeAccess, policy: dict[str, Any]) -> Section:
    """Which pods it selects, its policy types, and one line per rule: peers and ports."""
    section = Section()
    spec = policy.get("spec") or {}
    namespace = meta(policy).get("namespace") or "default"
    selector = selector_text(spec.get("podSelector"))
    pods = kube.list_objects("pods", namespace, label_selector=selector or None)
    names = ", ".join(name_of(p) for p in pods[:3]) + (", ..." if len(pods) > 3 else "")
    selected = f"selects {plural(len(pods), 'pod')} in {namespace}" + (f": {names}" if pods else "")
    section.add(f"  podSelector: {selector or '<all pods in the namespace>'} ({selected})", key=True)
    types = policy_types(policy)
    section.add(f"  policyTypes: {', '.join(types)}", key=True)
    uses_namespaces = any(
        peer.get("namespaceSelector")
        for rule in (spec.get("ingress") or []) + (spec.get("egress") or [])
        for peer in (rule.get("from") or []) + (rule.get("to") or [])
    )
    namespaces = kube.list_objects("namespaces") if uses_namespaces else []
    for direction in ("Ingress", "Egress"):
        if direction in types:
            for line in policy_rule_lines(policy, direction, namespaces):
                section.add(line, key=True)
        else:
            section.add(f"    {direction.lower()}: not affected by this policy")
    return section


# --- EndpointSlice / Endpoints ---------------------------------------------------------------------


def _endpoint_line(addresses: list[str], conditions: dict[str, Any], extra: dict[str, Any]) -> str:
    ready = conditions.get("ready", True)
    state = "ready" if ready else "not ready"
    flags = [
        f"{name}={str(conditions[name]).lower()}" for name in ("serving", "terminating") if name in conditions
    ]
    target = extra.get("targetRef") or {}
    parts = [f"    {','.join(addresses) or '<no address>'}  {state}"]
    if flags:
        parts.append(" ".join(flags))
    if target:
        parts.append(f"-> {target.get('kind')}/{target.get('name')}")
    if extra.get("nodeName"):
        parts.append(f"node={extra['nodeName']}")
    return "  ".join(parts)


def endpointslice_section(item: dict[str, Any]) -> Section:
    """Its Service, address type, ports, the ready / not-ready count and one line per endpoint."""
    section = Section()
    service = labels_of(item).get("kubernetes.io/service-name")
    if service:
        section.add(f"  for Service {service}", key=True)
    ports = ", ".join(
        f"{p.get('name') or ''} {p.get('port')}/{p.get('protocol', 'TCP')}".strip()
        for p in item.get("ports") or []
    )
    section.add(f"  addressType: {item.get('addressType', '?')}  ports: {ports or '<none>'}")
    endpoints = item.get("endpoints") or []
    ready = [e for e in endpoints if (e.get("conditions") or {}).get("ready", True)]
    section.add(f"  endpoints: {len(ready)} ready, {len(endpoints) - len(ready)} not ready", key=True)
    ordered = sorted(endpoints, key=lambda e: bool((e.get("conditions") or {}).get("ready", True)))
    for endpoint in ordered[:MAX_ENDPOINTS]:
        line = _endpoint_line(endpoint.get("addresses") or [], endpoint.get("conditions") or {}, endpoint)
        section.add(line, key=len(section.key) < 6)
    if len(endpoints) > MAX_ENDPOINTS:
        section.add(f"    ... {plural(len(endpoints) - MAX_ENDPOINTS, 'more endpoint')}")
    return section


def endpoints_section(obj: dict[str, Any]) -> Section:
    """v1 Endpoints: per subset, the ready and not-ready addresses and the ports."""
    section = Section()
    subsets = obj.get("subsets") or []
    ready = sum(len(s.get("addresses") or []) for s in subsets)
    not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    section.add(f"  endpoints: {ready} ready, {not_ready} not ready", key=True)
    shown = 0
    for subset in subsets:
        ports = ", ".join(
            f"{p.get('name') or ''} {p.get('port')}/{p.get('protocol', 'TCP')}".strip()
            for p in subset.get("ports") or []
        )
        section.add(f"  ports: {ports or '<none>'}")
        for field_name, ready_flag in (("notReadyAddresses", False), ("addresses", True)):
            for address in subset.get(field_name) or []:
                if shown >= MAX_ENDPOINTS:
                    continue
                shown += 1
                line = _endpoint_line([str(address.get("ip"))], {"ready": ready_flag}, address)
                section.add(line, key=shown <= 5)
    if ready + not_ready > shown:
        section.add(f"    ... {plural(ready + not_ready - shown, 'more address', 'more addresses')}")
    return section


# --- workloads -------------------------------------------------------------------------------------


def template_section(obj: dict[str, Any], now: datetime) -> Section:
    """The pod template as `kubectl describe` shows it: labels, service account, node selector, each
    container (image, ports, env and its references, probes, resources, mounts) and the volumes."""
    section = Section()
    spec = obj.get("spec") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    if not template:
        return section
    pod_spec = template.get("spec") or {}
    section.add("Pod template:")
    section.add(pod_labels_line(labels_of(template)))
    placement = placement_text(pod_spec)
    if placement:
        section.add(indented("  ", placement))
    for line in container_lines(template, now):
        section.add(indented("  ", line))
    volumes = volume_lines(template)
    if volumes:
        section.add(joined(", ", volumes, prefix="  volumes: "))
    return section


def replicaset_section(kube: KubeAccess, deployment: dict[str, Any], now: datetime) -> Section:
    """The Deployment's new ReplicaSet and its newest old ones: revision, ready/desired, age, change-cause."""
    section = Section()
    sets = owned(kube, deployment, "ReplicaSet")
    if not sets:
        return section

    def revision(rs: dict[str, Any]) -> int:
        try:
            return int((meta(rs).get("annotations") or {}).get(REVISION) or 0)
        except ValueError:
            return 0

    sets.sort(key=revision, reverse=True)
    current = str((meta(deployment).get("annotations") or {}).get(REVISION) or "")
    newest = next((rs for rs in sets if str(revision(rs)) == current), sets[0])

    def line(rs: dict[str, Any]) -> str:
        status = rs.get("status") or {}
        cause = (meta(rs).get("annotations") or {}).get(CHANGE_CAUSE)
        images = ",".join(
            str(c.get("image"))
            for c in (
                (((rs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
            )
        )
        desired = (rs.get("spec") or {}).get("replicas", 0)
        age = kubectl_age(meta(rs).get("creationTimestamp"), now)
        text = (
            f"{name_of(rs)} (rev {revision(rs)}, {status.get('readyReplicas', 0)}/{desired} ready, "
            f"created {age} ago, {images})"
        )
        return text + (f" change-cause: {short(cause, 120)}" if cause else "")

    section.add(
        printed(f"  new ReplicaSet: {line(newest)}", printed_key("replicaset", name_of(newest))), key=True
    )
    old = [rs for rs in sets if rs is not newest]
    for rs in old[:MAX_OLD_REPLICASETS]:
        shown = printed(f"  old ReplicaSet: {line(rs)}", printed_key("replicaset", name_of(rs)))
        section.add(shown, key=rs is old[0])
    if len(old) > MAX_OLD_REPLICASETS:
        section.add(
            f"  ... {plural(len(old) - MAX_OLD_REPLICASETS, 'older ReplicaSet')}; k8s_workload shows them"
        )
    return section
