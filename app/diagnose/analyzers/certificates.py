"""CertificateExpired: an expired (or soon-expiring, failing to renew) TLS certificate.

Secret values are stripped before analyzers see them, so expiry comes from cert-manager Certificate
objects (status.notAfter, Ready condition) and from logs (`x509: certificate has expired or is not yet
valid`). A log line is tied to the Secret behind the host it calls (Service → its pods' TLS Secret volume,
or an Ingress tls entry), else to a TLS Secret the pod mounts; an expired Certificate for that Secret is
the culprit when there is one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import Facts
from app.diagnose.k8s_facts import RECENT, condition
from app.diagnose.log_shapes import find_shapes, shape_is_recent
from app.diagnose.workload_facts import cite_log, cite_object, find, key_of, kubectl, owner_workload, pod_ref
from tools.contracts.diagnosis import Category, NextStep, ResourceRef
from tools.contracts.kube.objects import meta, name_of, namespace_of
from tools.contracts.kube.time import parse_time

RENEWAL_WARNING = timedelta(days=7)
# The host a failing TLS call went to: a URL, a dial target, or a cluster DNS name anywhere in the line.
URL_HOST = re.compile(
    r"https://(?P<host>[\w.\-]+)|\bdial tcp (?P<dial>[a-z0-9][\w.\-]*):\d+"
    r"|\b(?P<svc>[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*\.svc)\b"
)
CERT_KEYS = ("tls.crt", ".crt", ".pem")


def analyze(facts: Facts) -> list[Candidate]:
    candidates: dict[tuple[str, str, str], Candidate] = {}
    for cert in facts.of_kind("Certificate"):
        candidate = _certificate_candidate(facts, cert)
        if candidate:
            candidates[key_of(candidate.resource)] = candidate
    for (namespace, pod_name, container, previous), text in sorted(facts.logs.items()):
        pod = find(facts, "Pod", namespace, pod_name)
        shapes = [s for s in find_shapes(text, ("x509_expired",)) if shape_is_recent(s, facts.now, RECENT)]
        if pod is None or not shapes:
            continue
        line = shapes[-1].line
        cite = cite_log(namespace, pod_name, container, previous, line)
        secret = _secret_for_line(facts, pod, line)
        cert = _certificate_for(facts, secret) if secret else None
        culprit = _ref(cert) if cert is not None else (_ref(secret) if secret else None)
        if culprit is None:
            expired = [c for c in candidates.values() if c.confidence >= 0.85]
            if len(expired) == 1:
                culprit = expired[0].resource
        if culprit is not None and key_of(culprit) in candidates:
            candidates[key_of(culprit)].cites.append(cite)
            candidates[key_of(culprit)].affected.append(pod_ref(pod))
            candidates[key_of(culprit)].severity = 3
            continue
        candidate = _log_candidate(facts, pod, line, cite, culprit)
        candidates.setdefault(key_of(candidate.resource), candidate)
    return list(candidates.values())


def _ref(obj: dict[str, Any]) -> ResourceRef:
    return ResourceRef(kind=obj.get("kind", "Secret"), namespace=namespace_of(obj), name=name_of(obj))


def _certificate_candidate(facts: Facts, cert: dict[str, Any]) -> Candidate | None:
    not_after = parse_time((cert.get("status") or {}).get("notAfter"))
    ready = condition(cert, "Ready") or {}
    if not_after is None:
        return None
    expired = not_after <= facts.now
    renewal_failing = ready.get("status") == "False" and not_after - facts.now <= RENEWAL_WARNING
    if not expired and not renewal_failing:
        return None
    secret = (cert.get("spec") or {}).get("secretName", "")
    namespace = namespace_of(cert)
    cites: list[Cite] = [cite_object(cert, name_of(cert), "Certificate")]
    if ready.get("message"):
        cites.append(cite_object(cert, ready["message"], "Certificate"))
    users = _users_of_secret(facts, namespace, secret)
    when = (cert.get("status") or {}).get("notAfter")
    if expired:
        title = f"certificate {name_of(cert)} expired at {when}"
        explanation = (
            f"cert-manager Certificate {namespace}/{name_of(cert)} (Secret {secret}) expired at {when} "
            "and was not renewed; clients reject it with x509 errors."
        )
    else:
        title = f"certificate {name_of(cert)} expires at {when} and is not renewing"
        reason = ready.get("message", "")
        explanation = f"Certificate {namespace}/{name_of(cert)} is not Ready ({reason}) and expires soon."
    if users:
        explanation += " Used by " + ", ".join(str(ref) for ref in users) + "."
    return Candidate(
        title=title,
        category=Category.CertificateExpired,
        resource=_ref(cert),
        confidence=0.9 if expired else 0.6,
        explanation=explanation,
        cites=cites,
        affected=users,
        began=not_after if expired else None,
        severity=(3 if users else 2) if expired else 1,
        next_steps=[
            NextStep(
                description="See why renewal fails",
                command=f"kubectl -n {namespace} describe certificate {name_of(cert)}",
            ),
            NextStep(
                description="Check the issuer and pending requests",
                command=f"kubectl -n {namespace} get certificaterequests,orders,challenges",
            ),
        ],
    )


def _users_of_secret(facts: Facts, namespace: str | None, secret: str) -> list[ResourceRef]:
    users = []
    for ingress in facts.of_kind("Ingress", namespace):
        if any(tls.get("secretName") == secret for tls in (ingress.get("spec") or {}).get("tls") or []):
            users.append(_ref(ingress))
    seen = set()
    for pod in facts.of_kind("Pod", namespace):
        if secret in _tls_volumes(pod):
            workload = owner_workload(facts, pod)
            if key_of(workload) not in seen:
                seen.add(key_of(workload))
                users.append(workload)
    return users


def _tls_volumes(pod: dict[str, Any]) -> list[str]:
    names = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        if (volume.get("secret") or {}).get("secretName"):
            names.append(volume["secret"]["secretName"])
        for source in (volume.get("projected") or {}).get("sources") or []:
            if (source.get("secret") or {}).get("name"):
                names.append(source["secret"]["name"])
    return names


def _secret_for_line(facts: Facts, pod: dict[str, Any], line: str) -> dict[str, Any] | None:
    """The TLS Secret the failing call most likely met: the called host's, else one the pod mounts."""
    match = next((m for m in URL_HOST.finditer(line) if not _is_ip(m["host"] or m["dial"] or m["svc"])), None)
    if match:
        host = match["host"] or match["dial"] or match["svc"]
        for ingress in facts.of_kind("Ingress"):
            for tls in (ingress.get("spec") or {}).get("tls") or []:
                if host in (tls.get("hosts") or []) and tls.get("secretName"):
                    found = find(facts, "Secret", namespace_of(ingress), tls["secretName"])
                    if found is not None:
                        return found
        parts = host.split(".")
        service_ns = parts[1] if len(parts) > 1 else namespace_of(pod)
        service = find(facts, "Service", service_ns, parts[0])
        if service is not None:
            selector = (service.get("spec") or {}).get("selector") or {}
            for backend in facts.of_kind("Pod", service_ns):
                labels = meta(backend).get("labels") or {}
                if selector and all(labels.get(k) == v for k, v in selector.items()):
                    secret = _mounted_tls_secret(facts, backend)
                    if secret is not None:
                        return secret
    return _mounted_tls_secret(facts, pod)


def _is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+", host))


def _holds_certificate(secret: dict[str, Any]) -> bool:
    """A TLS Secret, or any Secret with a certificate key (keys stay visible; values never do)."""
    if secret.get("type") == "kubernetes.io/tls":
        return True
    return any(key.endswith(CERT_KEYS) for key in (secret.get("data") or {}))


def _mounted_tls_secret(facts: Facts, pod: dict[str, Any]) -> dict[str, Any] | None:
    for name in _tls_volumes(pod):
        secret = find(facts, "Secret", namespace_of(pod), name)
        if secret is not None and _holds_certificate(secret):
            return secret
    return None


def _certificate_for(facts: Facts, secret: dict[str, Any]) -> dict[str, Any] | None:
    annotated = (meta(secret).get("annotations") or {}).get("cert-manager.io/certificate-name")
    for cert in facts.of_kind("Certificate", namespace_of(secret)):
        if name_of(cert) == annotated or (cert.get("spec") or {}).get("secretName") == name_of(secret):
            return cert
    return None


def _log_candidate(
    facts: Facts, pod: dict[str, Any], line: str, cite: Cite, culprit: ResourceRef | None
) -> Candidate:
    workload = owner_workload(facts, pod)
    resource = culprit or workload
    explanation = f"Pod {name_of(pod)} of {workload} fails TLS: {line!r}."
    if culprit is not None:
        explanation += f" The certificate in {culprit} is the one the call meets; renew it."
    else:
        explanation += " The certificate's Secret could not be identified from the cluster objects."
    return Candidate(
        title=f"{workload.name} hits an expired TLS certificate",
        category=Category.CertificateExpired,
        resource=resource,
        confidence=0.8 if culprit is not None else 0.6,
        explanation=explanation,
        cites=[cite],
        affected=[workload, pod_ref(pod)],
        severity=2,
        next_steps=[
            NextStep(
                description="Check the certificate dates the server presents",
                command=f"kubectl -n {namespace_of(pod)} get secrets --field-selector type=kubernetes.io/tls",
            ),
            NextStep(description="Renew or replace the certificate", command=kubectl(resource, "describe")),
        ],
    )
