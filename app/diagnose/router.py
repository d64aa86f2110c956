"""Understand the question: tie its words to this cluster's namespaces, workloads and services, and to the
kind of trouble described. Pure functions over an inventory of names, so they are cheap and testable."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta

from app.diagnose.intent import ALERTS
from app.diagnose.question import NamedObject, PreviousTurn, Question, Scope
from tools.contracts.diagnosis import Category

_WORD = re.compile(r"[a-z0-9][a-z0-9.\-_]*")
_STOP = {
    "kubelet",  # the node agent: "killed by kubelet" names no object (nor the kubernetes Service)
    "kubectl",
    "k8s",
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
    "someone",
    "somebody",
    "anyone",
    "anybody",
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
    "which",
    "who",
    "where",
    "when",
    "most",
    "top",
    "same",
    "else",
    "other",
    "kubewhy",
    "hey",
    "hi",
    "hello",
    "pls",
    "yo",
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
    "stuck": (Category.Other, Category.InsufficientResources, Category.StorageProvisioning),
    "terminat": (Category.Other,),  # a pod stuck Terminating (a finalizer never removed)
    "kill": (Category.ProbeFailure, Category.OOMKilled),
}


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("ss", "sh", "ch", "x")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


_KIND_HEADS = frozenset(
    {"ingress", "service", "deployment", "pod", "node", "job", "cronjob", "secret", "config", "cert"}
)


def _name_stems(name: str) -> set[str]:
    """A name answers to itself, its singular, and its dash-separated head (checkout-api -> checkout),
    unless that head is a kind's word: "the ingress" is an Ingress, not the ingress-nginx namespace."""
    stems = {name, singular(name)}
    parts = re.split(r"[-.]", name)
    if len(parts) > 1 and len(parts[0]) >= 3 and parts[0] not in _KIND_HEADS:
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

    def add(obj: NamedObject) -> None:
        if obj.kind == "Namespace":
            if obj.name not in scope.namespaces:
                scope.namespaces.append(obj.name)
        elif obj not in scope.targets:
            scope.targets.append(obj)

    not_names: set[str] = set()  # words that name a kind's object here, and nothing of the inventory
    for index, word in enumerate(words):
        found = _joined(word, words[index + 1 : index + 3], by_stem)
        if not found:
            found = [obj for stem_word in (word, singular(word)) for obj in by_stem.get(stem_word, [])]
        if any(obj.kind == "Namespace" for obj in found):
            if _kind_named(words, index):  # "the shop ingress", "a default storageclass": not the namespace
                found = [obj for obj in found if obj.kind != "Namespace"]
                if not found:
                    not_names.add(word)
                    continue
            elif _names_its_own_workload(found, words, index):
                # "why are calls to payments failing?" with Deployment payments in namespace payments:
                # the workload, its namespace read with it
                found = [obj for obj in found if obj.kind != "Namespace" and obj.namespace == word] + [
                    obj for obj in found if obj.kind == "Namespace"
                ]
            else:
                found = [obj for obj in found if obj.kind == "Namespace"]  # "in shop": the namespace
        if not found:
            found = _spelled_out(word, by_stem)
        found += [obj for obj in _part_of_kind(words, index, inventory) if obj not in found]
        for obj in found:
            add(obj)

    for key, categories in TROUBLE_WORDS.items():
        if any(w.startswith(key) for w in words):
            for category in categories:
                if category not in scope.hinted:
                    scope.hinted.append(category)

    if not scope.targets:
        for obj in _by_role(words, inventory):
            add(obj)
    if _CONTROL_PLANE.search(text) and not scope.namespaces and not scope.targets:
        # where the cluster's own components run (API server, scheduler, etcd, CoreDNS, the CNI)
        for obj in inventory:
            if obj.kind == "Namespace" and obj.name == "kube-system":
                add(obj)
    matched_words = {stem for obj in scope.targets for stem in _name_stems(obj.name.lower())}
    matched_words |= {w for w in words if _spelled_out(w, by_stem)}
    matched_words |= {w for i, w in enumerate(words) if _joined(w, words[i + 1 : i + 3], by_stem)}
    matched_words |= set(scope.namespaces) | not_names
    known = sorted(by_stem)
    subject_names = _subject_names(question)
    for word in words:
        if (
            word in _STOP
            or word in matched_words
            or singular(word) in matched_words
            or len(word) < 4
            or word.isdigit()
            or (any(word.startswith(k) for k in TROUBLE_WORDS) and word not in subject_names)
            or word in ALERTS
        ):
            continue
        by_part = _by_part(word, inventory)
        if by_part:  # "is postgres ok?" with only ledger-db-postgresql here
            for obj in by_part:
                add(obj)
            continue
        if _looks_like_a_name(word, question):
            close = [
                n for n in difflib.get_close_matches(word, known, n=3, cutoff=0.75) if _same_numbers(word, n)
            ]
            if close:
                for name in close:
                    for obj in by_stem[name]:
                        if obj.kind == "Namespace" and obj.name not in scope.namespaces:
                            scope.namespaces.append(obj.name)
                        elif obj.kind != "Namespace" and obj not in scope.targets:
                            scope.targets.append(obj)
                            scope.guessed.append(obj)
            elif word in _explicit_names(question) or word in subject_names:
                scope.unknown.append((word, difflib.get_close_matches(word, known, n=3, cutoff=0.5)))

    scope.targets = _in_named_namespaces(scope.targets, scope.namespaces)
    if not scope.namespaces and not scope.targets:
        scope.whole_cluster = True
    return scope


# Words people use for a role rather than a name, and the names (or images) that fill that role.
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "db": ("postgres", "mysql", "mariadb", "mongo", "cockroach", "cassandra", "timescale"),
    "database": ("postgres", "mysql", "mariadb", "mongo", "cockroach", "cassandra", "timescale"),
    "postgresql": ("postgres",),
    "cache": ("redis", "memcached", "valkey", "dragonfly"),
    "broker": ("kafka", "rabbitmq", "nats"),
    "queue": ("kafka", "rabbitmq", "nats", "sqs"),
}
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")
INVENTORY_WORKLOADS = _WORKLOADS
_CONTROL_PLANE = re.compile(r"\bcontrol[ -]?planes?\b|\bsystem (?:pods|components)\b")


def _by_role(words: list[str], inventory: list[NamedObject]) -> list[NamedObject]:
    """ "the db", "the database", "cache": the workloads whose name says they fill that role."""
    wanted = {hint for word in words for hint in ROLE_WORDS.get(singular(word), ())}
    if not wanted:
        return []
    return [
        obj
        for obj in inventory
        if obj.kind in _WORKLOADS and any(hint in obj.name.lower() for hint in wanted)
    ]


_POD_SUFFIX = re.compile(r"^(?=[a-z0-9]*\d)[a-z0-9]{1,10}$")  # a hash or an ordinal: 5c9f7d, d9zdb, 0


def _spelled_out(word: str, by_stem: dict[str, list[NamedObject]]) -> list[NamedObject]:
    """A name written another way: a pod name (``payments-lm2kvkchd7-d9zdb`` -> payments, ``postgres-0`` ->
    postgres) or a Service's DNS name (``cart.shop.svc.cluster.local``)."""
    dns = re.match(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.|$)", word)
    if dns:
        return [o for o in by_stem.get(dns[1], []) if o.namespace == dns[2] and o.kind != "Namespace"] or [
            o for o in by_stem.get(dns[2], []) if o.kind == "Namespace"
        ]
    parts = word.split("-")
    for cut in range(len(parts) - 1, 0, -1):
        if not all(_POD_SUFFIX.match(part) for part in parts[cut:]):
            break
        head = "-".join(parts[:cut])
        found = [o for o in by_stem.get(head, []) if o.kind != "Namespace" and o.name.lower() == head]
        if found and len(head) >= 3:
            return found
    return []


def _joined(word: str, following: list[str], by_stem: dict[str, list[NamedObject]]) -> list[NamedObject]:
    """A dashed name written with spaces: ``billing worker`` -> billing-worker, ``ml batch`` -> ml-batch."""
    for count in (2, 1):
        if len(following) >= count:
            joined = "-".join([word, *following[:count]])
            found = [o for o in by_stem.get(joined, []) if o.name.lower() == joined]
            if found:
                return found
    return []


_KIND_OF_WORD = {
    "ingress": "Ingress", "ing": "Ingress", "service": "Service", "svc": "Service",
    "deployment": "Deployment", "deploy": "Deployment", "statefulset": "StatefulSet", "sts": "StatefulSet",
    "daemonset": "DaemonSet", "ds": "DaemonSet", "cronjob": "CronJob", "job": "Job", "node": "Node",
    "pod": "Pod", "pvc": "PersistentVolumeClaim", "claim": "PersistentVolumeClaim",
    "volume": "PersistentVolumeClaim",
}  # fmt: skip
_KIND_WORDS = {
    "ingress",
    "service",
    "svc",
    "deployment",
    "deploy",
    "statefulset",
    "sts",
    "app",
    "pod",
    "pods",
    "storageclass",  # "is there a default storageclass?": not the default namespace
    "ingressclass",
    "class",
}


_PART_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Service")


def _by_part(word: str, inventory: list[NamedObject]) -> list[NamedObject]:
    """The objects of one dashed name that has ``word`` as a part, or as a part but for a short ending
    ("postgres" in ledger-db-postgresql, "kafka" in events-kafka; not "control" in ingress-nginx-controller);
    nothing when several names would do."""
    if len(word) < 5 or word in _NOT_NAMES:
        return []
    found = [
        obj
        for obj in inventory
        if obj.kind in _PART_KINDS
        and "-" in obj.name
        and any(
            part == word or (part.startswith(word) and len(part) - len(word) <= 2)
            for part in obj.name.lower().split("-")
        )
    ]
    return found if len({obj.name for obj in found}) == 1 else []


def _part_with_kind(obj: NamedObject, words: list[str], index: int) -> bool:
    """words[index] is a part of obj's dashed name and obj's kind word stands beside it ("reindex job")."""
    parts = obj.name.lower().split("-")
    beside = words[index + 1 : index + 2] + words[max(0, index - 1) : index]
    return (
        len(parts) > 1
        and words[index] in parts
        and any(_KIND_OF_WORD.get(singular(w)) == obj.kind for w in beside)
    )


def _part_of_kind(words: list[str], index: int, inventory: list[NamedObject]) -> list[NamedObject]:
    """ "the reindex job", "the export cronjob": one part of a dashed name with its kind word beside it
    names the one object of that kind whose name has that part (search-reindex); more than one is no
    guess."""
    word = words[index]
    beside = words[index + 1 : index + 2] + words[max(0, index - 1) : index]
    kinds = {_KIND_OF_WORD[singular(w)] for w in beside if singular(w) in _KIND_OF_WORD}
    if len(word) < 4 or word in _NOT_NAMES or not kinds:
        return []
    found = [
        obj
        for obj in inventory
        if obj.kind in kinds and "-" in obj.name and word in obj.name.lower().split("-")
    ]
    return found if len(found) == 1 else []


def _names_its_own_workload(found: list[NamedObject], words: list[str], index: int) -> bool:
    """The word names a namespace and a workload of the same name inside it, and nothing marks it as the
    namespace ("in payments", "the payments namespace", "ns payments")."""
    word = words[index]
    before = words[max(0, index - 2) : index]
    marked = any(w in ("in", "inside", "across", "namespace", "ns") for w in before) or words[
        index + 1 : index + 2
    ] in (["namespace"], ["ns"])
    own = any(obj.kind in INVENTORY_WORKLOADS and obj.namespace == word and obj.name == word for obj in found)
    return own and not marked


def _kind_named(words: list[str], index: int) -> bool:
    """The word is called something other than a namespace: "the shop ingress", "service cart"."""
    near = words[index + 1 : index + 2] + words[max(0, index - 1) : index]
    return any(w in _KIND_WORDS for w in near)


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
    r"\b(?:namespace|ns)\s+[`'\"]?([a-z0-9][a-z0-9-]*)|\b([a-z0-9][a-z0-9-]*)[`'\"]?(?=\s+(?:namespace|ns)(?![\w-]))"
)


def _called_namespaces(question: str) -> list[str]:
    """Words the question itself calls a namespace ("namespace monitoring", "the monitoring namespace")."""
    found = [a or b for a, b in _CALLED_NAMESPACE.findall(question.lower())]
    return [word for word in dict.fromkeys(found) if word not in _STOP]


def _same_numbers(word: str, name: str) -> bool:
    """A misspelling keeps the numbers and the parts: worker-7 is not a typo of worker-1, nor ns-43 of
    ns-042, nor payments-api of payments (another node, namespace or workload; letters are what people
    mistype, not whole parts)."""
    if word.startswith(f"{name}-") or name.startswith(f"{word}-"):
        return False
    return re.findall(r"\d+", word) == re.findall(r"\d+", name)


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


_HYPHENATED_WORDS = {
    "follow-up", "on-call", "roll-out", "set-up", "log-in", "sign-in", "e-mail", "re-deploy", "re-run",
    "up-to-date", "out-of-memory", "non-prod", "pre-prod", "read-only", "long-running", "real-time",
    "time-out", "fail-over", "hot-fix", "cut-over", "built-in", "self-hosted", "third-party", "end-to-end",
}  # fmt: skip


def _subject_names(question: str) -> set[str]:
    """A dashed word where the thing asked about stands ("is image-resizer up?", "why is pay-api down"):
    meant as a name even when nothing here is called anything like it."""
    text = question.lower()
    found = re.findall(
        r"\b(?:is|are|was|with|about|for|of)\s+(?:the\s+)?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b", text
    )
    return set(found) - _HYPHENATED_WORDS - _STOP


def _looks_like_a_name(word: str, question: str) -> bool:
    return "-" in word or word in _explicit_names(question) or len(word) >= 5


# ---- the typed question -------------------------------------------------------------------------------

# Words that sit where a name would but are not names ("why is the site down", "is everything ok").
_NOT_NAMES = _STOP | {
    "site", "everything", "everyone", "things", "stuff", "nodes", "node", "apps", "system", "database",
    "db", "api", "web", "server", "customers", "customer", "users", "user", "shop", "page", "prod",
    "production", "staging", "traffic", "latency", "errors", "error", "request", "requests", "new", "old",
    "whole", "entire", "other", "else", "quick", "health", "status", "same", "rollout", "release", "deploy",
    "fine", "ok", "okay", "healthy", "broken", "slow", "failing", "running", "working", "stuck", "really",
    "alert", "firing", "orders", "order", "checkout", "dns", "external", "calls", "kubectl", "thing",
}  # fmt: skip
_SUBJECT_SLOTS = (
    re.compile(
        r"^(?:why|how come)\s+(?:is|are|does|do|did|has|have|was|were|cant|wont|isnt)\s+"
        r"(?:the\s+|my\s+|our\s+)?([a-z0-9][\w.-]*)"
    ),
    re.compile(r"^(?:is|are|did|does|was|were|has|have)\s+(?:the\s+|my\s+|our\s+)?([a-z0-9][\w.-]*)"),
    re.compile(r"^(?:the\s+)?([a-z0-9][\w.-]*)\s+(?:keeps?|is|are|has|wont|cant|isnt|not|throwing|failing|crash\w*|down|slow)\b"),
    re.compile(r"\b(?:with|about)\s+(?:the\s+)?([a-z0-9][\w.-]*)"),
    _CLUSTER_SLOT := re.compile(r"^(?:is\s+|are\s+)?(?:the\s+|my\s+|our\s+)?([a-z0-9][\w.-]*)\s+cluster\b"),
)  # fmt: skip
# "<word> cluster" where the word is the Kubernetes cluster itself, not a service running in it
_THIS_CLUSTER = {
    "dev", "test", "qa", "uat", "stage", "live", "main", "local", "eks", "gke", "aks", "k3s", "kube",
    "kubernetes", "this", "that", "my", "our", "whole", "entire", "prd", "stg", "preprod", "sandbox",
}  # fmt: skip


def unknown_subject(
    question: str, inventory: list[NamedObject], cluster: str = ""
) -> tuple[str, list[str]] | None:
    """The word in a subject's place ("why is inventory down?", "is the payments-gateway healthy?", "es
    cluster down?") when it names nothing in this cluster, with the closest names that exist."""
    from app.diagnose.intent import normalise

    text = normalise(question)
    names = sorted({obj.name for obj in inventory})
    for slot in _SUBJECT_SLOTS:
        match = slot.search(text)
        if not match:
            continue
        word = match[1].strip(".-_")
        if (word in _THIS_CLUSTER or word == cluster.lower()) and re.search(
            rf"\b{re.escape(word)}\s+cluster\b", text
        ):
            continue  # "is the dev cluster ok": the Kubernetes cluster itself
        if (
            word in _NOT_NAMES
            or len(word) < (2 if slot is _CLUSTER_SLOT else 3)  # "the es cluster" names a service
            or word.isdigit()
            or any(word.startswith(k) for k in TROUBLE_WORDS)
        ):
            continue
        return word, closest_names(word, names)
    return None


def closest_names(word: str, names: list[str], n: int = 3) -> list[str]:
    close = difflib.get_close_matches(word, names, n=n, cutoff=0.5)
    return close or difflib.get_close_matches(word, names, n=n, cutoff=0.2)


def _mentioned_at(
    obj: NamedObject, words: list[str], hosts: frozenset[str] | set[str] = frozenset()
) -> tuple[int, int]:
    """(how loosely, where) the question names ``obj``: 0 by its name, an alias, a pod or DNS name or the
    name written with spaces; 1 by the head of a dashed name only; 2 by a close spelling. A host that is
    another object's alias ("uploads.example.com", an Ingress's) names that object only."""
    name = obj.name.lower()
    exact = {name, singular(name)} | {a.lower() for a in obj.aliases}
    head = _name_stems(name) - exact
    best = (3, len(words))
    for index, word in enumerate(words):
        if word in hosts and word not in exact:
            continue
        joined = "-".join(words[index : index + 1 + name.count("-")])
        if (
            word in exact
            or singular(word) in exact
            or joined == name
            or word.startswith(f"{name}-")
            or word.startswith(f"{name}.")
            or (".svc" in word and word.split(".")[0] == name)
        ):
            quality = 0
        elif word in head or singular(word) in head or _part_with_kind(obj, words, index):
            quality = 1
        elif difflib.SequenceMatcher(None, word, name).ratio() >= 0.75 and _same_numbers(word, name):
            quality = 2
        else:
            continue
        best = min(best, (quality, index))
    return best


_KIND_ORDER = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Node", "PersistentVolumeClaim",
               "Service", "Ingress", "Route")  # fmt: skip


def first_named(scope: Scope, question: str) -> NamedObject | None:
    """The object the question is about: the first one it names (a workload before a Service of the same
    name: the engine resolves Services and hosts to the workload behind them)."""
    if not scope.targets:
        return None
    words = [w.strip(".-_") for w in _WORD.findall(question.lower())]

    hosts = {alias.lower() for obj in scope.targets for alias in obj.aliases}  # an Ingress's hosts
    mentions = {id(obj): _mentioned_at(obj, words, hosts) for obj in scope.targets}
    named_outright = any(quality == 0 for quality, _ in mentions.values())

    def order(obj: NamedObject) -> tuple[bool, bool, int, int, str]:
        quality, index = mentions[id(obj)]
        rank = _KIND_ORDER.index(obj.kind) if obj.kind in _KIND_ORDER else len(_KIND_ORDER)
        beside = words[index + 1 : index + 2] + words[max(0, index - 1) : index]
        kind_said = any(_KIND_OF_WORD.get(singular(w)) == obj.kind for w in beside)  # "the uploads ingress"
        return (named_outright and quality > 0, not kind_said, index, rank, obj.name)

    return sorted(scope.targets, key=order)[0]


# "prometheus shows high latency on checkout", "grafana says cart is slow": a monitoring tool named as the
# one that sees another object's trouble is the instrument, not what the question is about. Alone it is
# the subject ("checkout seeing timeouts" is checkout's trouble).
_INSTRUMENT_VERBS = frozenset(
    {"shows", "showing", "show", "says", "saying", "sees", "seeing", "see", "reports", "reporting", "graphs"}
)
_INSTRUMENTS = ("prometheus", "grafana", "hubble", "alertmanager", "loki", "thanos", "kibana", "jaeger")


def _instruments(scope: Scope, question: str) -> list[NamedObject]:
    """The monitoring tools named just before a verb of seeing or saying (shows, says, reports, seeing...):
    a workload "showing errors" has them, prometheus "showing errors" sees them."""
    words = [w.strip(".-_") for w in _WORD.findall(question.lower())]
    found = []
    for obj in scope.targets:
        if not obj.name.lower().startswith(_INSTRUMENTS):
            continue
        _quality, index = _mentioned_at(obj, words)
        span = obj.name.count("-") if index + 1 + obj.name.count("-") <= len(words) else 0
        after = words[index + 1 + span : index + 2 + span] if index < len(words) else []
        if after and after[0] in _INSTRUMENT_VERBS:
            found.append(obj)
    return found


# Alert labels pasted as key=value ("... namespace=shop deployment=checkout severity=warning"): the ones that
# name an object read as "namespace shop", "deployment checkout"; the others (severity, container, the
# scrape job and instance) name nothing a question is about.
_OBJECT_LABELS = re.compile(
    r"\b(namespace|deployment|statefulset|daemonset|replicaset|pod|service|cronjob|node|persistentvolumeclaim|"
    r"horizontalpodautoscaler|ingress)=\"?([a-z0-9][a-z0-9._-]*)\"?",
    re.IGNORECASE,
)
_OTHER_LABELS = re.compile(
    r"\b(?:severity|container|job|instance|endpoint|prometheus|uid|condition|reason|phase|alertname|"
    r"job_name|metrics_path|service_name|team|cluster|region)=\"?[^\s,}\"]*\"?,?",
    re.IGNORECASE,
)


def alert_labels_as_words(question: str) -> str:
    """An alert's key=value labels as the words a person would write: "deployment checkout in namespace
    shop", the namespace last (before a kind word, "shop deployment" would read as a Deployment's name)."""
    if "=" not in question:
        return question
    pairs = [(key.lower(), value) for key, value in _OBJECT_LABELS.findall(question)]
    if not pairs:
        return question
    rest = _OTHER_LABELS.sub(" ", _OBJECT_LABELS.sub(" ", question))
    rest = re.sub(r"\s+", " ", re.sub(r"\s*(?:,\s*)+", ", ", rest)).strip(" ,")  # the pairs' separators
    named = [f"{key} {value}" for key, value in pairs if key != "namespace"]
    where = [f"in namespace {value}" for key, value in pairs if key == "namespace"][:1]
    return " ".join(part for part in (rest, *named, *where) if part)


def route_question(
    question: str,
    inventory: list[NamedObject],
    now: datetime,
    previous: PreviousTurn | None = None,
    cluster: str = "",
) -> Question:
    """The typed question: intent (intent.py), subject, window and the turn before it. A follow-up with no
    name of its own ("when did that start?", "how do I fix it?") is about the previous turn's subject (or
    culprit) and keeps its namespace and time window; "what about X?" asks the previous kind of question
    about X."""
    from app.diagnose.intent import is_review_wording as review_wording
    from app.diagnose.intent import read_intent, recognised, window_start

    question = alert_labels_as_words(question)
    reading = read_intent(question)
    scope = route(question, inventory, now)
    instruments = _instruments(scope, question)
    if instruments and len(instruments) < len(scope.targets):
        scope.targets = [t for t in scope.targets if t not in instruments]
        scope.whole_cluster = not scope.namespaces and not scope.targets
    intent = reading.intent
    own_names = bool(scope.targets or scope.namespaces or scope.unknown)
    asked = Question(text=question, intent=intent, reading=reading, scope=scope, previous=previous)
    asked.recognised = recognised(question, own_names, bool(scope.hinted) or bool(reading.alert))
    if previous is not None and reading.about_other and previous.intent:
        intent = previous.intent if previous.intent != "review" else "diagnose"
    if previous is not None and not own_names:
        asked.follow_up = True
        if scope.since is None:
            scope.since = parse_since(previous.question, now)
        if previous.intent == "occurrence" and intent == "status" and reading.event is None:
            intent = "occurrence"  # "is it still happening?"
            reading.event = read_intent(previous.question).event
        if intent in ("diagnose", "status") and review_wording(question):
            intent = "review"
        scope.namespaces = [ns for ns in previous.namespaces if ns not in scope.namespaces] + scope.namespaces
        if intent != "review":
            for ref in (previous.subject, previous.culprit):
                if ref is not None and ref.kind != "Namespace":
                    named = NamedObject(ref.kind, ref.namespace, ref.name)
                    if named not in scope.targets:
                        scope.targets.append(named)
            subject = previous.subject or previous.culprit
            if subject is not None:
                asked.subject = NamedObject(subject.kind, subject.namespace, subject.name)
        scope.whole_cluster = not scope.namespaces and not scope.targets
    elif not asked.recognised:
        intent = "review"
    elif scope.targets:
        asked.subject = first_named(scope, question)
    elif scope.namespaces and not reading.alert:
        namespace = scope.namespaces[0]
        in_it = re.search(rf"\b(?:in|across|inside)\s+(?:the\s+)?{re.escape(namespace)}\b", question.lower())
        if (
            intent in ("ranking", "review")
            or (in_it and (intent == "diagnose" or (intent == "status" and not scope.hinted)))
            or (intent == "diagnose" and review_wording(question))
        ):
            intent = "ranking" if intent == "ranking" else "review"
        else:
            asked.subject = NamedObject("Namespace", None, namespace)
    elif not scope.unknown and intent in ("diagnose", "status") and review_wording(question):
        intent = "review"
    if (
        asked.subject is None
        and not asked.follow_up
        and not scope.targets
        and intent not in ("review", "ranking")
    ):
        missing = unknown_subject(question, inventory, cluster)
        if missing and missing[0] not in {word for word, _ in scope.unknown}:
            scope.unknown.append(missing)
    asked.missing = [
        (w, c or closest_names(w, sorted({o.name for o in inventory}))) for w, c in scope.unknown
    ]
    if asked.missing and asked.subject is None:
        scope.whole_cluster = False  # nothing else is presented as the cause of a name that does not exist
    asked.intent = intent
    asked.window_start = window_start(question, reading, now, scope.since)
    if reading.guess and intent == "diagnose":
        asked.guess = route(reading.guess, inventory, now)
    return asked
