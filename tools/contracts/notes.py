"""What a partial answer could not see, as typed notes rather than sentences parsed back: the engine asks
"did the time budget run out?" and groups the reads that failed the same way by their fields, so a
change of wording cannot change what the answer decides."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoteKind(StrEnum):
    OUT_OF_TIME = "out_of_time"  # the question's time budget for reading ran out
    UNREAD = "unread"  # one kind (or listing) could not be read; ``what`` and ``reason`` say which, why
    LIMITED = "limited"  # a read stopped at one of kubewhy's own limits; ``what`` says which
    FAILED = "failed"  # a read beyond one kind failed; ``what`` says it


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    what: str = ""
    reason: str = ""

    @classmethod
    def out_of_time(cls) -> Note:
        return cls(NoteKind.OUT_OF_TIME)

    @classmethod
    def unread(cls, what: str, reason: str) -> Note:
        return cls(NoteKind.UNREAD, what, reason)

    @classmethod
    def limited(cls, what: str) -> Note:
        return cls(NoteKind.LIMITED, what)

    @classmethod
    def failed(cls, what: str) -> Note:
        return cls(NoteKind.FAILED, what)


def ran_out_of_time(notes: list[Note]) -> bool:
    return any(note.kind is NoteKind.OUT_OF_TIME for note in notes)
