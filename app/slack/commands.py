"""What ``/kubewhy ...`` asks for: help, a runbook with its parameters, or a question."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from app.slack.mrkdwn import plain_question


class BadCommand(ValueError):
    """Text after /kubewhy that cannot be understood; the message says what to type instead."""


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Question:
    text: str


@dataclass(frozen=True)
class RunbookCall:
    """``name`` is empty for ``/kubewhy runbook`` alone, which lists the runbooks."""

    name: str
    params: dict[str, str] = field(default_factory=dict)


Command = Help | Question | RunbookCall

HELP = """*kubewhy* answers questions about the cluster with a diagnosis and the evidence it read. \
It only reads; it never changes anything.
• Mention me in a channel: `@kubewhy why is checkout failing?`
• Or send me a direct message with your question.
• `/kubewhy why are the payments pods restarting?` asks in this channel; the answer comes in a thread.
• Reply in the thread (mention me in a channel) to ask a follow-up about the same problem.
• `/kubewhy runbook` lists the saved runbooks; \
`/kubewhy runbook pod-restarting namespace=shop workload=payments` runs one.
• `/kubewhy help` shows this message."""


def parse_command(text: str) -> Command:
    words = plain_question(text)
    head, _, rest = words.partition(" ")
    if not words or head.lower() in ("help", "-h", "--help", "?"):
        return Help()
    if head.lower() in ("runbook", "runbooks"):
        return _runbook(rest)
    return Question(words)


def _runbook(text: str) -> RunbookCall:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise BadCommand(
            f"cannot read the runbook parameters ({exc}); use key=value, quote values with spaces"
        ) from None
    if not words or words[0].lower() == "list":
        return RunbookCall("")
    name, params = words[0], {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise BadCommand(
                f"`{word}` is not key=value: try `/kubewhy runbook {name} namespace=shop workload=payments`"
            )
        params[key] = value
    return RunbookCall(name, params)
