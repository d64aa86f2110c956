"""Service connectivity facts and the NetworkPolicies that select a pod."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tools.contracts.kube.objects import meta
from tools.contracts.kube.pod_status import pod_is_healthy, pod_status
from tools.contracts.kube.selectors import map_text, matches, selector_text
from tools.contracts.wording import plural
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.netpol import policy_types
from tools.kubernetes.pods import add_pods
from tools.kubernetes.render import BoundedText, changed_line, created_line

# --- Services --------------------------------------------------------------------------------------


def _container_ports(pod: dict[str, Any]) -> list[dict[str, Any]]:
    ports = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            ports.append({**port, "container": container.get("name")})
    return ports


def resolve_target(port: dict[str, Any], pods: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """Where a Service port sends traffic on the selected pods, and the problems with that."""
    target = port.get("targetPort", port.get("port"))
    protocol = port.get("protocol", "TCP")
    if not pods:
        return f"targetPort {target}", []
    problems: list[str] = []
    resolved: set[str] = set()
    declared: set[str] = set()
    unresolved = 0
    for pod in pods:
        ports = _container_ports(pod)
        declared |= {
            f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}"
            + (f"({p['name']})" if p.get("name") else "")
            for p in ports
        }
        if isinstance(target, str) and not target.isdigit():
            found = [p for p in ports if p.get("name") == target and p.get("protocol", "TCP") == protocol]
            if found:
                resolved.add(
                    f"{found[0].get('containerPort')}/{protocol} on container {found[0]['container']}"
                )
            else:
                unresolved += 1
        else:
            number = int(target)
            found = [
                p for p in ports if p.get("containerPort") == number and p.get("protocol", "TCP") == protocol
            ]
            if found:
                resolved.add(f"{number}/{protocol} on container {found[0]['container']}")
            else:
                unresolved += 1
    declared_text = ", ".join(sorted(declared)) or "no ports"
    if unresolved:
        if isinstance(target, str) and not target.isdigit():
            problems.append(
                f"targetPort {target!r} names no {protocol} containerPort in {unresolved} of "
                f"{plural(len(pods), 'selected pod')}; the pods declare {declared_text}"
            )
        elif declared:
            problems.append(
                f"targetPort {target}/{protocol} is not a declared containerPort in {unresolved} of "
                f"{plural(len(pods), 'selected pod')}; the pods declare {declared_text}"
            )
    text = f"targetPort {target} -> " + (", ".join(sorted(resolved)) if resolved else "unresolved")
    return text, problems


def service_report(
    kube: KubeAccess, name: str, namespace: str, now: datetime, budget: int
) -> tuple[BoundedText, dict[str, Any]]:
    svc = kube.get_object("Service", name, namespace)
    spec = svc.get("spec") or {}
    out = BoundedText(budget)
    selector = spec.get("selector") or {}
    key: list[str] = []  # the lines that prove the Service's state: what a citation of it quotes
    key.append(
        f"Service {namespace}/{name}  type={spec.get('type', 'ClusterIP')}"
        f"  clusterIP={spec.get('clusterIP', '<none>')}"
        + (f"  externalName={spec['externalName']}" if spec.get("externalName") else "")
    )
    key.append(f"  selector: {map_text(selector) or '<none> (endpoints are managed by hand)'}")
    key += [line for line in (created_line(svc, now), changed_line(svc, now)) if line]
    for line in key:
        out.add(line)
    pods = kube.list_objects("pods", namespace, label_selector=map_text(selector)) if selector else []
    problems: list[str] = []
    ports_data = []
    for port in spec.get("ports") or []:
        target_text, port_problems = resolve_target(port, pods)
        problems += port_problems
        label = f"{port.get('name')} " if port.get("name") else ""
        out.add(f"  port {label}{port.get('port')}/{port.get('protocol', 'TCP')}: {target_text}")
        ports_data.append({"port": port, "target": target_text})
    ready_pods = [p for p in pods if pod_is_healthy(p)]
    if selector and not pods:
        problems.append(f"selector {map_text(selector)} matches no pod in {namespace}")
    elif pods and not ready_pods:
        problems.append(
            "the one selected pod is not ready"
            if len(pods) == 1
            else f"none of the {plural(len(pods), 'selected pod')} is ready"
        )
    slices = kube.list_objects(
        "endpointslices", namespace, label_selector=f"kubernetes.io/service-name={name}"
    )
    slice_data = []
    ready_addresses = 0
    out.add(f"EndpointSlices ({len(slices)}):")
    for item in slices:
        endpoints = item.get("endpoints") or []
        ready = [e for e in endpoints if (e.get("conditions") or {}).get("ready", True)]
        ready_addresses += sum(len(e.get("addresses") or []) for e in ready)
        not_ready = len(endpoints) - len(ready)
        slice_ports = ", ".join(
            f"{p.get('name') or ''} {p.get('port')}/{p.get('protocol', 'TCP')}".strip()
            for p in item.get("ports") or []
        )
        line = (
            f"  {(item.get('metadata') or {}).get('name')}: {len(ready)} ready, "
            f"{plural(not_ready, 'not ready endpoint') if not_ready else '0 not ready'}; "
            f"ports {slice_ports or '<none>'}"
        )
        out.add(line)
        key.append(line)
        slice_data.append({"name": meta(item).get("name"), "ready": len(ready), "not_ready": not_ready})
    if spec.get("type") != "ExternalName" and not ready_addresses:
        problems.append("the Service has no ready endpoint: traffic to it fails")
    if problems:
        out.add("Problems:")
        for problem in problems:
            out.add(f"  - {problem}")
            key.append(f"  - {problem}")
    else:
        out.add("Problems: none found")
    add_pods(out, pods, now, f"k8s_list kind=pods namespace={namespace} label_selector=... narrows")
    data = {
        "service": {
            "namespace": namespace,
            "name": name,
            "type": spec.get("type", "ClusterIP"),
            "selector": selector,
        },
        "ports": ports_data,
        "pods": [
            {
                "name": meta(p).get("name"),
                "status": pod_status(p),
                "ready": pod_is_healthy(p),
            }
            for p in pods[:200]
        ],
        "selected_pods": len(pods),
        "ready_pods": len(ready_pods),
        "endpoint_slices": slice_data,
        "ready_endpoints": ready_addresses,
        "problems": problems,
        "key_lines": [line for line in key if line in set(out.lines)],
    }
    return out, data


# --- NetworkPolicies -------------------------------------------------------------------------------


def _ports_text(ports: list[dict[str, Any]] | None) -> str:
    if not ports:
        return "all ports"
    parts = []
    for port in ports:
        value = port.get("port", "all")
        end = f"-{port['endPort']}" if port.get("endPort") else ""
        parts.append(f"{value}{end}/{port.get('protocol', 'TCP')}")
    return ", ".join(parts)


def _peer_text(peer: dict[str, Any], namespaces: list[dict[str, Any]], own_namespace: str) -> str:
    if peer.get("ipBlock"):
        block = peer["ipBlock"]
        excepts = f" except {','.join(block['except'])}" if block.get("except") else ""
        return f"ipBlock {block.get('cidr')}{excepts}"
    pods = peer.get("podSelector")
    ns_selector = peer.get("namespaceSelector")
    if ns_selector is None:
        where = f"namespace {own_namespace}"
    elif not ns_selector:
        where = "all namespaces"
    else:
        names = [meta(n).get("name") for n in namespaces if matches(ns_selector, meta(n).get("labels"))]
        listed = ", ".join(str(n) for n in names[:8]) + (
            f", +{len(names) - 8} more" if len(names) > 8 else ""
        )
        where = f"namespaces {selector_text(ns_selector) or '<all>'} ({listed or 'none match'})"
    who = "all pods" if not pods else f"pods {selector_text(pods) or '<all>'}"
    return f"{who} in {where}"


def _rules_lines(
    rules: list[dict[str, Any]] | None, direction: str, namespaces: list[dict[str, Any]], own: str
) -> list[str]:
    peer_key = "from" if direction == "ingress" else "to"
    if not rules:
        return [f"    {direction}: no rule allows anything (all {direction} denied by this policy)"]
    lines = []
    for rule in rules:
        peers = rule.get(peer_key)
        who = "anywhere" if not peers else "; ".join(_peer_text(p, namespaces, own) for p in peers)
        lines.append(f"    {direction} allowed {peer_key} {who} on {_ports_text(rule.get('ports'))}")
    return lines


def policy_rule_lines(policy: dict[str, Any], direction: str, namespaces: list[dict[str, Any]]) -> list[str]:
    """One line per rule of a policy for ``direction`` ("Ingress" or "Egress"): the peers it admits (the
    namespaces a namespaceSelector picks among ``namespaces``) and the ports."""
    key = direction.lower()
    own = meta(policy).get("namespace") or "default"
    return _rules_lines((policy.get("spec") or {}).get(key), key, namespaces, own)


def _allows_dns(rules: list[dict[str, Any]] | None) -> bool:
    for rule in rules or []:
        ports = rule.get("ports")
        if not ports:
            return True
        for port in ports:
            if str(port.get("port")) in ("53", "dns") or (
                port.get("endPort") and port.get("port", 0) <= 53 <= port["endPort"]
            ):
                return True
    return False


def netpol_report(
    kube: KubeAccess, namespace: str, pod_name: str, budget: int
) -> tuple[BoundedText, dict[str, Any]]:
    pod = kube.get_object("Pod", pod_name, namespace)
    labels = meta(pod).get("labels") or {}
    policies = kube.list_objects("networkpolicies", namespace)
    selecting = [p for p in policies if matches((p.get("spec") or {}).get("podSelector") or {}, labels)]
    namespaces = (
        kube.list_objects("namespaces") if any(_uses_namespace_selector(p) for p in selecting) else []
    )
    out = BoundedText(budget)
    out.add(f"Pod {namespace}/{pod_name}  labels: {map_text(labels) or '<none>'}")
    ingress_isolated = any("Ingress" in policy_types(p) for p in selecting)
    egress_isolated = any("Egress" in policy_types(p) for p in selecting)
    out.add(
        f"NetworkPolicies in {namespace}: {len(policies)}; selecting this pod: {len(selecting)} "
        f"(ingress {'isolated' if ingress_isolated else 'not isolated: all allowed'}, "
        f"egress {'isolated' if egress_isolated else 'not isolated: all allowed'})"
    )
    data_policies = []
    for policy in selecting:
        spec = policy.get("spec") or {}
        name = meta(policy).get("name")
        types = policy_types(policy)
        out.add(
            f"  {name}  podSelector: "
            f"{selector_text(spec.get('podSelector')) or '<all pods>'}"
            f"  types={','.join(types)}"
        )
        lines: list[str] = []
        if "Ingress" in types:
            lines += _rules_lines(spec.get("ingress"), "ingress", namespaces, namespace)
        if "Egress" in types:
            lines += _rules_lines(spec.get("egress"), "egress", namespaces, namespace)
        out.add_all(lines, "rule line", "k8s_get kind=networkpolicy shows the whole policy")
        data_policies.append(
            {"name": name, "types": types, "ingress": spec.get("ingress"), "egress": spec.get("egress")}
        )
    if egress_isolated and not any(
        _allows_dns((p.get("spec") or {}).get("egress")) for p in selecting if "Egress" in policy_types(p)
    ):
        out.add(
            "  note: egress is isolated and no selecting policy allows port 53: "
            "DNS lookups from this pod are dropped"
        )
    others = [meta(p).get("name") for p in policies if p not in selecting]
    if others:
        shown = ", ".join(str(o) for o in others[:10]) + (
            f", +{len(others) - 10} more" if len(others) > 10 else ""
        )
        out.add(f"Not selecting this pod: {shown}")
    data = {
        "pod": {"namespace": namespace, "name": pod_name, "labels": labels},
        "ingress_isolated": ingress_isolated,
        "egress_isolated": egress_isolated,
        "policies": data_policies,
        "not_selecting": others,
    }
    return out, data


def _uses_namespace_selector(policy: dict[str, Any]) -> bool:
    spec = policy.get("spec") or {}
    for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
        for peer in (rule.get("from") or []) + (rule.get("to") or []):
            if peer.get("namespaceSelector"):
                return True
    return False


__all__ = ["netpol_report", "pod_status", "resolve_target", "service_report"]
