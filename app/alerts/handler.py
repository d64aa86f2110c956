"""What happens to a notification: decided at once in the request (claims in the database, so replicas
agree), then done on a small worker pool (the investigation, the Slack thread, the history).

- A group's first notification opens its thread and is investigated.
- The same state again (Alertmanager's repeat, or a re-send to another replica) only edits the root.
- New or fewer firing alerts are investigated again in the thread, with what changed (history diff),
  at most once per group per ``alerts_group_interval_s``.
- Resolved is noted in the thread (investigated again only with ``alerts_investigate_resolved``).
- Beyond ``alerts_per_minute`` investigations over all groups, new groups go to one storm thread.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from app.agent.memory import Conversation
from app.alerts.mapping import AlertQuestion, question_for
from app.alerts.payload import Notification
from app.alerts.place import placed
from app.alerts.render import change_note, direct_answer, resolved_note, root_message
from app.alerts.storm import StormDigest, overall_budget
from app.engine import Answer, Asker, Session, ask
from app.sessions import SessionPool
from app.slack.answer import AskFn, answer
from app.slack.bot import TrackingExecutor
from app.slack.mrkdwn import inert
from app.slack.reply import ThreadReply, post, scrub
from app.slack.threads import ThreadState
from app.store import StoreError, diff_findings, open_store
from app.store.claims import claim, claim_key, release
from app.store.shared_state import (
    GroupThread,
    StoredThread,
    get_group,
    get_thread,
    group_hash,
    open_group,
    save_thread,
    update_group,
)
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.settings import AlertRoute, Settings
from tools.contracts.wording import plural

log = logging.getLogger(__name__)

WAIT_FOR_THREAD_S = 20.0  # a replica that lost the race to open a group's thread waits this long for it


class AlertsConfigError(ValueError):
    """The receiver cannot start with these settings; the message names the setting to fix."""


def channel_for(routes: list[AlertRoute], default: str | None, notification: Notification) -> str | None:
    """The routing table's first matching channel, else the default (KUBEWHY_ALERTS_CHANNEL)."""
    for route in routes:
        if route.matches(notification.receiver, notification.commonLabels):
            return route.channel.lstrip("#")
    return default.lstrip("#") if default else None


def _state_digest(notification: Notification) -> str:
    return hashlib.sha256("\n".join(notification.fingerprints).encode()).hexdigest()[:32]


@dataclass
class Outcome:
    """What the receiver answers Alertmanager: what will be done with the notification."""

    action: str  # investigating | reinvestigating | repeat | resolved | rate-limited | storm | ignored
    detail: str = ""


@dataclass
class AlertHandler:
    settings: Settings
    client: WebClient
    pool: SessionPool
    ask_fn: AskFn = ask
    workers: int = 2
    owns_pool: bool = True
    executor: TrackingExecutor = field(init=False)
    storm: StormDigest = field(init=False)
    _budget: Callable[[], bool] = field(init=False)

    def __post_init__(self) -> None:
        self.executor = TrackingExecutor(self.workers)
        self.storm = StormDigest(self.settings, self.client)
        self._budget = overall_budget(self.settings)

    @property
    def url(self) -> str:
        return self.settings.database_url

    def close(self, timeout: float = 30.0) -> None:
        self.executor.wait_idle(timeout)
        self.storm.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.owns_pool:
            self.pool.close()

    # ----- deciding (in the request) ----------------------------------------------------------------
    def accept(self, notification: Notification) -> Outcome:
        """Decide what to do and queue it. Raises StoreError when the database is unusable (the
        receiver answers 503 and Alertmanager sends again)."""
        question = question_for(notification)
        if question is None:
            return Outcome("ignored", "only heartbeat alerts (Watchdog, InfoInhibitor)")
        channel = channel_for(self.settings.alerts_routes, self.settings.alerts_channel, notification)
        if channel is None:
            return Outcome("ignored", "no routing rule matches and KUBEWHY_ALERTS_CHANNEL is not set")
        group = group_hash(notification.groupKey)
        state = claim_key("alert", group, notification.status, _state_digest(notification))
        if not claim(self.url, state, self.settings.alerts_remember_s):
            self._submit(self.repeat, notification, question)
            return Outcome("repeat", "this state of the group was handled already")
        existing = get_group(self.url, notification.groupKey)
        if existing is None and notification.status == "resolved":
            return Outcome("ignored", "resolved, and kubewhy has no thread for this group")
        if existing is not None and notification.status == "resolved":
            again = self.settings.alerts_investigate_resolved and self._group_budget(group)
            self._submit(self.resolved, notification, question, existing, again)
            return Outcome("resolved", "investigating again" if again else "noted in the thread")
        if not self._group_budget(group):
            release(self.url, state)  # not done now: the next notification of this state may do it
            self._submit(self.held_back, notification, question, existing)
            return Outcome(
                "rate-limited", f"investigated less than {self.settings.alerts_group_interval_s:g} s ago"
            )
        if not self._budget():
            if existing is None:
                self.storm.add(channel, notification, question)
                return Outcome("storm", "over KUBEWHY_ALERTS_PER_MINUTE: listed in the storm thread")
            release(self.url, state)
            self._submit(self.held_back, notification, question, existing)
            return Outcome("rate-limited", "over KUBEWHY_ALERTS_PER_MINUTE")
        if existing is None:
            self._submit(self.first, notification, question, channel)
            return Outcome("investigating", question.text)
        self._submit(self.again, notification, question, existing)
        return Outcome("reinvestigating", question.text)

    def _group_budget(self, group: str) -> bool:
        return claim(self.url, claim_key("alert-rate", group), self.settings.alerts_group_interval_s)

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception:  # a worker must survive anything: log it with the group
                log.exception("handling alert group %s failed", args[0].groupKey if args else "?")

        self.executor.submit(run)

    # ----- doing (on the workers) -------------------------------------------------------------------
    def first(self, notification: Notification, question: AlertQuestion, channel: str) -> None:
        """Open the group's thread (once across replicas), then investigate in it."""
        group = group_hash(notification.groupKey)
        if not claim(self.url, claim_key("alert-thread", group), self.settings.alerts_remember_s):
            existing = self._wait_for_thread(notification.groupKey)
            if existing is not None:
                self.again(notification, question, existing)
            return
        root = root_message(notification, question, None)
        try:
            ts = post(self.client, channel, root.text, blocks=root.blocks)
        except SlackClientError:
            # Nothing was posted: give the claims back so Alertmanager's next notification tries again.
            release(self.url, claim_key("alert-thread", group))
            release(self.url, claim_key("alert-rate", group))
            release(self.url, claim_key("alert", group, notification.status, _state_digest(notification)))
            raise
        thread = open_group(
            self.url,
            GroupThread(
                notification.groupKey, channel, ts, notification.status, notification.fingerprints, None, 1
            ),
        )
        self._investigate(notification, question, thread, None)

    def again(self, notification: Notification, question: AlertQuestion, thread: GroupThread) -> None:
        new = sorted(set(notification.fingerprints) - set(thread.fingerprints))
        gone = sorted(set(thread.fingerprints) - set(notification.fingerprints))
        new_names = self._names(notification, new)
        gone_text = [plural(len(gone), "alert")] if gone else []
        previous = self._previous(thread)
        self._investigate(notification, question, thread, previous, new_names, gone_text)

    def resolved(
        self, notification: Notification, question: AlertQuestion, thread: GroupThread, again: bool
    ) -> None:
        ThreadReply(self.client, thread.channel, thread.thread_ts).say(resolved_note(notification, again))
        if again:
            self._investigate(notification, question, thread, self._previous(thread))
            return
        update_group(
            self.url, notification.groupKey, status="resolved", fingerprints=notification.fingerprints
        )
        self._edit_root(notification, question, thread, self._previous(thread), thread.notifications + 1)

    def held_back(
        self, notification: Notification, question: AlertQuestion, thread: GroupThread | None
    ) -> None:
        """A change that is not investigated now: said in the thread, root updated."""
        thread = thread or get_group(self.url, notification.groupKey)
        if thread is None:
            return  # its first notification is opening the thread, or it was listed in a storm thread
        noted = claim_key("alert-held", group_hash(notification.groupKey), _state_digest(notification))
        if not claim(self.url, noted, max(self.settings.alerts_group_interval_s, 60.0)):
            return  # said already (by this replica or another) for this state
        wait = f"{self.settings.alerts_group_interval_s:g} s"
        ThreadReply(self.client, thread.channel, thread.thread_ts).say(
            f":hourglass: The group changed ({len(notification.firing)} firing), but it was investigated "
            f"less than {wait} ago or the receiver is at its limit of {self.settings.alerts_per_minute} "
            "investigations a minute; the next notification after that is investigated."
        )
        self._edit_root(notification, question, thread, self._previous(thread), thread.notifications + 1)

    def repeat(self, notification: Notification, question: AlertQuestion) -> None:
        from app.store.shared_state import count_notification

        thread = get_group(self.url, notification.groupKey)
        if thread is None:
            return  # the first notification is still opening the thread (or was in the storm)
        count = count_notification(self.url, notification.groupKey)
        self._edit_root(notification, question, thread, self._previous(thread), count)

    # ----- parts ----------------------------------------------------------------------------------------
    def _investigate(
        self,
        notification: Notification,
        question: AlertQuestion,
        thread: GroupThread,
        previous: Diagnosis | None,
        new_alerts: list[str] | None = None,
        gone_alerts: list[str] | None = None,
    ) -> None:
        reply = ThreadReply(self.client, thread.channel, thread.thread_ts)
        state = ThreadState(self.pool.default, Conversation(context_window=self.settings.context_window))
        found: dict[str, Any] = {}

        asker = Asker(
            surface="alerts",
            user=f"alertmanager:{notification.receiver or 'webhook'}",
            warn=log.warning,
            settings=self.settings,
        )

        def produce(session: Session, step_reply: ThreadReply) -> Answer:
            found["question"] = asked = placed(session.ctx, question)
            return self.ask_fn(
                session, asked.text, namespace=asked.namespace, asked_by=asker, on_event=step_reply.event
            )

        def record(answered: Answer) -> None:
            found["diagnosis"], found["run_id"] = answered.diagnosis, answered.run_id

        what = "Investigating" if previous is None else "Investigating again"
        names = ", ".join(notification.names)
        reply.acknowledge(f":hourglass_flowing_sand: {what} {inert(names)} on {inert(state.target.label)}…")
        answer(self.pool, state, reply, question.text, produce, record)
        diagnosis = found.get("diagnosis")
        if previous is not None and (diagnosis is not None or new_alerts or gone_alerts):
            diff = diff_findings(previous, diagnosis) if diagnosis is not None else None
            reply.say(change_note(diff, new_alerts or [], gone_alerts or []))
        changes: dict[str, Any] = {"status": notification.status, "fingerprints": notification.fingerprints}
        if found.get("run_id") is not None:
            changes["run_id"] = found["run_id"]
            self._open_conversation(thread, found["question"].text, found["run_id"])
        update_group(self.url, notification.groupKey, **changes)
        self._edit_root(
            notification, found.get("question", question), thread, diagnosis or previous, thread.notifications
        )

    def _open_conversation(self, thread: GroupThread, question: str, run_id: int) -> None:
        """Make the alert thread a conversation the Slack bot continues: a mention in it is a follow-up
        to the investigation (on any replica)."""
        target = self.pool.default
        stored = get_thread(self.url, thread.channel, thread.thread_ts)
        questions = stored.questions if stored else []
        run_ids = stored.run_ids if stored else []
        save_thread(
            self.url,
            thread.channel,
            thread.thread_ts,
            StoredThread(
                target.stored(),
                questions or [question],
                [*run_ids, run_id],
            ),
        )

    def _edit_root(
        self,
        notification: Notification,
        question: AlertQuestion,
        thread: GroupThread,
        diagnosis: Diagnosis | None,
        notifications: int,
    ) -> None:
        line = direct_answer(diagnosis) if diagnosis is not None else None
        message = root_message(notification, question, line, notifications)
        try:
            self.client.chat_update(
                channel=thread.channel,
                ts=thread.thread_ts,
                **scrub({"text": message.text, "blocks": message.blocks}),
            )
        except SlackClientError as exc:
            log.warning("updating the alert thread's first message failed: %s", exc)

    def _previous(self, thread: GroupThread) -> Diagnosis | None:
        current = get_group(self.url, thread.group_key) or thread
        if current.run_id is None:
            return None
        try:
            run = open_store(self.settings).get_run(current.run_id)
        except StoreError as exc:
            log.warning("reading the group's last investigation failed: %s", exc)
            return None
        return run.diagnosis if run is not None else None

    def _wait_for_thread(self, group_key: str) -> GroupThread | None:
        deadline = time.monotonic() + WAIT_FOR_THREAD_S
        while time.monotonic() < deadline:
            thread = get_group(self.url, group_key)
            if thread is not None:
                return thread
            time.sleep(0.2)
        log.warning("no thread appeared for alert group %s", group_key)
        return None

    @staticmethod
    def _names(notification: Notification, fingerprints: list[str]) -> list[str]:
        wanted = set(fingerprints)
        names = []
        for alert in notification.alerts:
            if alert.key in wanted:
                subject = (
                    alert.labels.get("pod")
                    or alert.labels.get("deployment")
                    or alert.labels.get("node")
                    or ""
                )
                names.append(f"{alert.name} {subject}".strip())
        return names


def check_settings(settings: Settings, host: str) -> None:
    """Refuse to start without a channel or, off loopback, without a token."""
    if not settings.alerts_channel and not settings.alerts_routes:
        raise AlertsConfigError(
            "KUBEWHY_ALERTS_CHANNEL is not set (and there is no alerts_routes table): "
            "the receiver needs a Slack channel to post alert threads in"
        )
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise AlertsConfigError("SLACK_BOT_TOKEN is not set: the receiver posts alert threads with it")
    token = settings.alerts_token.get_secret_value() if settings.alerts_token else ""
    if not token and not is_loopback(host):
        raise AlertsConfigError(
            f"--host {host}: without KUBEWHY_ALERTS_TOKEN the receiver only listens on 127.0.0.1 "
            "(anyone who can reach it could start investigations); set the token or bind 127.0.0.1"
        )


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
