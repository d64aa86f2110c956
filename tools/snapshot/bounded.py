"""Parse one snapshot document with bounds on nesting and on YAML alias expansion.

A 500-byte YAML file can define aliases of aliases that expand to a billion nodes when the object is
serialised, and a 100,000-deep `[[[...]]]` overflows libyaml's recursive composer (a crash, not an
exception) or Python's recursion limit. Both are refused here, with the line, before anything is built.
The depth limit is the one the server's JSON encoder (orjson) accepts, so whatever loads can be served.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)

try:  # the C parser is ~10x faster on big snapshots
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on the libyaml build
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

MAX_DEPTH = 254  # orjson.dumps refuses deeper documents
ALIAS_ALLOWANCE = 1_000_000  # what aliases may add beyond twice the document's own size, in bytes
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


class BadDocument(Exception):
    """A document refused before it is built; `line` is 1-based within the text given."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def too_deep_message() -> str:
    return f"nested deeper than {MAX_DEPTH} levels; refused"


def load_yaml(text: str) -> Any:
    """One YAML document, checked first (nesting, aliases) from the parser's events, then built."""
    _check_events(text)
    return yaml.load(text, Loader=YamlLoader)


def _check_events(text: str) -> None:
    """Walk the event stream once: depth, and the size every anchor expands to (aliases counted in full).

    An event walk is flat (the parser keeps its own stack), so it is safe on any depth. Sizes are in
    approximate bytes: one per node plus each scalar's length, so a small alias of a big string counts.
    """
    written = expanded = 0
    sizes: dict[str, int] = {}  # anchor -> expanded size of its node
    open_nodes: list[list[Any]] = []  # [anchor, expanded size so far] per open collection
    open_anchors: Counter[str] = Counter()
    for event in yaml.parse(text, Loader=YamlLoader):
        if isinstance(event, CollectionStartEvent):
            if len(open_nodes) >= MAX_DEPTH:
                raise BadDocument(_line(event), too_deep_message())
            open_nodes.append([event.anchor, 1])
            open_anchors[event.anchor] += 1
            written += 1
            expanded += 1
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, size = open_nodes.pop()
            open_anchors[anchor] -= 1
            if anchor is not None:
                sizes[anchor] = size
        elif isinstance(event, ScalarEvent):
            size = 1 + len(event.value)
            written += size
            expanded += size
            if event.anchor is not None:
                sizes[event.anchor] = size
        elif isinstance(event, AliasEvent):
            if open_anchors[event.anchor] > 0:
                raise BadDocument(_line(event), f"alias *{event.anchor} refers to a node that contains it")
            size = sizes.get(event.anchor, 1)  # an unknown anchor: the composer names that error
            written += 1
            expanded += size
            if expanded > 2 * written + ALIAS_ALLOWANCE:
                raise BadDocument(
                    _line(event),
                    "YAML aliases expand this document to more than twice its size plus "
                    f"{ALIAS_ALLOWANCE // 1_000_000} MB; refused as an alias bomb",
                )
        else:
            continue
        if open_nodes:
            open_nodes[-1][1] += size


def _line(event: NodeEvent | CollectionEndEvent) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None


def json_depth_ok(obj: Any) -> bool:
    """True when `obj` is at most MAX_DEPTH deep. orjson decides fast (it stops at that depth); only a
    document orjson cannot encode for another reason (an integer beyond 64 bits) is walked here."""
    try:
        orjson.dumps(obj, option=_ORJSON_OPTIONS)
        return True
    except TypeError:
        pass
    pending: list[tuple[Any, int]] = [(obj, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return False
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True
