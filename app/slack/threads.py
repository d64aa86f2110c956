"""The conversation of each Slack thread, so a follow-up in the thread continues it, on any replica.

The agent keeps the thread's conversation in a LangGraph checkpoint on the history database (the thread's
``name``), so whichever replica answers the follow-up continues it. The thread's
:class:`~app.agent.memory.Conversation` carries what the checkpoint does not: the last answer's subject and
culprit for the built-in diagnostician, the thread's running cost, and turns answered outside the agent (a
runbook, an alert's first investigation), which the agent reads when its checkpoint lacks them.

The thread's cluster, its questions and the run ids of its answers are kept in the database
(``slack_threads``); the conversation is rebuilt from those runs when this process has not seen the
latest answer (another replica gave it). Memory only caches: old threads are dropped from it first once
``capacity`` is reached.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.agent.memory import Conversation
from app.sessions import Target

if TYPE_CHECKING:
    from app.store.shared_state import StoredThread

log = logging.getLogger(__name__)


@dataclass
class ThreadState:
    target: Target
    conversation: Conversation
    questions: list[str] = field(default_factory=list)
    run_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)  # one answer at a time per thread
    name: str | None = None  # the agent's conversation thread (its checkpoint); None: memory only


def thread_name(channel: str, thread_ts: str) -> str:
    """The Slack thread's name for the agent's checkpointer (unique per channel and thread)."""
    return f"slack/{channel}/{thread_ts}"


class ThreadStore:
    def __init__(self, context_window: int, capacity: int = 500, database_url: str | None = None) -> None:
        self.context_window = context_window
        self.capacity = capacity
        self.database_url = database_url
        self._threads: OrderedDict[tuple[str, str], ThreadState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, channel: str, thread_ts: str) -> ThreadState | None:
        """The thread's state: from memory when it is current, else rebuilt from the database."""
        key = (channel, thread_ts)
        with self._lock:
            state = self._threads.get(key)
        stored = self._load(channel, thread_ts)
        if stored is not None and (state is None or state.run_ids != stored.run_ids):
            state = self._rebuilt(stored, state, thread_name(channel, thread_ts))
        if state is not None:
            self._keep(key, state)
        return state

    def start(self, channel: str, thread_ts: str, target: Target) -> ThreadState:
        """The thread's state, created on its first question (the cluster is fixed from then on)."""
        state = self.get(channel, thread_ts)
        if state is not None:
            return state
        with self._lock:
            state = self._threads.get((channel, thread_ts))
            if state is None:
                state = ThreadState(
                    target,
                    Conversation(context_window=self.context_window),
                    name=thread_name(channel, thread_ts),
                )
        self._keep((channel, thread_ts), state)
        return state

    def answered(
        self, channel: str, thread_ts: str, state: ThreadState, question: str, run_id: int | None
    ) -> None:
        """Store the thread after an answer, so the next follow-up may come to any replica."""
        if run_id is not None:
            state.run_ids.append(run_id)
        if self.database_url is None:
            return
        from app.store import StoreError
        from app.store.shared_state import StoredThread, save_thread

        target = state.target.stored()
        try:
            save_thread(
                self.database_url,
                channel,
                thread_ts,
                StoredThread(target, list(state.questions), list(state.run_ids)),
            )
        except StoreError as exc:
            log.warning(
                "the thread %s/%s was not saved; a follow-up on another replica starts afresh: %s",
                channel,
                thread_ts,
                exc,
            )

    def _keep(self, key: tuple[str, str], state: ThreadState) -> None:
        with self._lock:
            self._threads[key] = state
            self._threads.move_to_end(key)
            while len(self._threads) > self.capacity:
                self._threads.popitem(last=False)

    def _load(self, channel: str, thread_ts: str) -> StoredThread | None:
        if self.database_url is None:
            return None
        from app.store import StoreError
        from app.store.shared_state import get_thread

        try:
            return get_thread(self.database_url, channel, thread_ts)
        except StoreError as exc:
            log.warning("reading the thread %s/%s failed; answering from memory: %s", channel, thread_ts, exc)
            return None

    def _rebuilt(self, stored: StoredThread, earlier: ThreadState | None, name: str) -> ThreadState:
        """The thread as the database has it: its questions, and its answers replayed into the memory."""
        from app.store import HistoryStore, StoreError

        conversation = Conversation(context_window=self.context_window)
        try:
            store = HistoryStore(str(self.database_url))
            for run_id in stored.run_ids:
                run = store.get_run(run_id)
                if run is not None:
                    conversation.add(run.question, run.diagnosis)
        except StoreError as exc:
            log.warning(
                "replaying the thread's answers failed; the follow-up has no earlier answers: %s", exc
            )
        target = Target.from_stored(stored.target)
        state = ThreadState(target, conversation, list(stored.questions), list(stored.run_ids), name=name)
        if earlier is not None:
            state.lock = earlier.lock
        return state
