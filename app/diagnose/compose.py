"""The answer composer: from the typed question and the ranked candidates, write the direct answer, keep the
subject's problems and their cause chain as findings, and put everything else elsewhere.

Only a finding about the subject is ever worded as its cause; problems elsewhere are listed as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.diagnose.candidate import Candidate
from app.diagnose.facts import Facts
from app.diagnose.intent import (
    EVENT_CATEGORIES,
    asks_about_its_pods,
    asks_about_traffic_to,
    asks_to_roll_back,
)
from app.diagnose.k8s_facts import WORKLOAD_KINDS, controller_of, pods_on_node
from app.diagnose.measure import (
    Moment,
    changes_before,
    clock,
    hhmm,
    node_outages,
    occurrences,
    onset,
    restart_table,
    status_checks,
    still_serving,
    usage_table,
)
from app.diagnose.question import Question, Scope
from app.diagnose.router import singular
from app.diagnose.subject import (
    Subject,
    depends_on_it,
    is_about,
    resolve,
    stops_traffic_to,
    subject_of,
    symptom_workload,
)
from tools.contracts.diagnosis import Answer, Category, NextStep, ResourceRef
from tools.contracts.kube.objects import name_of, namespace_of
from tools.contracts.kube.time import kubectl_age
from tools.contracts.wording import plural, possessive

_EVENT_WORDS = {
    "oom": ("OOM-killed", "OOM kill"),
    "restart": ("restarted", "restart or crash"),
    "evicted": ("evicted", "eviction"),
    "throttled": ("CPU-throttled", "CPU throttling"),
    "probe": ("failing a probe", "probe failure"),
    "dropped": ("dropped", "dropped connection"),
    "pull": ("failing to pull its image", "image pull failure"),
    "changed": ("changed", "change"),
    "node_down": ("down", "node outage"),
}


@dataclass
class Composed:
    answer: Answer
    findings: list[Candidate]
    elsewhere: list[Candidate]
    subject: Subject | None = None
    details: list[str] = field(default_factory=list)  # sentences after the direct answer
    changes: list[Moment] = field(default_factory=list)  # what changed before the onset, oldest first


def _name(ref: ResourceRef) -> str:
    if ref.kind == "Namespace":
        return f"namespace {ref.name}"
    if ref.kind == "Node":
        return f"node {ref.name}"
    return ref.name if ref.kind in ("Deployment", "StatefulSet", "DaemonSet") else f"{ref.kind} {ref.name}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def compose(question: Question, ranked: list[Candidate], facts: Facts, ctx: Any = None) -> Composed:
    live = [c for c in ranked if c.severity > 0]
    intent = question.intent
    ref = resolve(question.subject, facts)
    if ref is not None and ref.kind != "Namespace" and ref.kind not in ("Node",) and not _exists(ref, facts):
        question.missing.append((ref.name, []))
        ref = None
    if ref is None and question.missing:
        ref = _named_elsewhere(question, facts)  # a Role, Secret, policy...: not in the router's names
    if ref is None and question.reading.alert and intent == "diagnose":
        alerted = [c for c in live if c.category in question.reading.alert_categories]
        if alerted:
            ref = symptom_workload(alerted[0], facts)
    subject = subject_of(ref, facts)
    on_node = _node_pods_asked(question, ref, facts)
    if subject is not None and on_node:  # "any pods on worker-3 broken": the node's pods are asked about
        subject.members |= {("Pod", namespace_of(pod), name_of(pod)) for pod in on_node}
    guessed = subject is not None and question.subject in question.scope.guessed and intent == "diagnose"
    if guessed and ref is not None and ref.namespace and not any(is_about(c, subject, facts) for c in live):
        # A name only guessed from a close spelling ("thumbnails") that turns out healthy while the
        # question describes trouble: the question is about its namespace.
        ref = ResourceRef(kind="Namespace", name=ref.namespace)
        subject = subject_of(ref, facts)
    answer = Answer(intent=intent, subject=ref)  # type: ignore[arg-type]

    if subject is None and question.missing:
        return _missing(question, answer, live, facts)
    if subject is None:
        return _review(question, answer, live, facts, ctx)

    inbound = ref is not None and asks_about_traffic_to(question.text, ref.name)
    findings = [
        c for c in live if is_about(c, subject, facts) or (inbound and stops_traffic_to(c, subject, facts))
    ]
    causes = [c for c in findings if depends_on_it(c, subject) and not subject.owns(c.resource)]
    findings = causes + [c for c in findings if c not in causes]  # the broken dependency before its symptom
    elsewhere = [c for c in live if c not in findings]
    if question.previous is not None and question.follow_up and question.previous.culprit is not None:
        findings = _culprit_first(findings, question.previous.culprit)
    answer.subject_healthy = not findings
    composed = Composed(answer, findings, elsewhere, subject)
    name = f"a pod on node {ref.name}" if on_node and findings else _name(ref)  # not the node itself
    started = onset(facts, findings, subject)
    answer.since = _iso(started.at) if started else None
    if findings and started is not None:
        composed.changes = changes_before(facts, started.at, _change_namespaces(findings[0], subject))
        _cite_changes(findings[0], composed.changes)

    if intent == "occurrence":
        _occurrence(question, composed, facts, name, started)
    elif intent == "status":
        healthy = answer.subject_healthy
        answer.verdict = (
            ("yes" if healthy else "no") if question.reading.positive else ("no" if healthy else "yes")
        )
        checks = status_checks(facts, subject)
        pods_only = asks_about_its_pods(question.text, ref.name) and ref.kind in WORKLOAD_KINDS
        if pods_only and findings and not any(_troubles_pods(c, causes) for c in findings):
            # its pods run and are ready; what fails is something they call
            answer.verdict = "yes" if question.reading.positive else "no"
            said = answer.verdict.capitalize()
            answer.text = f"{said}. The {name} pods are healthy ({checks}), but {findings[0].title}."
        elif healthy and (unseen := _unseen(facts, ref)):
            answer.verdict, answer.subject_healthy = "unknown", None
            answer.text = f"Cannot tell from this capture: {unseen}."
        elif healthy:
            answer.text = (
                f"{answer.verdict.capitalize()}. {name} is healthy: {checks}; no problem found with it."
            )
        elif (
            _asks_if_serving(question.text)
            and subject.ref.kind != "Node"
            and all(c.severity < 3 for c in findings if c not in causes)  # no outage of its own
            and still_serving(facts, subject)
        ):
            # "is payments down?", "is checkout up / serving traffic?": it still serves, though not well
            answer.verdict = "no" if _DOWN.search(question.text.lower()) else "yes"
            said = answer.verdict.capitalize()
            answer.text = f"{said}. {name} is up ({checks}), but not healthy: {findings[0].title}."
        else:
            top = findings[0]
            answer.text = f"{answer.verdict.capitalize()}. {name} is not healthy: {top.title} ({checks})."
    elif intent == "onset":
        answer.text = _onset_text(name, started, findings, composed.changes, facts, subject)
    elif intent == "remediation":
        answer.text = _remedy_text(name, findings, ref)
        if (
            findings
            and asks_to_roll_back(question.text)
            and ref.kind in ("Deployment", "StatefulSet", "DaemonSet")
        ):
            answer.verdict, answer.text = _roll_back(
                facts, ref, subject, findings[0], started, composed.changes, answer.text
            )
    elif intent == "ranking":
        return _ranking(question, answer, live, facts, ctx, [ref.namespace or ref.name])
    else:
        if findings:
            top = findings[0]
            culprit = "it" if top.resource == ref else str(top.resource)
            arriving = inbound and not is_about(top, subject, facts)  # it is fine; what is sent to it is not
            opening = f"{name} is failing"
            if arriving:
                dropped = top.category is Category.NetworkPolicyBlocked
                opening = f"Traffic to {name} is dropped" if dropped else f"Calls to {name} never reach it"
            event_first = _event_first(question, facts, subject, findings)
            if event_first:
                opening = f"{event_first} What is wrong with {name} now"
            since = f" (since {hhmm(started.at)})" if started else ""
            if f"fix {culprit}".lower() in top.title.lower():  # the title says the fix: said once
                answer.text = f"{opening}: {top.title}{since}."
            else:
                answer.text = f"{opening}: {top.title}. Fix {culprit}{since}."
            if question.guess is not None:  # "... - is it the db?": yes when the cause is what was guessed
                answer.verdict = "yes" if _guessed_right(question, top) else "no"
                answer.text = f"{answer.verdict.capitalize()}. {answer.text}"
        elif unseen := _unseen(facts, ref):
            answer.subject_healthy = None
            answer.text = f"Cannot tell from this capture: {unseen}."
        else:
            answer.text = f"Nothing wrong found with {name}: {status_checks(facts, subject)}."
            if question.guess is not None:  # "search broken, is it elasticsearch?": it is healthy
                answer.verdict = "no"
                answer.text = f"No. {answer.text}"
    if not findings and not inbound and intent in ("status", "diagnose") and answer.text:
        held_up = [c for c in elsewhere if stops_traffic_to(c, subject, facts)]
        if held_up:  # "whats wrong with the db": nothing, but its callers never reach it
            answer.text += f" But some of its callers never reach it: {held_up[0].title}."
    if elsewhere and not findings:
        composed.details.append("Other problems in the cluster, not asked about, are listed apart.")
    return composed


_DOWN = re.compile(r"\b(?:down|dead|offline|outage|unreachable)\b")


_SERVING = re.compile(r"\b(?:up|serving|serve|serves|taking traffic|reachable|online)\b")


def _asks_if_serving(question: str) -> bool:
    """'is payments down?', 'is checkout up / serving traffic?': an outage or not, not any trouble."""
    text = question.lower()
    return bool(_DOWN.search(text) or _SERVING.search(text))


_NAMED_KINDS = (
    "Certificate", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "NetworkPolicy",
    "CiliumNetworkPolicy", "ConfigMap", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "ResourceQuota", "LimitRange", "ServiceAccount", "StorageClass", "PersistentVolume", "IngressClass",
    "Pod",
)  # fmt: skip


def _named_elsewhere(question: Question, facts: Facts) -> ResourceRef | None:
    """A "missing" name that is an object of a kind the router does not list (a Role, a Secret, a
    certificate, a policy): the question is about that object."""
    from tools.contracts.kube.objects import name_of, namespace_of

    for word, _close in question.missing:
        for kind in _NAMED_KINDS:
            for obj in facts.of_kind(kind):
                if name_of(obj).lower() == word:
                    question.missing = [(w, c) for w, c in question.missing if w != word]
                    if kind == "Pod":
                        from app.diagnose.workload_facts import owner_workload

                        return owner_workload(facts, obj)
                    return ResourceRef(kind=kind, namespace=namespace_of(obj), name=name_of(obj))
    return None


# What keeps pods from running or being ready; a Service, Ingress or policy in front of them does not.
_POD_TROUBLE = {
    Category.AppCrash, Category.OOMKilled, Category.ImagePull, Category.MissingConfig, Category.ProbeFailure,
    Category.InsufficientResources, Category.SchedulingConstraint, Category.StorageProvisioning,
    Category.VolumeAttach, Category.VolumeFull, Category.QuotaExceeded, Category.NodeNotReady,
    Category.NodePressure, Category.CPUThrottling, Category.RBACForbidden, Category.Other,
}  # fmt: skip


def _troubles_pods(finding: Candidate, causes: list[Candidate]) -> bool:
    """A finding about the pods themselves, not what they call nor what routes to them."""
    return finding not in causes and finding.category in _POD_TROUBLE


def _guessed_right(question: Question, cause: Candidate) -> bool:
    """The cause is what the guess names: the object ("the db" is postgres, "redis"), or its kind of
    trouble ("is it dns?", "is the hpa maxed out?"); "redis related?" also holds when the cause is about
    calling redis (a wrong redis host name)."""
    guess = question.guess or Scope()
    named = {(t.kind, t.namespace, t.name) for t in guess.targets}
    ref = cause.resource
    if (ref.kind, ref.namespace, ref.name) in named or cause.category in guess.hinted:
        return True
    title = cause.title.lower()
    said = [w for w in re.findall(r"[a-z][a-z0-9-]{3,}", question.reading.guess) if w not in _GUESS_FILLER]
    return any(re.search(rf"\b{re.escape(singular(w))}", title) for w in said)  # "is it the storageclass?"


# Words of a guess that say nothing about what is guessed ("could it be related to", "is that an issue")
_GUESS_FILLER = {
    "could", "might", "this", "that", "related", "issue", "problem", "blame", "down", "broken", "wrong",
    "maybe", "because", "cause", "causing", "again", "still", "really", "just", "fault", "some", "thing",
}  # fmt: skip


def _unseen(facts: Facts, ref: ResourceRef) -> str:
    """Why a workload's health cannot be told: it wants pods, but the capture holds neither its status nor
    any of its pods (a stripped export, `kubectl get deploy -o yaml` through a cleaner). "" when it can."""
    from app.diagnose.workload_facts import find, pods_of

    if ref.kind not in ("Deployment", "StatefulSet", "DaemonSet"):
        return ""
    workload = find(facts, ref.kind, ref.namespace, ref.name)
    if workload is None or workload.get("status") or pods_of(facts, ref):
        return ""
    wanted = (workload.get("spec") or {}).get("replicas", 1)
    if ref.kind != "DaemonSet" and not wanted:
        return ""  # scaled to zero: nothing to run
    wants = "pods on its nodes" if ref.kind == "DaemonSet" else plural(int(wanted), "replica")
    held = "the capture holds neither its status nor any of its pods"
    return f"{ref.kind} {ref.name} wants {wants}, but {held}"


def _exists(ref: ResourceRef, facts: Facts) -> bool:
    from app.diagnose.workload_facts import find

    return find(facts, ref.kind, ref.namespace, ref.name) is not None or not facts.objects.get(ref.kind)


def _culprit_first(findings: list[Candidate], culprit: ResourceRef) -> list[Candidate]:
    first = [c for c in findings if c.resource == culprit]
    return first + [c for c in findings if c not in first]


def _occurrence(
    question: Question, composed: Composed, facts: Facts, name: str, started: Moment | None
) -> None:
    answer, subject = composed.answer, composed.subject
    assert subject is not None
    event = question.reading.event or "restart"
    past, noun = _EVENT_WORDS.get(event, (event, event))
    seen = _of_kinds(occurrences(facts, subject, event, composed.findings), question)
    window = question.window_start
    inside = [m for m in seen if window is None or m.at >= window]
    related = [c for c in composed.findings if c.category in EVENT_CATEGORIES.get(event, ())]
    if inside and event == "changed":  # each change is its own news: list the latest, oldest first
        answer.verdict = "yes"
        listed = "; ".join(f"{clock(m.at, facts.now)} {m.what}" for m in inside[-MAX_CHANGES:])
        answer.text = f"Yes. {name}: {plural(len(inside), 'change')} on record: {listed}."
        answer.since = _iso(inside[0].at)
    elif inside or (related and window is not None and not seen):
        answer.verdict = "yes"
        last = inside[-1] if inside else None
        if last is None:
            answer.text = f"Yes. {name} is {past} now: {related[0].title}."
        else:
            when = f" at {hhmm(last.at)}" if last.at < facts.now else " (now)"
            first = min(inside[0].at, started.at) if started else inside[0].at
            count = f"; since {hhmm(first)}" if first < last.at else ""
            answer.text = f"Yes. {name}: {last.what}{when}{count} ({status_checks(facts, subject)})."
            if related:
                answer.text += f" {related[0].title}."
        answer.since = answer.since or (_iso(inside[0].at) if inside else None)
    elif seen:
        answer.verdict = "no"
        last = seen[-1]
        ago = kubectl_age(last.at, facts.now)
        answer.text = f"No. {name} was last {past} at {clock(last.at, facts.now)}, {ago} ago; nothing since."
    else:
        answer.verdict = "no"
        answer.text = f"No. No {noun} of {name} is on record ({status_checks(facts, subject)})."
    if composed.findings and answer.verdict == "no":
        answer.text += f" But it is not healthy: {composed.findings[0].title}."


def _node_pods_asked(question: Question, ref: ResourceRef | None, facts: Facts) -> list[dict[str, Any]]:
    """The pods scheduled on the node a question asks about the pods of ("pods on worker-3")."""
    if ref is None or ref.kind != "Node" or not re.search(r"\bpods?\b", question.text.lower()):
        return []
    return pods_on_node(facts, ref.name)


def _event_first(question: Question, facts: Facts, subject: Subject, findings: list[Candidate]) -> str:
    """An event the question or its alert names ("why did cart restart twice", "KubeContainerOOMKilled ...
    cart") that the top finding is not about: say when it last happened first ("cart-x was OOM-killed at
    08:00; nothing since."), so the answer is about what was asked before the subject's other trouble.
    "" when no such case."""
    reading = question.reading
    if not reading.event or not findings:
        return ""
    categories = reading.alert_categories if reading.alert else EVENT_CATEGORIES.get(reading.event, ())
    if findings[0].category in categories:
        return ""
    seen = occurrences(facts, subject, reading.event, findings)
    if not seen:
        return ""
    last = seen[-1]
    when = f"at {clock(last.at, facts.now)}" if last.at < facts.now else "now"
    since = "" if last.at >= facts.now - timedelta(minutes=15) else "; nothing since"
    what = f"{last.what} {when}{since}."
    if not reading.alert:
        return what
    written = re.search(re.escape(reading.alert), question.text, re.IGNORECASE)
    return f"{written.group(0) if written else reading.alert}: {what}"


def _of_kinds(moments: list[Moment], question: Question) -> list[Moment]:
    """The changes of the kinds the question names ("did anyone edit a netpol"), else all of them."""
    kinds = question.reading.kinds
    if not kinds:
        return moments
    return [m for m in moments if m.cite is not None and m.cite.ref.key[0] in kinds]


def _change_namespaces(top: Candidate, subject: Subject) -> list[str]:
    """Where a change could have started the trouble: the namespaces of the culprit and of what shows it,
    and the subject's own."""
    namespaces = sorted({r.namespace for r in (top.resource, *top.affected) if r.namespace})
    if subject.ref.namespace and subject.ref.namespace not in namespaces:
        namespaces.append(subject.ref.namespace)
    return namespaces


MAX_CHANGES = 4


def _cite_changes(top: Candidate, changes: list[Moment]) -> None:
    """The changes before the onset become evidence of the top finding: each cites the line that shows it
    (the policy's creation time, the Deployment's new ReplicaSet, the node event). They are said once, in
    ``answer.changes`` (every surface lists or draws them), not again in the finding's explanation."""
    shown = changes[-MAX_CHANGES:]
    top.cites.extend(m.cite for m in shown if m.cite is not None and m.cite not in top.cites)


def _onset_text(
    name: str,
    started: Moment | None,
    findings: list[Candidate],
    changes: list[Moment],
    facts: Facts,
    subject: Subject,
) -> str:
    if not findings:
        return (
            f"{name} has no trouble to date: nothing wrong found with it ({status_checks(facts, subject)})."
        )
    if started is None:
        return f"The start of {possessive(name)} trouble ({findings[0].title}) is not on record."
    text = f"{possessive(name)} trouble started at {hhmm(started.at)} ({started.what}): {findings[0].title}."
    if changes:
        listed = "; ".join(f"{hhmm(m.at)} {m.what}" for m in changes[-MAX_CHANGES:])
        text += f" Changes in the 30 minutes before it: {listed}."
    else:
        text += " No rollout, policy, config or node change is on record in the 30 minutes before it."
    return text


def _roll_back(
    facts: Facts,
    ref: ResourceRef,
    subject: Subject,
    cause: Candidate,
    started: Moment | None,
    changes: list[Moment],
    fix: str,
) -> tuple[str, str]:
    """Whether undoing the last rollout is the fix: the workload itself is the cause, its trouble began
    right after a rollout of it, and there is an earlier revision to go back to."""
    if cause.resource != ref:
        return "no", f"No: the cause is {cause.resource}, not a version of {ref.name}. {fix}"
    rollouts = [
        c
        for c in changes
        if c.kind == "rollout" and c.cite is not None and _owns_key(subject, c.cite.ref.key)
    ]
    earlier = ref.kind != "Deployment" or len(_replicasets_of(facts, ref)) > 1
    undo = f"kubectl -n {ref.namespace} rollout undo {ref.kind.lower()}/{ref.name}"
    if started is not None and rollouts and earlier:
        last = rollouts[-1]
        return "yes", (
            f"Yes. Roll back: the trouble started at {hhmm(started.at)}, right after {last.what}: "
            f"`{undo}`. Then find why the new version fails before rolling forward again. {fix}"
        )
    why = (
        "there is no earlier revision to go back to"
        if rollouts and not earlier
        else "the trouble did not start with a rollout of it"
    )
    return "no", f"No: {why}. {fix}"


def _owns_key(subject: Subject, key: tuple[str, str | None, str]) -> bool:
    kind, namespace, name = key
    return subject.owns(ResourceRef(kind=kind, namespace=namespace or None, name=name))


def _replicasets_of(facts: Facts, ref: ResourceRef) -> list[dict[str, Any]]:
    return [
        rs
        for rs in facts.of_kind("ReplicaSet", ref.namespace)
        if (owner := controller_of(rs)) and (owner.get("kind"), owner.get("name")) == (ref.kind, ref.name)
    ]


def _remedy_text(name: str, findings: list[Candidate], subject: ResourceRef) -> str:
    if not findings:
        return f"Nothing to fix: no problem found with {name}."
    top = findings[0]
    fix = _fixing_step(top.next_steps)
    text = f"Fix {top.resource}: {top.title}."
    if fix is not None:
        text += f" {fix.description}" + (f": `{fix.command}`" if fix.command else "") + "."
    if subject.kind == "Node":
        return text + f" Afterwards check that the node is Ready: `kubectl get node {subject.name} -w`."
    namespace = subject.name if subject.kind == "Namespace" else subject.namespace or "default"
    watch = f"`kubectl get pods -n {namespace} -w`"
    return text + f" Afterwards check that {possessive(name)} pods are Ready and stay up: {watch}."


# Next steps that look (read, list, compare...) come before the one that changes something; the fix is
# the one whose wording or command changes the object.
_LOOKING = (
    "see",
    "read",
    "check",
    "list",
    "compare",
    "find",
    "review",
    "look",
    "inspect",
    "count",
    "confirm",
)
_CHANGING = (
    " edit ",
    " set ",
    " scale ",
    " patch ",
    " apply ",
    " rollout undo",
    " delete ",
    " label ",
    " annotate ",
)


def _fixing_step(steps: list[NextStep]) -> NextStep | None:
    for step in steps:
        if not step.description.lower().startswith(_LOOKING):
            return step
    for step in steps:
        if step.command and any(verb in f" {step.command} " for verb in _CHANGING):
            return step
    return steps[-1] if steps else None


def _missing(question: Question, answer: Answer, live: list[Candidate], facts: Facts) -> Composed:
    parts = []
    for word, close in question.missing:
        hint = f" The closest names are {', '.join(close)}." if close else ""
        parts.append(
            f"There is no workload, service, node or namespace called '{word}' in {facts.cluster}.{hint}"
        )
    answer.text = " ".join(parts)
    if question.intent in ("status", "occurrence"):
        answer.verdict = "unknown"
    return Composed(answer, [], live)


def _review(question: Question, answer: Answer, live: list[Candidate], facts: Facts, ctx: Any) -> Composed:
    scope = question.scope
    if question.intent == "ranking":
        return _ranking(question, answer, live, facts, ctx, scope.namespaces)
    namespaces = [ns for ns in scope.namespaces if not scope.whole_cluster]
    if namespaces:
        findings = [c for c in live if any(r.namespace in namespaces for r in (c.resource, *c.affected))]
        elsewhere = [c for c in live if c not in findings]
    else:
        findings, elsewhere = live, []
    where = f"namespace {', '.join(namespaces)}" if namespaces else facts.cluster
    prefix = ""
    if not question.recognised:
        asked = question.text[:80]
        prefix = (
            f"I did not recognise a question about this cluster in '{asked}'; here is a review of {where}. "
        )
    if question.intent == "status":
        hinted = question.scope.hinted  # "are the nodes ok", "is dns working": only that kind of trouble
        asked = [c for c in findings if c.category in hinted] if hinted else findings
        broken = bool(asked)
        answer.verdict = (
            ("no" if broken else "yes") if question.reading.positive else ("yes" if broken else "no")
        )
        said = answer.verdict.capitalize()
        if asked:
            listed = "; ".join(f"{c.title} (fix {c.resource})" for c in asked[:3])
            answer.text = prefix + f"{said}. {plural(len(asked), 'problem')} found in {where}: {listed}."
        else:
            kinds = "".join(f"{c}, " for c in hinted)[:-2] + " " if hinted else ""
            if answer.verdict == "yes":  # "are we ok?": yes, and what that rests on
                answer.text = prefix + f"Yes. {where} looks healthy: no {kinds}problem found."
            else:
                answer.text = prefix + f"{said}. No {kinds}problem found in {where}."
            if findings:
                answer.text += " Other problems, not asked about, are listed apart."
        others = [c for c in findings if c not in asked]
        return Composed(answer, asked, [*elsewhere, *others])
    if question.intent == "occurrence":
        _occurrence_anywhere(question, answer, facts, namespaces, where)
    elif (
        question.intent == "onset"
        and findings
        and (began := _onset_anywhere(question, answer, findings, facts))
    ):
        first, started_at = began
        findings = [first] + [c for c in findings if c is not first]
        others = len(findings) - 1
        changes = changes_before(facts, started_at, [first.resource.namespace])
        if changes:  # "did something change before the ooms started?": what changed, with no name asked
            _cite_changes(first, changes)
            listed = "; ".join(f"{hhmm(m.at)} {m.what}" for m in changes[-MAX_CHANGES:])
            answer.text += f" Changes in the 30 minutes before it: {listed}."
        answer.text = (
            prefix + answer.text + (f" {plural(others, 'other problem')} in {where}." if others else "")
        )
        composed = Composed(answer, findings, elsewhere)
        composed.changes = changes
        return composed
    elif question.intent == "remediation" and findings:  # "how do i stop the evictions": the fix, first
        asked = [c for c in findings if c.category in question.scope.hinted]
        findings = asked + [c for c in findings if c not in asked]
        top = findings[0].resource
        answer.text = prefix + _remedy_text(_name(top), findings, top)
    elif findings:
        listed = "; ".join(f"{c.title} (fix {c.resource})" for c in findings[:3])
        answer.text = prefix + f"{plural(len(findings), 'problem')} found in {where}: {listed}."
        started = onset(facts, findings, None)
        answer.since = _iso(started.at) if started else None
    else:
        answer.text = prefix + f"Nothing wrong found in {where}."
    return Composed(answer, findings, elsewhere)


def _onset_anywhere(
    question: Question, answer: Answer, findings: list[Candidate], facts: Facts
) -> tuple[Candidate, datetime] | None:
    """When the trouble asked about began ("since when are orders failing", "when did the drops start"):
    the first problem of the event's kind the question names, else the first problem, said first."""
    kinds = EVENT_CATEGORIES.get(question.reading.event or "", ())
    top = next((c for c in findings if c.category in kinds), findings[0])
    started = onset(facts, [top], None)
    if started is None:
        return None
    answer.since = _iso(started.at)
    answer.text = (
        f"It started at {clock(started.at, facts.now)} ({started.what}): {top.title} (fix {top.resource})."
    )
    return top, started.at


def _in_namespaces(question: Question, facts: Facts, namespaces: list[str]) -> list[Moment]:
    """The asked-about event in each namespace in scope (every namespace with pods when none is)."""
    event = question.reading.event or "restart"
    seen: list[Moment] = []
    for ns in namespaces or sorted(
        {n for n in (m.get("metadata", {}).get("namespace") for m in facts.of_kind("Pod")) if n}
    ):
        subject = subject_of(ResourceRef(kind="Namespace", name=ns), facts)
        if subject is not None:
            seen.extend(_of_kinds(occurrences(facts, subject, event, []), question))
    return seen


def _occurrence_anywhere(
    question: Question, answer: Answer, facts: Facts, namespaces: list[str], where: str
) -> None:
    """Did anything get OOM-killed? The asked-about event over every namespace in scope."""
    event = question.reading.event or "restart"
    noun = _EVENT_WORDS.get(event, (event, event))[1]
    seen = node_outages(facts) if event == "node_down" else _in_namespaces(question, facts, namespaces)
    seen.sort(key=lambda m: m.at)
    window = question.window_start
    inside = [m for m in seen if window is None or m.at >= window]
    if inside:
        answer.verdict = "yes"
        listed = "; ".join(f"{clock(m.at, facts.now)} {m.what}" for m in inside[-3:])
        answer.text = f"Yes. {plural(len(inside), noun)} on record in {where}: {listed}."
        answer.since = _iso(inside[0].at)
    elif seen:
        answer.verdict = "no"
        last = seen[-1]
        answer.text = (
            f"No. The last {noun} in {where} was at {clock(last.at, facts.now)}: {last.what}; nothing since."
        )
    else:
        answer.verdict = "no"
        answer.text = f"No. No {noun} is on record in {where}."


def _ranking(
    question: Question, answer: Answer, live: list[Candidate], facts: Facts, ctx: Any, namespaces: list[str]
) -> Composed:
    by = question.reading.rank_by
    rows = restart_table(facts, namespaces or None)
    unit = "restarts"
    if by in ("memory", "cpu"):
        usage = usage_table(ctx, facts, by, namespaces or None)
        if usage is None:
            answer.text = f"{by} use cannot be ranked: Prometheus is not available. By restarts instead:\n"
        else:
            rows, unit = usage, by
    where = f" in {', '.join(namespaces)}" if namespaces else ""
    table = [
        f"Pods{where} by {unit}:",
        "| pod | namespace | "
        + ("memory | " if unit == "memory" else "cpu | " if unit == "cpu" else "")
        + "restarts | last termination |",
    ]
    for row in rows[:5]:
        value = ""
        if unit == "memory" and row.value is not None:
            value = f"{row.value / 2**20:.0f}Mi | "
        elif unit == "cpu" and row.value is not None:
            value = f"{row.value:.3f} cores | "
        table.append(f"| {row.pod} | {row.namespace} | {value}{row.restarts} | {row.last or '-'} |")
    answer.text = (answer.text or "") + "\n".join(table)
    return Composed(answer, [], live)
