"""Understand the question: tie its words to this cluster's namespaces, workloads and services, and to the
kind of trouble described. Pure functions over an inventory of names, so they are cheap and testable."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tools.contracts.diagnosis import Category

_WORD = re.compile(r"[a-z0-9][a-z0-9.\-_]*")
_STOP = {
    "the",
    "a",
    "an",
    "is",
    "are",
    "why",
    "what",
    "whats",
    "how",
    "does",
    "do",
    "did",
    "my",
    "our",
    "in",
    "on",
    "of",
    "to",
    "for",
    "and",
    "or",
    "it",
    "its",
    "this",
    "that",
    "from",
    "with",
    "at",
    "since",
    "after",
    "before",
    "be",
    "been",
    "was",
    "were",
    "can",
    "cant",
    "cannot",
    "not",
    "no",
    "any",
    "all",
    "service",
    "services",
    "svc",
    "namespace",
    "ns",
    "pod",
    "pods",
    "app",
    "deployment",
    "deploy",
    "workload",
    "cluster",
    "there",
    "something",
    "anything",
    "wrong",
    "going",
    "happening",
    "keeps",
    "keep",
    "today",
    "now",
    "still",
    "again",
    "just",
    "up",
    "down",
    "getting",
    "get",
    "so",
    "me",
    "i",
    "we",
    "you",
    "please",
    "check",
    "tell",
    "look",
    "last",
    "every",
    "some",
    "seems",
    "seem",
    "im",
}

# Trouble words -> the categories they usually point to (a hint for ranking, never a filter).
TROUBLE_WORDS: dict[str, tuple[Category, ...]] = {
    "restart": (Category.AppCrash, Category.OOMKilled, Category.ProbeFailure),
    "crash": (Category.AppCrash, Category.OOMKilled, Category.MissingConfig),
    "crashloop": (Category.AppCrash, Category.OOMKilled),
    "oom": (Category.OOMKilled,),
    "memory": (Category.OOMKilled, Category.NodePressure),
    "pending": (Category.InsufficientResources, Category.SchedulingConstraint, Category.StorageProvisioning),
    "schedul": (Category.InsufficientResources, Category.SchedulingConstraint),
    "start": (Category.AppCrash, Category.ImagePull, Category.MissingConfig, Category.QuotaExceeded),
    "image": (Category.ImagePull,),
    "pull": (Category.ImagePull,),
    "slow": (Category.CPUThrottling, Category.PerformanceRegression, Category.AutoscalingLimit),
    "latency": (Category.CPUThrottling, Category.PerformanceRegression),
    "timeout": (Category.NetworkPolicyBlocked, Category.DNSFailure, Category.CPUThrottling),
    "time": (Category.NetworkPolicyBlocked,),
    "unreachable": (Category.ServiceNoEndpoints, Category.NetworkPolicyBlocked, Category.ServicePortMismatch),
    "reach": (Category.ServiceNoEndpoints, Category.NetworkPolicyBlocked, Category.ServicePortMismatch),
    "connect": (Category.NetworkPolicyBlocked, Category.ServicePortMismatch, Category.ServiceNoEndpoints),
    "refused": (Category.ServicePortMismatch, Category.ServiceNoEndpoints),
    "502": (Category.ServiceNoEndpoints, Category.ServicePortMismatch, Category.IngressMisconfig),
    "503": (Category.ServiceNoEndpoints, Category.IngressMisconfig),
    "5xx": (Category.ServiceNoEndpoints, Category.PerformanceRegression),
    "error": (Category.PerformanceRegression, Category.AppCrash),
    "fail": (Category.AppCrash, Category.ServiceNoEndpoints, Category.NetworkPolicyBlocked),
    "down": (Category.ServiceNoEndpoints, Category.AppCrash, Category.NodeNotReady),
    "dns": (Category.DNSFailure,),
    "resolv": (Category.DNSFailure,),
    "lookup": (Category.DNSFailure,),
    "ingress": (Category.IngressMisconfig,),
    "404": (Category.IngressMisconfig,),
    "volume": (Category.StorageProvisioning, Category.VolumeAttach, Category.VolumeFull),
    "pvc": (Category.StorageProvisioning, Category.VolumeAttach),
    "disk": (Category.VolumeFull, Category.NodePressure),
    "space": (Category.VolumeFull, Category.NodePressure),
    "node": (Category.NodeNotReady, Category.NodePressure),
    "notready": (Category.NodeNotReady,),
    "drain": (Category.DisruptionBudget,),
    "evict": (Category.DisruptionBudget, Category.NodePressure),
    "scale": (Category.AutoscalingLimit, Category.QuotaExceeded),
    "hpa": (Category.AutoscalingLimit,),
    "quota": (Category.QuotaExceeded,),
    "forbidden": (Category.RBACForbidden,),
    "permission": (Category.RBACForbidden,),
    "cert": (Category.CertificateExpired,),
    "tls": (Category.CertificateExpired,),
    "x509": (Category.CertificateExpired,),
    "deploy": (Category.PerformanceRegression, Category.ImagePull),
    "rollout": (Category.PerformanceRegression, Category.ImagePull, Category.QuotaExceeded),
    "throttl": (Category.CPUThrottling,),
    "cpu": (Category.CPUThrottling, Category.InsufficientResources),
    "drop": (Category.NetworkPolicyBlocked,),
    "policy": (Category.NetworkPolicyBlocked,),
    "ip": (Category.NetworkCapacity,),
    "conntrack": (Category.NetworkCapacity,),
}


@dataclass(frozen=True)
class NamedObject:
    kind: str  # Namespace, Deployment, StatefulSet, DaemonSet, Service, Ingress, Pod, Node, ...
    namespace: str | None
    name: str
    aliases: tuple[str, ...] = field(default=(), compare=False)  # other names it answers to (Ingress hosts)


@dataclass
class Scope:
    """What the question is about, in this cluster's terms."""

    namespaces: list[str] = field(default_factory=list)
    targets: list[NamedObject] = field(default_factory=list)
    hinted: list[Category] = field(default_factory=list)
    since: datetime | None = None
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)  # (word, close names)
    whole_cluster: bool = False
    called_namespaces: list[str] = field(default_factory=list)  # "namespace X", "the X namespace"
    outside: list[str] = field(default_factory=list)  # named namespaces outside KUBEWHY_NAMESPACES
    permitted: list[str] = field(default_factory=list)  # KUBEWHY_NAMESPACES, when set

    @property
    def target_names(self) -> set[str]:
        return {t.name for t in self.targets}


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("ss", "sh", "ch", "x")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _name_stems(name: str) -> set[str]:
    """A name answers to itself, its singular, and its dash-separated head (checkout-api -> checkout)."""
    stems = {name, _singular(name)}
    parts = re.split(r"[-.]", name)
    if len(parts) > 1 and len(parts[0]) >= 3:
        stems.add(parts[0])
    return stems


def parse_since(question: str, now: datetime) -> datetime | None:
    """Time expressions: "since 9:00", "since 09:15", "in the last 30 minutes", "for 2 hours"."""
    text = question.lower()
    match = re.search(r"since\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text)
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if match[3] == "pm" and hour < 12:
            hour += 12
        if hour < 24 and minute < 60:
            candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return candidate if candidate <= now else candidate - timedelta(days=1)
    match = re.search(r"(?:last|past|for)\s+(\d+)\s*(minute|min|hour|hr|h|m)s?\b", text)
    if match:
        amount = int(match[1])
        unit = timedelta(hours=1) if match[2] in ("hour", "hr", "h") else timedelta(minutes=1)
        return now - amount * unit
    if "last hour" in text or "past hour" in text:
        return now - timedelta(hours=1)
    return None


def route(question: str, inventory: list[NamedObject], now: datetime) -> Scope:
    """Map the question's words onto the inventory; unknown proper-looking words get close matches."""
    text = question.lower()
    words = [w.strip(".-_") for w in _WORD.findall(text)]
    scope = Scope(since=parse_since(question, now), called_namespaces=_called_namespaces(question))

    by_stem: dict[str, list[NamedObject]] = {}
    for obj in inventory:
        for stem in _name_stems(obj.name.lower()):
            by_stem.setdefault(stem, []).append(obj)
        for alias in obj.aliases:
            by_stem.setdefault(alias.lower(), []).append(obj)

    for word in words:
        for stem_word in {word, _singular(word)}:
            for obj in by_stem.get(stem_word, []):
                if obj.kind == "Namespace":
                    if obj.name not in scope.namespaces:
                        scope.namespaces.append(obj.name)
                elif obj not in scope.targets:
                    scope.targets.append(obj)

    for key, categories in TROUBLE_WORDS.items():
        if any(w.startswith(key) for w in words):
            for category in categories:
                if category not in scope.hinted:
                    scope.hinted.append(category)

    matched_words = {stem for obj in scope.targets for stem in _name_stems(obj.name.lower())}
    matched_words |= set(scope.namespaces)
    known = sorted(by_stem)
    for word in words:
        if (
            word in _STOP
            or word in matched_words
            or _singular(word) in matched_words
            or len(word) < 4
            or word.isdigit()
            or any(word.startswith(k) for k in TROUBLE_WORDS)
        ):
            continue
        if _looks_like_a_name(word, question):
            close = difflib.get_close_matches(word, known, n=3, cutoff=0.75)
            if close:
                for name in close:
                    for obj in by_stem[name]:
                        if obj.kind == "Namespace" and obj.name not in scope.namespaces:
                            scope.namespaces.append(obj.name)
                        elif obj.kind != "Namespace" and obj not in scope.targets:
                            scope.targets.append(obj)
            elif word in _explicit_names(question):
                scope.unknown.append((word, difflib.get_close_matches(word, known, n=3, cutoff=0.5)))

    scope.targets = _in_named_namespaces(scope.targets, scope.namespaces)
    if not scope.namespaces and not scope.targets:
        scope.whole_cluster = True
    return scope


def _in_named_namespaces(targets: list[NamedObject], namespaces: list[str]) -> list[NamedObject]:
    """A name found in several namespaces ("svc-13 in ns-042") means the one in the namespace the question
    names, when there is one there; names found in one namespace only are kept wherever they are."""
    if not namespaces:
        return targets
    by_name: dict[str, list[NamedObject]] = {}
    for target in targets:
        by_name.setdefault(target.name, []).append(target)
    kept = []
    for target in targets:
        same_name = by_name[target.name]
        spread = {t.namespace for t in same_name if t.namespace}
        named_here = [t for t in same_name if t.namespace in namespaces]
        if len(spread) > 1 and named_here and target.namespace not in namespaces:
            continue
        kept.append(target)
    return kept


_CALLED_NAMESPACE = re.compile(
    r"\b(?:namespace|ns)\s+[`'\"]?([a-z0-9][a-z0-9-]*)|\b([a-z0-9][a-z0-9-]*)[`'\"]?\s+(?:namespace|ns)\b"
)


def _called_namespaces(question: str) -> list[str]:
    """Words the question itself calls a namespace ("namespace monitoring", "the monitoring namespace")."""
    found = [a or b for a, b in _CALLED_NAMESPACE.findall(question.lower())]
    return [word for word in dict.fromkeys(found) if word not in _STOP]


def _explicit_names(question: str) -> set[str]:
    """Words the user clearly means as names: quoted, code-formatted, or followed by service/ns/pod/..."""
    text = question.lower()
    names = set(re.findall(r"[`'\"]([a-z0-9][a-z0-9.\-_]*)[`'\"]", text))
    names |= set(
        re.findall(
            r"\b([a-z0-9][a-z0-9.\-_]*)\s+(?:service|svc|namespace|ns|deployment|pod|pods|app|workload)\b",
            text,
        )
    )
    names |= set(re.findall(r"\b(?:namespace|ns|service|deployment|pod)\s+([a-z0-9][a-z0-9.\-_]*)", text))
    return {n.strip(".-_") for n in names} - _STOP


def _looks_like_a_name(word: str, question: str) -> bool:
    return "-" in word or word in _explicit_names(question) or len(word) >= 5
