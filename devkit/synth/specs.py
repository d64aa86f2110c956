"""Container and pod-template specs as the API server returns them (defaults filled in)."""

from __future__ import annotations

from typing import Any


def secret_ref(secret: str, key: str) -> dict[str, Any]:
    """`env={"DB_PASSWORD": secret_ref("db-creds", "password")}`."""
    return {"secretKeyRef": {"name": secret, "key": key}}


def configmap_ref(configmap: str, key: str) -> dict[str, Any]:
    return {"configMapKeyRef": {"name": configmap, "key": key}}


def _env(env: dict[str, Any] | None) -> list[dict[str, Any]]:
    items = []
    for name, value in (env or {}).items():
        if isinstance(value, dict):
            items.append({"name": name, "valueFrom": value})
        else:
            items.append({"name": name, "value": str(value)})
    return items


def http_probe(path: str, port: int | str, initial_delay: int = 0, period: int = 10) -> dict[str, Any]:
    return {
        "failureThreshold": 3,
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "successThreshold": 1,
        "timeoutSeconds": 1,
    }


def tcp_probe(port: int | str, initial_delay: int = 0, period: int = 10) -> dict[str, Any]:
    return {
        "failureThreshold": 3,
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "successThreshold": 1,
        "tcpSocket": {"port": port},
        "timeoutSeconds": 1,
    }


def container(
    name: str,
    image: str,
    *,
    port: int | None = None,
    port_name: str = "http",
    ports: list[tuple[str, int, str]] | None = None,
    cpu: str | None = "100m",
    memory: str | None = "128Mi",
    cpu_limit: str | None = None,
    memory_limit: str | None = None,
    env: dict[str, Any] | None = None,
    env_from: list[dict[str, Any]] | None = None,
    probe_path: str | None = "/healthz",
    readiness_path: str | None = None,
    tcp_probes: bool = False,
    command: list[str] | None = None,
    args: list[str] | None = None,
    volume_mounts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One container spec. `ports` is a list of (name, containerPort, protocol); `port` is the shortcut."""
    spec: dict[str, Any] = {
        "image": image,
        "imagePullPolicy": "Always" if image.endswith(":latest") else "IfNotPresent",
        "name": name,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if command:
        spec["command"] = list(command)
    if args:
        spec["args"] = list(args)
    all_ports = list(ports or [])
    if port is not None:
        all_ports.insert(0, (port_name, port, "TCP"))
    if all_ports:
        spec["ports"] = [{"containerPort": p, "name": n, "protocol": proto} for n, p, proto in all_ports]
    if env:
        spec["env"] = _env(env)
    if env_from:
        spec["envFrom"] = env_from
    resources: dict[str, dict[str, str]] = {}
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    limits = {k: v for k, v in (("cpu", cpu_limit), ("memory", memory_limit)) if v}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    spec["resources"] = resources
    if all_ports and (probe_path or tcp_probes):
        probe_port = all_ports[0][0] or all_ports[0][1]
        if tcp_probes:
            spec["livenessProbe"] = tcp_probe(probe_port, initial_delay=15, period=20)
            spec["readinessProbe"] = tcp_probe(probe_port, initial_delay=5)
        else:
            spec["livenessProbe"] = http_probe(probe_path, probe_port, initial_delay=10)
            spec["readinessProbe"] = http_probe(readiness_path or probe_path, probe_port, period=5)
    if volume_mounts:
        spec["volumeMounts"] = volume_mounts
    return spec


def pod_template(
    labels: dict[str, str],
    containers: list[dict[str, Any]],
    *,
    volumes: list[dict[str, Any]] | None = None,
    service_account: str | None = None,
    node_selector: dict[str, str] | None = None,
    tolerations: list[dict[str, Any]] | None = None,
    init_containers: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    priority_class: str | None = None,
    host_network: bool = False,
) -> dict[str, Any]:
    """A `spec.template` with the defaults the API server adds."""
    spec: dict[str, Any] = {
        "containers": containers,
        "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }
    if host_network:
        spec["hostNetwork"] = True
    if init_containers:
        spec["initContainers"] = init_containers
    if volumes:
        spec["volumes"] = volumes
    if service_account:
        spec["serviceAccount"] = service_account
        spec["serviceAccountName"] = service_account
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    if priority_class:
        spec["priorityClassName"] = priority_class
    metadata: dict[str, Any] = {"labels": dict(labels)}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"metadata": metadata, "spec": spec}


def configmap_volume(name: str, configmap: str) -> dict[str, Any]:
    return {"configMap": {"defaultMode": 420, "name": configmap}, "name": name}


def secret_volume(name: str, secret: str) -> dict[str, Any]:
    return {"name": name, "secret": {"defaultMode": 420, "secretName": secret}}


def pvc_volume(name: str, claim: str) -> dict[str, Any]:
    return {"name": name, "persistentVolumeClaim": {"claimName": claim}}


def mount(name: str, path: str, read_only: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"mountPath": path, "name": name}
    if read_only:
        item["readOnly"] = True
    return item
