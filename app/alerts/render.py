"""The alert group's thread in Slack: the root message (state, alert names, what it is about, the direct
answer, links back) and the notes that follow (what changed, resolved, not investigated). Built from the
Slack bot's blocks and escaping (:mod:`app.slack.blocks`, :mod:`app.slack.mrkdwn`); every string from
the alerts is inert."""

from __future__ import annotations

from app.alerts.mapping import AlertQuestion
from app.alerts.payload import Alert, Notification
from app.slack.blocks import Block, SlackMessage, context, section, text_sections
from app.slack.mrkdwn import inert, inline_code, link
from app.store.diff import FindingsDiff
from tools.contracts.diagnosis import Diagnosis, Finding
from tools.contracts.wording import plural

LISTED_ALERTS = 10
LISTED_LABELS = 12
SCRAPE_LABELS = frozenset({"endpoint", "instance", "job", "prometheus", "service", "uid"})
INVESTIGATING = "_Investigating… the diagnosis follows in this thread._"


def direct_answer(diagnosis: Diagnosis) -> str:
    """The line a person reads first: the composer's direct answer where the document has one, else the
    summary."""
    answer = getattr(diagnosis, "answer", None)
    text = getattr(answer, "text", None) if answer is not None else None
    return text or diagnosis.summary


def state_line(notification: Notification) -> str:
    firing = len(notification.firing)
    total = len(notification.alerts) + notification.truncatedAlerts
    names = ", ".join(inline_code(name) for name in notification.names[:5])
    if len(notification.names) > 5:
        names += f" and {len(notification.names) - 5} more"
    if notification.status == "resolved":
        return f":white_check_mark: *RESOLVED* · {names} · {total} alert{'s' if total != 1 else ''}"
    return (
        f":rotating_light: *FIRING* · {names} · {firing} of {total} alert{'s' if total != 1 else ''} firing"
    )


def _labels(labels: dict[str, str], skip: frozenset[str] = frozenset()) -> str:
    shown = [(k, v) for k, v in sorted(labels.items()) if k not in skip][:LISTED_LABELS]
    more = len(labels) - len(skip & labels.keys()) - len(shown)
    text = " ".join(inline_code(f"{key}={value}") for key, value in shown)
    return text + (f" and {more} more" if more > 0 else "")


def _alert_line(alert: Alert, common: dict[str, str]) -> str:
    own = {k: v for k, v in alert.labels.items() if common.get(k) != v}
    mark = ":red_circle:" if alert.status == "firing" else ":large_green_circle:"
    since = f" since {inert(alert.startsAt[:19].replace('T', ' '))} UTC" if alert.startsAt else ""
    source = " · " + link(alert.generatorURL, "source") if alert.generatorURL else ""
    return f"{mark} {inline_code(alert.name)} {_labels(own, SCRAPE_LABELS)}{since}{source}"


def root_message(
    notification: Notification, question: AlertQuestion, answer_line: str | None, notifications: int = 1
) -> SlackMessage:
    """The thread's first message; edited (chat.update) as the group changes."""
    blocks: list[Block] = [section(state_line(notification))]
    said = notification.commonAnnotations.get("summary") or notification.alerts[0].annotations.get("summary")
    if said:
        blocks.extend(text_sections(f"> {inert(' '.join(said.split()))}"))
    about = f"About {inert(question.scope)}"
    if not question.placed:
        about += " — _the alert names no object, so this is a health review of that scope_"
    blocks.append(section(about))
    blocks.extend(text_sections(f":mag: {inert(answer_line)}" if answer_line else INVESTIGATING))
    blocks.append(context(f"labels: {_labels(notification.commonLabels, SCRAPE_LABELS) or 'none in common'}"))
    lines = [_alert_line(alert, notification.commonLabels) for alert in notification.alerts[:LISTED_ALERTS]]
    hidden = len(notification.alerts) - LISTED_ALERTS + notification.truncatedAlerts
    if hidden > 0:
        lines.append(f"… and {hidden} more alert{'s' if hidden != 1 else ''} in this group")
    blocks.extend(text_sections("\n".join(lines)))
    links = [link(notification.externalURL, "Alertmanager")] if notification.externalURL else []
    first_source = next((a.generatorURL for a in notification.alerts if a.generatorURL), "")
    if first_source:
        links.insert(0, link(first_source, "Prometheus"))
    footer = f"receiver {inline_code(notification.receiver)} · notification {notifications}"
    blocks.append(context(" · ".join([*links, footer])))
    state = "RESOLVED" if notification.status == "resolved" else "FIRING"
    fallback = f"{state} {', '.join(notification.names)}: {answer_line or 'investigating'}"
    return SlackMessage(text=inert(fallback[:2900]), blocks=blocks)


def _finding_line(finding: Finding) -> str:
    fix = inert(str(finding.resource))
    return f"• {inert(finding.title)} ({inline_code(finding.category.value)}, fix *{fix}*)"


def change_note(diff: FindingsDiff | None, new_alerts: list[str], gone_alerts: list[str]) -> str:
    """What changed since the last investigation of the group: its alerts, then its findings."""
    parts = ["*What changed since the last investigation*"]
    if new_alerts:
        parts.append(f"New alerts in the group: {inert(', '.join(new_alerts))}")
    if gone_alerts:
        parts.append(f"No longer firing: {inert(', '.join(gone_alerts))}")
    if diff is None:
        parts.append("The earlier diagnosis is not in the history, so findings cannot be compared.")
    elif not diff.changed:
        parts.append(f"The findings are the same as before ({len(diff.unchanged)} unchanged).")
    else:
        if diff.added:
            parts.append("New findings:\n" + "\n".join(_finding_line(f) for f in diff.added))
        if diff.resolved:
            parts.append("No longer found:\n" + "\n".join(_finding_line(f) for f in diff.resolved))
        if diff.unchanged:
            parts.append(f"{plural(len(diff.unchanged), 'finding')} unchanged.")
    return "\n".join(parts)


def resolved_note(notification: Notification, investigate: bool) -> str:
    ends = sorted({a.endsAt[:19].replace("T", " ") for a in notification.alerts if a.endsAt})
    when = f" at {inert(ends[-1])} UTC" if ends else ""
    tail = (
        " Investigating again to compare with the diagnosis above."
        if investigate
        else " Not investigated again (set KUBEWHY_ALERTS_INVESTIGATE_RESOLVED=true to compare)."
    )
    return f":white_check_mark: *Resolved*{when}: {inert(', '.join(notification.names))}.{tail}"
