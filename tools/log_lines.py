"""How long one log line may be, wherever logs are read (the snapshot server, the `k8s_logs` tool).

One line of 2 GB is a log too: it is cut at LINE_LIMIT with a marker that says how much was left out,
so no reader ever holds it whole and a person or a model can see that it was cut.
"""

from __future__ import annotations

LINE_LIMIT = 64 * 1024  # what is read and searched: bytes from a file, characters of decoded text
SHOWN_LINE_LIMIT = 2000  # what a tool shows of one line, so that a long line still fits an answer


_MARKER = " [kubewhy: line cut here, "


def cut_marker(more: int, unit: str = "bytes") -> str:
    return f"{_MARKER}{more:,} more {unit}]"


def cut_text(line: str, limit: int = LINE_LIMIT) -> str:
    """A decoded line, cut at `limit` characters with the marker (one marker, if it was cut before)."""
    if len(line) <= limit:
        return line
    earlier = line.rfind(_MARKER, max(0, len(line) - 80))  # a marker ends the line
    if earlier >= 0 and line.endswith("]"):  # cut before (by the snapshot server): keep what it said
        if earlier <= limit:
            return line
        before = line[earlier + len(_MARKER) : -1]
        return line[:limit] + cut_marker(earlier - limit, "characters")[:-1] + f" and {before}]"
    return line[:limit] + cut_marker(len(line) - limit, "characters")


def cut_bytes(head: bytes, more: int) -> bytes:
    """The first LINE_LIMIT bytes of a line (never half a UTF-8 character) and the marker."""
    end = min(len(head), LINE_LIMIT)
    while end > LINE_LIMIT - 4 and end < len(head) and head[end] & 0xC0 == 0x80:
        end -= 1  # back off to the start of the character the limit splits
    return head[:end] + cut_marker(len(head) - end + more).encode()
