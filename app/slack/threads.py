"""The conversation of each Slack thread, so a follow-up in the thread continues it.

The thread's :class:`~app.agent.memory.Conversation` carries the earlier answers to the engine: the agent
reads them, and the built-in diagnostician takes the last one's subject and culprit for a follow-up. Old
threads are forgotten first once ``capacity`` is reached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from app.agent.memory import Conversation
from app.slack.clusters import Target


@dataclass
class ThreadState:
    target: Target
    conversation: Conversation
    questions: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)  # one answer at a time per thread


class ThreadStore:
    def __init__(self, context_window: int, capacity: int = 500) -> None:
        self.context_window = context_window
        self.capacity = capacity
        self._threads: OrderedDict[tuple[str, str], ThreadState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, channel: str, thread_ts: str) -> ThreadState | None:
        with self._lock:
            state = self._threads.get((channel, thread_ts))
            if state is not None:
                self._threads.move_to_end((channel, thread_ts))
            return state

    def start(self, channel: str, thread_ts: str, target: Target) -> ThreadState:
        """The thread's state, created on its first question (the cluster is fixed from then on)."""
        with self._lock:
            key = (channel, thread_ts)
            state = self._threads.get(key)
            if state is None:
                state = ThreadState(target, Conversation(context_window=self.context_window))
                self._threads[key] = state
                while len(self._threads) > self.capacity:
                    self._threads.popitem(last=False)
            self._threads.move_to_end(key)
            return state
