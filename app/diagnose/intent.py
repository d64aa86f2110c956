"""What kind of question it is (contracts section 2, "The direct answer"): diagnose, status, occurrence,
onset, remediation, ranking or review, read from the question's words alone. Pure and deterministic.

Also read here: which event an occurrence question asks about (an OOM kill, a restart, an eviction...),
whether a status question asks "is it healthy?" or "is something wrong?", and the window a yes/no
question looks at ("still", "recently", "today", "in the last 15 min").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tools.contracts.diagnosis import Category

# Events an occurrence question can ask about, by the words that name them.
EVENT_WORDS: dict[str, tuple[str, ...]] = {
    "oom": ("oom", "out of memory", "outofmemory", "memory kill", "oomkill"),
    "evicted": ("evict",),
    "throttled": ("throttl",),
    "probe": ("probe", "readiness", "liveness"),
    "restart": ("restart", "crash", "segfault", "die", "dying", "died", "killed", "bounc", "reboot"),
    "dropped": ("drop", "denied", "blocked"),
    "pull": ("imagepull", "pull"),
    "node_down": ("notready", "not ready", "unready"),  # a node's Ready condition (pods' follow it)
    # last: "did the deployment restart" asks about restarts; "deployment" alone is a kind, not a change
    "changed": (
        "rollout", "roll out", "rolled out", "roll back", "rolled back", "rollback", "deployed", "redeploy",
        "deploy ", "change", "edited", "modified", "updated", "applied", "touched",
    ),
}  # fmt: skip
EVENT_CATEGORIES: dict[str, tuple[Category, ...]] = {
    "oom": (Category.OOMKilled,),
    "evicted": (Category.NodePressure,),
    "throttled": (Category.CPUThrottling,),
    "probe": (Category.ProbeFailure,),
    "restart": (Category.AppCrash, Category.OOMKilled, Category.ProbeFailure, Category.MissingConfig),
    "dropped": (Category.NetworkPolicyBlocked,),
    "pull": (Category.ImagePull,),
    "changed": (),
    "node_down": (Category.NodeNotReady,),
}

# Kinds a question about changes may name, by the words operators use for them.
CHANGED_KINDS: dict[str, str] = {
    "netpol": "NetworkPolicy", "netpols": "NetworkPolicy", "networkpolicy": "NetworkPolicy",
    "networkpolicies": "NetworkPolicy", "policy": "NetworkPolicy", "policies": "NetworkPolicy",
    "configmap": "ConfigMap", "configmaps": "ConfigMap", "cm": "ConfigMap",
    "secret": "Secret", "secrets": "Secret",
    "hpa": "HorizontalPodAutoscaler", "autoscaler": "HorizontalPodAutoscaler",
    "quota": "ResourceQuota", "quotas": "ResourceQuota",
    "ingress": "Ingress", "ingresses": "Ingress",
    "service": "Service", "services": "Service", "svc": "Service",
}  # fmt: skip

# Alert names of kube-prometheus-stack and friends: what they fire on (event or trouble categories).
ALERTS: dict[str, tuple[str | None, tuple[Category, ...]]] = {
    "kubepodcrashlooping": ("restart", (Category.AppCrash, Category.OOMKilled, Category.ProbeFailure)),
    "kubecontaineroomkilled": ("oom", (Category.OOMKilled,)),
    "kubepodoomkilled": ("oom", (Category.OOMKilled,)),
    "containeroomkilled": ("oom", (Category.OOMKilled,)),
    "kubepodnotready": (None, (Category.ProbeFailure, Category.AppCrash, Category.NodeNotReady)),
    "kubecontainerwaiting": (None, (Category.ImagePull, Category.MissingConfig, Category.AppCrash)),
    "kubedeploymentreplicasmismatch": (None, (Category.ImagePull, Category.AppCrash, Category.QuotaExceeded)),
    "kubedeploymentrolloutstuck": (None, (Category.ImagePull, Category.AppCrash, Category.QuotaExceeded)),
    "kubestatefulsetreplicasmismatch": (None, (Category.AppCrash, Category.StorageProvisioning)),
    "kubehpamaxedout": (None, (Category.AutoscalingLimit,)),
    "kubehpareplicasmismatch": (None, (Category.AutoscalingLimit,)),
    "kubenodenotready": (None, (Category.NodeNotReady,)),
    "kubenodeunreachable": (None, (Category.NodeNotReady,)),
    "kubeletdown": (None, (Category.NodeNotReady,)),
    "nodefilesystemspacefillingup": (None, (Category.NodePressure, Category.VolumeFull)),
    "kubepersistentvolumefillingup": (None, (Category.VolumeFull,)),
    "kubepersistentvolumeerrors": (None, (Category.StorageProvisioning,)),
    "cputhrottlinghigh": ("throttled", (Category.CPUThrottling,)),
    "kubequotaexceeded": (None, (Category.QuotaExceeded,)),
    "kubequotafullyused": (None, (Category.QuotaExceeded,)),
    "kubejobfailed": (None, (Category.AppCrash,)),
    "kubeclientcertificateexpiration": (None, (Category.CertificateExpired,)),
    "corednsdown": (None, (Category.DNSFailure,)),
    "targetdown": (None, (Category.ServiceNoEndpoints, Category.NetworkPolicyBlocked)),
}

_HEALTH_GOOD = (
    "ok", "okay", "healthy", "health", "fine", "up", "running", "alive", "working", "good", "green", "stable",
    "normal", "available",
)  # fmt: skip
_HEALTH_BAD = (
    "wrong", "broken", "issue", "issues", "problem", "problems", "error", "errors", "erroring", "failing",
    "down", "slow", "stuck", "unhealthy", "degraded", "throwing", "trouble", "fire", "5xx", "500", "502",
    "503", "504", "timeout", "timing", "latency", "lagging", "flaky", "unreachable", "refused", "maxed",
    "full", "exhaust", "saturat", "overload", "pending", "crash", "restart", "evict", "oom", "leak", "spik",
    "expired", "invalid", "revoked", "denied", "forbidden", "block", "hang", "hung", "cant", "cannot",
    "unable", "fail", "never", "affect", "impact", "notready", "unready", "unavailable", "unschedul",
    "exceed", "hitting", "dead", "lost", "missing", "pressure", "diskpressure", "memorypressure",
    "pidpressure", "flap", "break", "broke", "throttl",
    # a pod's status reason pasted as the question ("CreateContainerConfigError", "ErrImagePull")
    "imagepull", "errimage", "invalidimage", "createcontainer", "containercreating", "runcontainer",
    "backoff",
)  # fmt: skip
_AUX = (
    "is", "are", "was", "were", "did", "does", "do", "has", "have", "had", "any", "anything", "can", "could",
    "will", "should", "isnt", "arent", "didnt", "doesnt", "hasnt",
)  # fmt: skip
_WH = ("why", "what", "whats", "how", "when", "which", "who", "where", "wtf")
_RANK_WORDS = (
    "most", "top", "highest", "biggest", "heaviest", "noisiest", "worst", "hungriest", "rank", "ranking",
    "largest", "busiest", "greediest",
)  # fmt: skip
RANK_METRICS: dict[str, tuple[str, ...]] = {
    "restarts": ("restart", "crash", "flap"),
    "memory": ("memory", "mem", "ram", "oom"),
    "cpu": ("cpu", "processor", "compute"),
}
_PRESENT = re.compile(r"\b(still|now|currently|right now|rn|at the moment|anymore|keeps?|being|getting)\b")
_PAST_FIRST = ("did", "was", "were", "has", "have", "had", "didnt", "wasnt", "hasnt", "ever")
_NOT_VERBS = (
    "morning",
    "evening",
    "thing",
    "anything",
    "something",
    "everything",
    "nothing",
    "string",
    "ping",
)
_STATUS_WORDS = ("ok", "okay", "healthy", "fine", "alive", "good", "working", "green")
_RECENT = re.compile(r"\b(recently|lately|just now)\b")
_TODAY = re.compile(r"\b(today|this morning|tonight|this afternoon|overnight)\b")


@dataclass
class Reading:
    """What the words of a question say about its kind (the subject comes from the router)."""

    intent: str
    recognised: bool = True
    event: str | None = None  # the event an occurrence question asks about
    positive: bool = True  # a status question asks "is it healthy?" (else "is something wrong?")
    alert: str | None = None  # an alert name the question quotes
    alert_categories: tuple[Category, ...] = ()
    rank_by: str = "restarts"
    about_other: bool = False  # "what about X?": the previous turn's kind of question, about X
    present: bool = False  # "still", "now", "-ing": the window is the last minutes, not all history
    kinds: tuple[str, ...] = ()  # the kinds a question about changes names ("did anyone edit a netpol")
    guess: str = ""  # a symptom, then a yes/no guess at its cause: "checkout crashing - is it the db?"


_TRAFFIC = (
    "traffic",
    "connect",
    "reach",
    "drop",
    "block",
    "packet",
    "flow",
    "request",
    "call",
    "talk",
    "timeout",
    "timing out",
    "refus",
)
_TOWARDS = r"(?:to|into|towards|reach|reaches|reaching|at|from hitting|hitting)"


def asks_about_traffic_to(question: str, name: str) -> bool:
    """'who is dropping traffic to postgres', 'nothing can reach redis': the question is about traffic
    arriving at ``name`` (what stops it is that object's problem too), not about the object's own health."""
    text = normalise(question)
    towards = re.search(rf"\b{_TOWARDS}\s+(?:the\s+)?{re.escape(name.lower())}\b", text)
    return bool(towards) and _has(_words(text), text, _TRAFFIC)


def asks_about_its_pods(question: str, name: str) -> bool:
    """'are the frontend pods healthy?', 'replicas of cart ok?': the question is about the pods themselves
    (running, ready, restarting), not about everything the workload calls."""
    text = normalise(question)
    name = re.escape(name.lower())
    pods = r"(?:pods?|replicas|containers?|instances)"
    return bool(
        re.search(rf"\b{name}(?:'?s)?\s+{pods}(?![\w-])", text)
        or re.search(rf"\b{pods}\s+(?:of|for|in|behind)\s+(?:the\s+)?{name}\b", text)
    )


def normalise(question: str) -> str:
    text = question.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"\b(\w+)'(s|re|t|ll|ve|m|d)\b", r"\1\2", text)  # what's -> whats, can't -> cant
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9.\-_]*", text)


def _has(words: list[str], text: str, stems: tuple[str, ...]) -> bool:
    return any((" " in s and s in text) or any(w.startswith(s) for w in words) for s in stems)


def event_of(text: str, words: list[str]) -> str | None:
    for event, stems in EVENT_WORDS.items():
        if _has(words, text, stems):
            return event
    return None


# A node gone, in the words people use for it ("did we lose a node", "a node went away / dropped out").
_NODE_LOST = (
    "lose", "losing", "lost", "gone", "disappear", "vanish", "offline", "went away", "go away", "goes away",
    "went down", "go down", "goes down", "dropped out", "drop out", "fell over", "fall over",
)  # fmt: skip


_FILLER = re.compile(
    r"^(?:(?:hey|hi|hello|yo|ok|okay|so|um|uh|pls|please|quick q(?:uestion)?|question|folks|team|guys|"
    r"all|@\S+|kubewhy)[,:!]?\s+)+"
)


# Trouble said in more than one word: "not ready", "has no endpoints", "over quota".
_BAD_PHRASES = re.compile(
    r"\b(?:not|isnt|arent|wasnt|no longer|never) (?:\w+ )?"
    r"(?:ready|running|healthy|ok|okay|up|working|available|serving|fine|scheduled|scheduling|started|"
    r"starting|created|responding|reachable|connecting|coming up)\b"
    r"|\bno (?:ready )?(?:endpoints?|pods?|replicas?)\b|\bover (?:the |its |our )?(?:quota|limits?)\b"
    r"|\b(?:out|run(?:ning)? out|ran out) of\b"  # "are we out of pod IPs?", "running out of disk"
)


def _asks_about_trouble(text: str, words: list[str]) -> bool:
    """A yes/no question that asks "is something wrong?" ("is invoices affected?", "worker-3 not ready?"),
    so that yes means trouble; else it asks "is it healthy?"."""
    return bool(_BAD_PHRASES.search(text)) or any(w.startswith(b) for w in words for b in _HEALTH_BAD)


def read_intent(question: str) -> Reading:
    """The kind of question, from its words (deterministic; the first matching rule wins)."""
    text = _FILLER.sub("", normalise(question)) or normalise(question)
    words = _words(text)
    first = words[0] if words else ""
    alert = next((w for w in words if w in ALERTS), None)
    alert_event, alert_categories = ALERTS.get(alert, (None, ())) if alert else (None, ())
    event = event_of(text, words) or alert_event
    about_nodes = any(w in ("node", "nodes") for w in words) and not _has(words, text, ("pod",))
    if about_nodes and (event == "restart" or (event is None and _has(words, text, _NODE_LOST))):
        event = "node_down"  # "a node died?", "did we lose a node?": the node, not a container
    if event == "changed" and (_asks_about_trouble(text, words) or _CHANGE_OUTCOME.search(text)):
        event = None  # "rollout stuck?", "did the rollout finish?": how the change went, not whether it was
    present = _present(text, words)
    reading = Reading(intent="diagnose", alert=alert, alert_categories=alert_categories, present=present)
    reading.about_other = bool(re.match(r"^(?:and |so )?(?:what|how) about\b", text))
    questions = _yes_no_clauses(text)
    yes_no = first in _AUX or bool(questions)
    statement = bool(re.search(r"\b(keeps?|every \d+|all the time|forever|wont|cant|doesnt)\b", text))
    # a clause break: a comma, a semicolon, " - ", or a full stop before a space (not a host's dot)
    if re.match(r"^[^,;?]*?(?:[,;]|\.(?=\s)| - )\s*\S", text) and words and words[0] not in _AUX:
        statement = True  # "cart throwing errors, redis related?": a symptom, then a guess at its cause
        reading.guess = _guess(text)

    if _REMEDY.search(text) or (_ROLLBACK.search(text) and first not in _PAST_FIRST):
        reading.intent = "remediation"  # "rollback payments?" asks what to do; "did someone roll back" not
    elif re.search(
        r"\bwhen (?:did|does|was|were|has|have|exactly|do)\b|^when\b|\bsince when\b|\bwhat changed\b|"
        r"\bhow long\b|"
        r"\bwhat happened (?:right )?before\b|\bwhat time did\b|\bwhen .*\b(?:start|begin|began|stop)|"
        # "did anything change before cart started failing?": what changed before the onset
        r"\bchang(?:e|ed|es)\b[^.?;]*?\b(?:(?:right |just )?before|prior to|ahead of)\b",
        text,
    ):
        reading.intent = "onset"
        reading.event = event if event != "changed" else None  # "when did the drops start"
    elif any(w in _RANK_WORDS for w in words) and _rank_metric(words):
        reading.intent = "ranking"
        reading.rank_by = _rank_metric(words) or "restarts"
    elif any(w in _STATUS_WORDS for clause in questions or [text] for w in _words(clause)) and yes_no:
        reading.intent = "status"
    elif yes_no and event and not statement and "why" not in words:
        reading.intent = "occurrence"
        reading.event = event
        if event == "changed":
            reading.kinds = tuple(dict.fromkeys(CHANGED_KINDS[w] for w in words if w in CHANGED_KINDS))
    elif alert:
        reading.intent = "diagnose"
        reading.event = alert_event
    elif yes_no and not statement and "why" not in words:
        reading.intent = "status"
        reading.positive = not _asks_about_trouble(text, words)
    elif re.search(
        r"\b(how is|hows|how are|status of|health of|state of)\b|^(status|health)\b", text
    ) or re.search(r"\bok or not\b", text):
        reading.intent = "status"
    else:
        reading.intent = "diagnose"
        if event != "changed":  # "why did cart restart twice": the event asked about leads the answer
            reading.event = event
    if reading.intent == "status" and any(w in ("ok", "okay", "healthy", "fine") for w in words):
        reading.positive = not _BAD_PHRASES.search(text)  # "is cart not healthy?" asks about trouble
    return reading


_ROLLBACK = re.compile(r"\broll ?(?:ing )?back\b|\brollback\b|\bundo (?:the )?(?:rollout|deploy|release)\b")


def asks_to_roll_back(question: str) -> bool:
    """'should i roll back thumbnailer?', 'rollback payments?': a yes/no on undoing the last rollout."""
    return bool(_ROLLBACK.search(normalise(question)))


_CHANGE_OUTCOME = re.compile(
    r"\b(finish|finished|complete|completed|done|succeed|succeeded|go through|went through)\b"
)
_REMEDY = re.compile(
    r"\b(fix|fixed|fixing|remedy|remediat\w*|mitigat\w*|workaround|unblock|repair|"
    r"(?<!cant )(?<!cannot )(?<!not )(?<!unable to )(?<!failing to )(?<!fails to )resolve)\b"  # not DNS's
    r"|\bwhat (?:do|should|can) (?:i|we) do\b|\bhow (?:do|can|should) (?:i|we) (?:get|make) it\b"
    # "how do i stop billing-worker from ooming", "how can i get reports scheduled / gpu-inference running"
    r"|\bhow (?:do|can|should|could|would|to)(?: (?:i|we|you))? "
    r"(?:stop|prevent|avoid|recover|restore|unstick)\b"
    r"|\bhow (?:do|can|should|could|would|to)(?: (?:i|we|you))? (?:get|make|bring)\b[^?.;]*?\b(?:running|"
    r"working|up|back|scheduled|healthy|ready|started|online|green|stable|to (?:start|run|schedule|work))\b"
)


_GUESS = re.compile(
    r"(?:[,;.]| - )\s*((?:is|are|was|could|can|might)\s+(?:it|this|that)\b[^,;?]*|"  # "is it the db?"
    r"(?:is|are)\s+(?!anything|something|everything|there|you|everyone|it\b)[^,;?]+|"  # "is kafka down?"
    r"[^,;?]+\s+(?:related|issue|problem|to blame))\?\s*$"
)


def _guess(text: str) -> str:
    """The yes/no guess after a stated symptom ("checkout keeps crashing - is it the db?", "search-api
    latency bad, is the hpa maxed out?", "cart throwing errors, redis related?"), or ""."""
    match = _GUESS.search(text)
    return match[1].strip() if match else ""


def _yes_no_clauses(text: str) -> list[str]:
    """Clauses that end in a question mark and open with no question word: "redis ok?", "is it ok?"."""
    clauses = re.findall(r"([^,.;?!]+)\?", text)
    return [c for c in clauses if not any(w in _WH for w in _words(c)[:3])]


def _present(text: str, words: list[str]) -> bool:
    """Present tense ("is it still...", "are pods restarting", "catalog probes failing?"): the question is
    about now, not about all the history kubewhy can see."""
    if _PRESENT.search(text):
        return True
    if not words or words[0] in _PAST_FIRST or _TODAY.search(text):
        return False
    if words[0] in ("is", "are", "do", "does", "isnt", "arent"):
        return True
    return any(w.endswith("ing") and len(w) > 4 and w not in _NOT_VERBS for w in words)


def _rank_metric(words: list[str]) -> str | None:
    for metric, stems in RANK_METRICS.items():
        if any(w.startswith(s) for w in words for s in stems):
            return metric
    return None


def is_review_wording(question: str) -> bool:
    """No object, just "what is broken / anything wrong / health check": a review of the scope."""
    text = normalise(question)
    words = _words(text)
    return bool(
        re.search(r"\b(anything|something|what|whats|everything|all|else)\b", text)
        and any(w.startswith(b) for w in words for b in (*_HEALTH_BAD, "broke", "fire", "wrong", "health"))
    ) or bool(re.search(r"\b(health ?check|review|overview|status report|how is the cluster)\b", text))


def recognised(question: str, has_names: bool, hinted: bool) -> bool:
    """A question kubewhy can make sense of: it names something here, describes trouble, or asks about
    health, time or a fix."""
    text = normalise(question)
    words = _words(text)
    if has_names or hinted or event_of(text, words) is not None:  # "did someone change a netpol today"
        return True
    vocabulary = (
        *_HEALTH_GOOD,
        *_HEALTH_BAD,
        *_RANK_WORDS,
        "why",
        "when",
        "fix",
        "pod",
        "pods",
        "node",
        "nodes",
    )
    return any(w.startswith(v) for w in words for v in vocabulary if len(v) > 2) or any(
        w in vocabulary for w in words
    )


def window_start(question: str, reading: Reading, now: datetime, since: datetime | None) -> datetime | None:
    """Where a yes/no question's window starts: the time it names, else the last 30 minutes for "still",
    "now" and the present tense, the last hour for "recently", midnight for "today"; None: all history."""
    text = normalise(question)
    if since is not None:
        return since
    if _TODAY.search(text):
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if _RECENT.search(text):
        return now - timedelta(hours=1)
    if reading.present:
        return now - timedelta(minutes=30)
    return None
