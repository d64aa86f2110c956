"""What an Ingress, or an OpenShift Route, sends to. An Ingress's backends come in both shapes the API
has served: networking.k8s.io/v1 (`backend.service.name`, `backend.service.port.number|name`,
`spec.defaultBackend`) and the v1beta1 one that clusters up to 1.21 and old support bundles carry
(`backend.serviceName`, `backend.servicePort`, `spec.backend`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Backend:
    where: str  # "defaultBackend", or the rule's host and path ("shop.example.com/api")
    service: str | None  # the Service it sends to; None for a resource backend
    port: dict[str, Any]  # {"number": 80} or {"name": "http"}; {} when unset


def ingress_backends(ingress: dict[str, Any]) -> list[Backend]:
    """The default backend and every rule path's backend, in order."""
    spec = ingress.get("spec") or {}
    found = []
    default = spec.get("defaultBackend") or spec.get("backend")
    if default:
        found.append(_backend("defaultBackend", default))
    for rule in spec.get("rules") or []:
        host = rule.get("host") or "*"
        for path in (rule.get("http") or {}).get("paths") or []:
            found.append(_backend(f"{host}{path.get('path') or '/'}", path.get("backend") or {}))
    return found


def backend_services(front: dict[str, Any]) -> list[str]:
    """The Services an Ingress, or an OpenShift Route (`spec.to`, `spec.alternateBackends`), sends to,
    each once, in order."""
    if front.get("kind") == "Route":
        spec = front.get("spec") or {}
        targets = [spec.get("to") or {}, *(spec.get("alternateBackends") or [])]
        names = [t.get("name") for t in targets if t.get("kind", "Service") == "Service"]
        return list(dict.fromkeys(name for name in names if name))
    return list(dict.fromkeys(b.service for b in ingress_backends(front) if b.service))


def _backend(where: str, backend: dict[str, Any]) -> Backend:
    if "serviceName" in backend:  # v1beta1
        port = backend.get("servicePort")
        shaped = {"number": port} if isinstance(port, int) else {"name": port} if port else {}
        return Backend(where, backend.get("serviceName") or None, shaped)
    service = backend.get("service") or {}
    return Backend(where, service.get("name") or None, dict(service.get("port") or {}))
