"""The slack-bolt app: mentions, direct messages and ``/kubewhy``, answered in threads.

Listeners run on the bot's own thread pool after Slack has been acknowledged (bolt's
``process_before_response=False``), so a diagnosis that takes a minute never breaks Slack's 3-second
rule. Each listener checks who asks (allow-lists, rate limit), posts an acknowledgement in the thread and
hands the work to :mod:`app.slack.answer`. A thread remembers its cluster and conversation, so a reply
in it is a follow-up.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from app.engine import Answer, Asker, ask
from app.slack.answer import AskFn, OnAnswer, answer, ask_step, runbook_step
from app.slack.clusters import ClusterPool
from app.slack.commands import HELP, BadCommand, Help, Question, RunbookCall, parse_command
from app.slack.guard import AccessPolicy, RateLimiter, is_direct_message
from app.slack.mrkdwn import inert, inline_code, mention, plain_question
from app.slack.reply import ThreadReply, post, scrub
from app.slack.threads import ThreadState, ThreadStore
from tools.contracts.settings import Settings

log = logging.getLogger(__name__)

COMMAND = "/kubewhy"
DEFAULT_WORKERS = 8
_SEEN = 2000  # event ids remembered when the database cannot take the claim


class SlackConfigError(ValueError):
    """The bot cannot start with these settings; the message names the setting to fix."""


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that can say when all the work given to it so far is done (shutdown; tests)."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="kubewhy-slack")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: object) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


def api_client(settings: Settings) -> WebClient:
    """The Web API client; ``KUBEWHY_SLACK_API_URL`` points it at GovSlack or a test server."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: the bot needs its xoxb- token to post")
    base_url = (
        settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    )
    return WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=base_url)


@dataclass
class SlackBot:
    """The bolt ``app`` with what it answers with; ``close`` waits for answers in flight, then stops the
    cluster sessions it opened."""

    app: App
    settings: Settings
    pool: ClusterPool
    executor: TrackingExecutor
    threads: ThreadStore
    access: AccessPolicy
    limiter: RateLimiter
    ask_fn: AskFn = ask
    owns_pool: bool = True
    progress_interval_s: float = 1.0  # at most one progress edit per message per interval
    _seen: deque[str] = field(default_factory=lambda: deque(maxlen=_SEEN))
    _seen_lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self, timeout: float = 30.0) -> None:
        self.executor.wait_idle(timeout)
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self.owns_pool:
            self.pool.close()

    # ----- what every way of asking shares -------------------------------------------------------
    def first_time(self, key: str) -> bool:
        """False for an event already handled, here or on another replica (Slack resends, with
        X-Slack-Retry-Num, when it thinks an ack was late). The claim is in the database; only when the
        database cannot be used does this process fall back to remembering the key itself."""
        from app.store import StoreError
        from app.store.claims import claim, claim_key

        try:
            return claim(
                self.settings.database_url, claim_key("slack-event", key), self.settings.slack_event_ttl_s
            )
        except StoreError as exc:
            log.warning(
                "claiming Slack event %s in the database failed; deduplicating in memory: %s", key, exc
            )
        with self._seen_lock:
            if key in self._seen:
                return False
            self._seen.append(key)
            return True

    def question_in_thread(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        user: str,
        question: str,
        channel_type: str | None,
    ) -> None:
        """A mention or a direct message: refuse politely, or acknowledge and answer in the thread."""
        reply = ThreadReply(client, channel, thread_ts, self.progress_interval_s)
        refused = self.access.refusal(user, channel, channel_type)
        if refused is None and not question:
            reply.say(f"Hi {mention(user)}! Ask me about the cluster, for example: why is checkout failing?")
            return
        refused = refused or self.limiter.refusal(user)
        if refused:
            reply.say(refused)
            return
        earlier = self.threads.get(channel, thread_ts)
        target = earlier.target if earlier else self.pool.target_for(channel)
        state = self.threads.start(channel, thread_ts, target)
        follow = " (follow-up)" if earlier and earlier.questions else ""
        reply.acknowledge(f":hourglass_flowing_sand: Looking into it on {inert(target.label)}{follow}…")
        step = ask_step(question, state, self.asker(user), self.ask_fn)
        answer(self.pool, state, reply, question, step, self.keep_thread(channel, thread_ts, state, question))

    def asker(self, user: str) -> Asker:
        """Who the run history says asked (surface ``slack``); a store failure is only logged."""
        return Asker(surface="slack", user=f"slack:{user}", warn=log.warning, settings=self.settings)

    def keep_thread(self, channel: str, thread_ts: str, state: ThreadState, question: str) -> OnAnswer:
        """After each answer, store the thread with the answer's run id, so a follow-up can reach any
        replica."""

        def keep(answered: Answer) -> None:
            self.threads.answered(channel, thread_ts, state, question, answered.run_id)

        return keep

    def root_message(
        self, client: WebClient, channel: str, text: str, respond: Callable[..., Any]
    ) -> str | None:
        """The channel message a slash command's thread hangs off; on failure the person is told why."""
        try:
            return post(client, channel, text)
        except SlackApiError as exc:
            why = str(exc.response.get("error") or exc)
        except SlackClientError as exc:
            why = str(exc)
        hint = " Invite me to the channel first (`/invite @kubewhy`)." if why == "not_in_channel" else ""
        self.respond(respond, f"I could not post here ({inert(why)}).{hint}")
        return None

    @staticmethod
    def respond(respond: Callable[..., Any], text: str) -> None:
        try:
            respond(**scrub({"text": text, "response_type": "ephemeral"}))
        except Exception as exc:  # the response URL may have expired
            log.warning("responding to the command failed: %s", exc)

    # ----- /kubewhy -------------------------------------------------------------------------------
    def command(
        self, ack: Callable[..., Any], command: dict[str, Any], client: WebClient, respond: Any
    ) -> None:
        user, channel = command.get("user_id", ""), command.get("channel_id", "")
        try:
            parsed = parse_command(command.get("text", ""))
        except BadCommand as exc:
            ack(text=scrub(inert(str(exc))))
            return
        if isinstance(parsed, Help):
            ack(text=HELP)
            return
        refused = self.access.refusal(user, channel)
        if refused is None and not (isinstance(parsed, RunbookCall) and not parsed.name):
            refused = self.limiter.refusal(user)
        if refused:
            ack(text=scrub(refused))
            return
        ack()
        try:
            if isinstance(parsed, Question):
                self.slash_question(client, channel, user, parsed.text, respond)
            else:
                self.slash_runbook(client, channel, user, parsed, respond)
        except Exception as exc:  # after the ack, the person must still hear that it failed
            log.exception("/kubewhy %s failed", command.get("text", ""))
            self.respond(respond, f":x: That failed: {inert(type(exc).__name__)}: {inert(str(exc))}")

    def slash_question(self, client: WebClient, channel: str, user: str, question: str, respond: Any) -> None:
        root = self.root_message(client, channel, f"{mention(user)} asked: {inert(question)}", respond)
        if root is None:
            return
        state = self.threads.start(channel, root, self.pool.target_for(channel))
        reply = ThreadReply(client, channel, root, self.progress_interval_s)
        reply.acknowledge(f":hourglass_flowing_sand: Looking into it on {inert(state.target.label)}…")
        step = ask_step(question, state, self.asker(user), self.ask_fn)
        answer(self.pool, state, reply, question, step, self.keep_thread(channel, root, state, question))

    def slash_runbook(
        self, client: WebClient, channel: str, user: str, call: RunbookCall, respond: Any
    ) -> None:
        from app.runbooks.loader import RunbookError, UnknownRunbook, load_library
        from app.runbooks.model import BadParam
        from app.runbooks.runner import question_of, resolve_params

        library = load_library(self.settings)
        if not call.name:
            self.respond(respond, runbook_list(library))
            return
        try:
            loaded = library.get(call.name)
            question = question_of(loaded.runbook, resolve_params(loaded.runbook, call.params))
        except (UnknownRunbook, RunbookError, BadParam) as exc:
            self.respond(
                respond, f":warning: {inert(exc.args[0] if isinstance(exc, LookupError) else str(exc))}"
            )
            return
        shown = " ".join(f"{key}={value}" for key, value in call.params.items())
        root_text = f"{mention(user)} ran runbook {inline_code(call.name)} {inert(shown)}".rstrip()
        root = self.root_message(client, channel, root_text, respond)
        if root is None:
            return
        state = self.threads.start(channel, root, self.pool.target_for(channel))
        reply = ThreadReply(client, channel, root, self.progress_interval_s)
        reply.acknowledge(
            f":hourglass_flowing_sand: Running runbook {inline_code(call.name)} "
            f"on {inert(state.target.label)}…"
        )
        step = runbook_step(loaded, call.params, state, self.asker(user))
        answer(self.pool, state, reply, question, step, self.keep_thread(channel, root, state, question))

    # ----- events ---------------------------------------------------------------------------------
    def on_mention(self, event: dict[str, Any], client: WebClient) -> None:
        channel = event.get("channel", "")
        if is_direct_message(channel, event.get("channel_type")):
            return  # the message.im event answers it
        if not self.first_time(f"{channel}:{event.get('ts')}"):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        text = plain_question(event.get("text", ""))
        self.question_in_thread(client, channel, thread_ts, event.get("user", ""), text, "channel")

    def on_message(self, event: dict[str, Any], client: WebClient) -> None:
        channel = event.get("channel", "")
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if not self.first_time(f"{channel}:{event.get('ts')}"):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        text = plain_question(event.get("text", ""))
        self.question_in_thread(client, channel, thread_ts, event.get("user", ""), text, "im")


def runbook_list(library: Any) -> str:
    lines = ["*Saved runbooks* (run one with `/kubewhy runbook NAME key=value ...`):"]
    for loaded in library.sorted():
        book = loaded.runbook
        params = ", ".join(f"{p.name}{'' if p.required else '?'}" for p in book.params) or "no parameters"
        lines.append(f"• {inline_code(book.name)} {inert(book.title)} ({inert(params)})")
    if len(lines) == 1:
        lines.append("none yet")
    return "\n".join(lines)


class _DropTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it is the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("kubewhy.slack.bolt")
    if not any(isinstance(f, _DropTokenNotice) for f in logger.filters):
        logger.addFilter(_DropTokenNotice())
    return logger


def check_settings(settings: Settings, mode: str) -> None:
    """Refuse to start without what the mode needs, naming the missing setting."""
    if settings.slack_bot_token is None:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: the bot needs its xoxb- token to post")
    if mode == "http" and settings.slack_signing_secret is None:
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET is not set (or empty): HTTP mode verifies every request with it"
        )
    if mode == "socket" and settings.slack_app_token is None:
        raise SlackConfigError("SLACK_APP_TOKEN is not set: Socket Mode connects with the xapp- token")


def create_bot(
    settings: Settings,
    *,
    pool: ClusterPool | None = None,
    ask_fn: AskFn = ask,
    workers: int = DEFAULT_WORKERS,
) -> SlackBot:
    """Build the bolt app on the configured Slack (``auth.test`` is called once, to learn the bot's id).

    Pass ``pool`` to share cluster sessions between bots (tests); ``ask_fn`` replaces the engine."""
    client = api_client(settings)
    executor = TrackingExecutor(workers)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = App(
        client=client,
        logger=_bolt_logger(),
        signing_secret=secret,
        # always on: Socket Mode requests skip it, and HTTP mode does not start without a secret
        request_verification_enabled=True,
        process_before_response=False,
        listener_executor=executor,
        name="kubewhy",
    )
    bot = SlackBot(
        app=app,
        settings=settings,
        pool=pool or ClusterPool(settings),
        executor=executor,
        threads=ThreadStore(settings.context_window, database_url=settings.database_url),
        access=AccessPolicy.from_settings(settings),
        limiter=RateLimiter(settings.slack_rate_limit_per_minute),
        ask_fn=ask_fn,
        owns_pool=pool is None,
    )
    app.command(COMMAND)(bot.command)
    app.event("app_mention")(bot.on_mention)
    app.event("message")(bot.on_message)
    return bot
