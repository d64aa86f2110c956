"""Pods as a model needs them: grouped lists, container states, env (masked), probes, volumes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from tools.contracts.kube import objects
from tools.contracts.kube.pod_status import pod_is_healthy, pod_ready, pod_restarts, pod_status
from tools.contracts.kube.selectors import map_text
from tools.contracts.kube.time import kubectl_age
from tools.contracts.printed import indented, joined, printed, printed_key, reference_key
from tools.contracts.wording import plural
from tools.kubernetes.redact import env_value
from tools.kubernetes.render import (
    BoundedText,
    counted,
    pod_line,
    short,
)

FOLD_QUIET_AT = 2  # below this, a pod's own line costs no more than the count that replaces it
MAX_QUIET_GROUPS = 12


def is_quiet(pod: dict[str, Any], status: str | None = None) -> bool:
    """Healthy and never restarted: nothing about such a pod decides a diagnosis, so lists count it by
    workload instead of printing it (a restart, however old, is a clue and keeps the pod's line)."""
    return pod_is_healthy(pod, status) and pod_restarts(pod) == 0


NO_CONTROLLER = "(no controller)"


def workload_name(pod: dict[str, Any]) -> str:
    """The controller a pod belongs to, by name: a Deployment's ReplicaSet (``<deploy>-<pod-template-hash>``)
    by its Deployment's; :data:`NO_CONTROLLER` for a bare pod."""
    meta = objects.meta(pod)
    owners = meta.get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    if owner is None:
        return NO_CONTROLLER
    name = str(owner.get("name"))
    template_hash = (meta.get("labels") or {}).get("pod-template-hash")
    if owner.get("kind") == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
        return name[: -len(template_hash) - 1]
    return name


def quiet_line(by_workload: Counter[str], hint: str) -> str:
    """'  +11 healthy, no restarts: catalog 2, cart 1; <hint>' (counted by workload)."""
    total = sum(by_workload.values())
    groups = sorted(by_workload.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{name} {count}" for name, count in groups[:MAX_QUIET_GROUPS])
    if len(groups) > MAX_QUIET_GROUPS:
        shown += f", {plural(len(groups) - MAX_QUIET_GROUPS, 'more workload')}"
    return f"  +{total} healthy, no restarts: {shown}; {hint}"


def add_pods(
    out: BoundedText,
    pods: list[dict[str, Any]],
    now: datetime,
    hint: str,
    with_namespace: bool = False,
    share: float = 1.0,
    fold_quiet: str | None = None,
) -> None:
    """'Pods (412): 409 Running, 3 CrashLoopBackOff' and one line per pod, unhealthy ones first; with
    ``fold_quiet`` (how to list them), the quiet pods (:func:`is_quiet`) are counted by workload instead."""
    if not pods:
        out.add("Pods: none")
        return
    out.add(f"Pods ({len(pods)}): {counted(Counter(pod_status(p) for p in pods))}")
    quiet = [p for p in pods if is_quiet(p)] if fold_quiet else []
    if len(quiet) < FOLD_QUIET_AT:
        quiet = []
    listed = [p for p in pods if not quiet or not is_quiet(p)]
    ordered = sorted(listed, key=lambda p: (pod_is_healthy(p), objects.meta(p).get("name", "")))
    if ordered:
        out.add_all((f"  {pod_line(p, now, with_namespace)}" for p in ordered), "pod", hint, share)
    if quiet and fold_quiet:
        out.note(quiet_line(Counter(workload_name(p) for p in quiet), fold_quiet))


def pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    """A pod as structured data: status, readiness, restarts, container states."""
    meta = objects.meta(pod)
    return {
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "status": pod_status(pod),
        "ready": pod_ready(pod),
        "restarts": pod_restarts(pod),
        "node": (pod.get("spec") or {}).get("nodeName"),
        "healthy": pod_is_healthy(pod),
        "containers": [
            {
                "name": s.get("name"),
                "ready": bool(s.get("ready")),
                "restarts": int(s.get("restartCount") or 0),
                "state": s.get("state") or {},
                "last_state": s.get("lastState") or {},
                "image": s.get("image"),
            }
            for s in (pod.get("status") or {}).get("containerStatuses") or []
        ],
    }


def state_text(state: dict[str, Any] | None, now: datetime) -> str:
    """running since 3h / waiting CrashLoopBackOff: back-off ... / terminated OOMKilled exit=137."""
    state = state or {}
    if "running" in state:
        return f"running (started {kubectl_age((state['running'] or {}).get('startedAt'), now)} ago)"
    if "waiting" in state:
        waiting = state["waiting"] or {}
        message = f": {short(waiting['message'], 200)}" if waiting.get("message") else ""
        return f"waiting {waiting.get('reason', '')}{message}"
    if "terminated" in state:
        t = state["terminated"] or {}
        message = f": {short(t['message'], 200)}" if t.get("message") else ""
        finished = f", finished {kubectl_age(t.get('finishedAt'), now)} ago" if t.get("finishedAt") else ""
        return f"terminated {t.get('reason', '')} exit={t.get('exitCode')}{finished}{message}"
    return "unknown"


def container_lines(pod: dict[str, Any], now: datetime) -> list[str]:
    """Per container: image, state, last state, ports, resources, env (masked), probes, mounts."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    states = {s.get("name"): s for s in status.get("containerStatuses") or []}
    states.update({s.get("name"): s for s in status.get("initContainerStatuses") or []})
    lines: list[str] = []
    for label, containers in (
        ("Init containers", spec.get("initContainers")),
        ("Containers", spec.get("containers")),
    ):
        if not containers:
            continue
        lines.append(f"{label}:")
        for container in containers:
            lines += _one_container(container, states.get(container.get("name")) or {}, now)
    return lines


def _one_container(container: dict[str, Any], state: dict[str, Any], now: datetime) -> list[str]:
    name = container.get("name")
    head = f"  {name}  image={container.get('image')}"
    if state:
        head += f"  ready={str(bool(state.get('ready'))).lower()}  restarts={state.get('restartCount', 0)}"
    lines = [printed(head, printed_key("restarts", name)) if state else head]
    if state:
        lines.append(f"    state: {state_text(state.get('state'), now)}")
        if state.get("lastState"):
            lines.append(f"    last state: {state_text(state.get('lastState'), now)}")
    ports = [
        f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" + (f"({p['name']})" if p.get("name") else "")
        for p in container.get("ports") or []
    ]
    if ports:
        lines.append(f"    ports: {', '.join(ports)}")
    if container.get("command") or container.get("args"):
        command = " ".join(str(c) for c in (container.get("command") or []) + (container.get("args") or []))
        lines.append(f"    command: {short(command, 200)}")
    resources = container.get("resources") or {}
    if resources.get("requests") or resources.get("limits"):
        lines.append(
            f"    requests: {_quantities(resources.get('requests'))}"
            f"  limits: {_quantities(resources.get('limits'))}"
        )
    lines += [indented("    ", line) for line in env_lines(container)]
    for kind in ("liveness", "readiness", "startup"):
        probe = container.get(f"{kind}Probe")
        if probe:
            lines.append(f"    {kind} probe: {probe_text(probe)}")
    mounts = [
        f"{m.get('name')}->{m.get('mountPath')}" + (" (ro)" if m.get("readOnly") else "")
        for m in container.get("volumeMounts") or []
        if not str(m.get("mountPath", "")).startswith(SERVICE_ACCOUNT_MOUNT)
    ]
    if mounts:
        lines.append(f"    mounts: {', '.join(mounts)}")
    return lines


def reference_text(kind: str, name: str | None, key: str | None = None) -> str:
    """How a pod spec's reference to a ConfigMap or Secret (or one key of it) is written, in env, envFrom and
    volume lines alike; analyzers cite a reference by this same text."""
    what = f"{kind.lower()} '{name}'"
    return f"key '{key}' of {what}" if key else what


def env_lines(container: dict[str, Any]) -> list[str]:
    """One line per env var: literal values with credential-looking ones masked; references (ConfigMap and
    Secret keys, fields, resources) by name only, never their values; envFrom sources."""
    result = []
    for var in container.get("env") or []:
        name = var.get("name", "?")
        source = var.get("valueFrom") or {}
        if "value" in var:
            result.append(f"env {name}={env_value(name, var.get('value'))}")
            continue
        for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            if source.get(field):
                ref = source[field]
                optional = " (optional)" if ref.get("optional") else ""
                result.append(
                    printed(
                        f"env {name} from {reference_text(kind, ref.get('name'), ref.get('key'))}{optional}",
                        reference_key(kind, ref.get("name"), ref.get("key")),
                    )
                )
                break
        else:
            if source.get("fieldRef"):
                result.append(f"env {name} from field {source['fieldRef'].get('fieldPath')}")
            elif source.get("resourceFieldRef"):
                result.append(f"env {name} from resource {source['resourceFieldRef'].get('resource')}")
            else:
                result.append(f"env {name}")
    for source in container.get("envFrom") or []:
        prefix = f" with prefix {source['prefix']}" if source.get("prefix") else ""
        for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if source.get(field):
                ref = source[field]
                optional = " (optional)" if ref.get("optional") else ""
                result.append(
                    printed(
                        f"env from all keys of {reference_text(kind, ref.get('name'))}{prefix}{optional}",
                        reference_key(kind, ref.get("name")),
                    )
                )
    return result


def probe_text(probe: dict[str, Any]) -> str:
    if probe.get("httpGet"):
        http = probe["httpGet"]
        target = f"http-get {http.get('scheme', 'HTTP').lower()}://:{http.get('port')}{http.get('path', '/')}"
    elif probe.get("tcpSocket"):
        target = f"tcp-socket :{probe['tcpSocket'].get('port')}"
    elif probe.get("exec"):
        target = "exec " + short(" ".join(probe["exec"].get("command") or []), 80)
    elif probe.get("grpc"):
        target = f"grpc :{probe['grpc'].get('port')}"
    else:
        target = "?"
    timing = (
        f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
        f"period={probe.get('periodSeconds', 10)}s failure={probe.get('failureThreshold', 3)}"
    )
    return f"{target} {timing}"


SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def placement_text(pod_spec: dict[str, Any]) -> str:
    """A pod spec's (or pod template's) account and placement in one line: service account, node
    selector, affinity kinds, how many tolerations, priority class; "" when it sets none of them."""
    extras = []
    if pod_spec.get("serviceAccountName"):
        account = pod_spec["serviceAccountName"]
        extras.append(printed(f"serviceAccount={account}", printed_key("service-account", account)))
    if pod_spec.get("nodeSelector"):
        extras.append(f"nodeSelector={map_text(pod_spec['nodeSelector'])}")
    if pod_spec.get("affinity"):
        extras.append("affinity=" + ",".join(sorted(pod_spec["affinity"])))
    if pod_spec.get("tolerations"):
        extras.append(f"tolerations={len(pod_spec['tolerations'])}")
    if pod_spec.get("priorityClassName"):
        extras.append(f"priorityClass={pod_spec['priorityClassName']}")
    return joined("  ", extras)


def volume_lines(pod: dict[str, Any]) -> list[str]:
    """A pod's (or pod template's) volumes, ConfigMap and Secret ones by :func:`reference_text`."""
    result = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = volume.get("name")
        if volume.get("configMap"):
            source = volume["configMap"].get("name")
            result.append(
                printed(f"{name} ({reference_text('ConfigMap', source)})", reference_key("ConfigMap", source))
            )
        elif volume.get("secret"):
            source = volume["secret"].get("secretName")
            result.append(
                printed(f"{name} ({reference_text('Secret', source)})", reference_key("Secret", source))
            )
        elif volume.get("persistentVolumeClaim"):
            result.append(f"{name} (pvc {volume['persistentVolumeClaim'].get('claimName')})")
        elif volume.get("emptyDir") is not None:
            limit = (volume.get("emptyDir") or {}).get("sizeLimit")
            result.append(f"{name} (emptyDir{' ' + str(limit) if limit else ''})")
        elif volume.get("projected") is not None:
            sources = [
                printed(reference_text(kind, named), reference_key(kind, named))
                for source in volume["projected"].get("sources") or []
                for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret"))
                if source.get(field)
                for named in [(source.get(field) or {}).get("name")]
            ]
            token = any(s.get("serviceAccountToken") for s in volume["projected"].get("sources") or [])
            if sources and not token:  # the API access volume every pod has is noise
                result.append(joined(", ", sources, prefix=f"{name} (projected ", suffix=")"))
        elif volume.get("hostPath"):
            result.append(f"{name} (hostPath {volume['hostPath'].get('path')})")
        else:
            kinds = [k for k in volume if k != "name"]
            result.append(f"{name} ({kinds[0] if kinds else '?'})")
    return result


# Conditions whose reason and message matter when they are True (the others explain themselves when False).
EXPLAINED_WHEN_TRUE = (
    "Progressing", "Failed", "Complete", "ReplicaFailure", "FailureTarget", "DisruptionTarget",
    "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable",
)  # fmt: skip


def condition_text(conditions: list[dict[str, Any]] | None, now: datetime) -> str:
    parts = []
    for cond in conditions or []:
        text = f"{cond.get('type')}={cond.get('status')}"
        details = [d for d in (cond.get("reason"), short(cond.get("message"), 160)) if d]
        explain = cond.get("status") != "True" or cond.get("type") in EXPLAINED_WHEN_TRUE
        if details and explain:
            text += f" ({': '.join(details)})"
        if cond.get("lastTransitionTime"):
            text += f" since {kubectl_age(cond['lastTransitionTime'], now)}"
        parts.append(text)
    return "; ".join(parts) or "<none>"


def _quantities(values: dict[str, Any] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((values or {}).items())) or "<none>"
