"""Structured keys a renderer promises to print: a citation asks for the line that shows a fact ("the
pod template's labels", "container api's restart count") by key, never by the words the line is written
in, so rewording a renderer cannot silently drop a citation.

A renderer marks a line with :func:`printed`; the tool puts :func:`printed_index` of the lines it kept in
``data["printed"]`` (key -> lines), and the ledger resolves a cite's key through it. A key the output
does not hold is a miss the tests see, never some other lines.
"""

from __future__ import annotations

from collections.abc import Iterable

# Every kind of key a renderer may promise, and what its line shows.
KINDS: dict[str, str] = {
    "created": "the object's creation time",
    "pod-labels": "the labels the object's pods carry (a pod's own, a workload's pod template's)",
    "restarts": "one container's restart count (qualifier: the container)",
    "replicaset": "one of a Deployment's ReplicaSets (qualifier: its name)",
    "service-account": "the service account a pod spec runs as (qualifier: its name)",
    "reference": "a pod spec's reference to a ConfigMap or Secret (qualifiers: kind, name[, key])",
    "flow-pod": "a flow from or to one pod (qualifiers: namespace, pod)",
}


# A key also finds the lines of the narrower keys under it: reference/secret/db finds the lines of
# reference/secret/db/password too (Ledger.printed).
def printed_key(kind: str, *parts: str | None) -> str:
    """The key of one fact of ``kind`` (one of :data:`KINDS`), qualified by ``parts`` (empty ones dropped)."""
    if kind not in KINDS:
        raise ValueError(f"no renderer promises to print {kind!r}; the kinds are {sorted(KINDS)}")
    return "/".join([kind, *(str(part) for part in parts if part)])


def reference_key(kind: str, name: str | None, key: str | None = None) -> str:
    """A reference to a ConfigMap or Secret (``kind`` in any case), or to one of its keys."""
    return printed_key("reference", kind.lower(), name, key)


class Printed(str):
    """A rendered line that carries the keys it prints; it is an ordinary ``str`` everywhere else."""

    keys: tuple[str, ...]

    def __new__(cls, text: str, keys: tuple[str, ...]) -> Printed:
        line = super().__new__(cls, text)
        line.keys = keys
        return line


def keys_of(line: str) -> tuple[str, ...]:
    return line.keys if isinstance(line, Printed) else ()


def printed(text: str, *keys: str) -> str:
    """``text`` marked as printing ``keys`` (and whatever ``text`` already printed)."""
    return Printed(str(text), tuple(dict.fromkeys((*keys_of(text), *keys))))


def indented(prefix: str, line: str) -> str:
    """``line`` under ``prefix``, still printing its keys."""
    return printed(prefix + line, *keys_of(line)) if keys_of(line) else prefix + line


def joined(separator: str, parts: Iterable[str], prefix: str = "", suffix: str = "") -> str:
    """Parts joined into one line (between ``prefix`` and ``suffix``) that prints every part's keys."""
    parts = list(parts)
    keys = [key for part in parts for key in keys_of(part)]
    text = prefix + separator.join(parts) + suffix
    return printed(text, *keys) if keys else text


def printed_index(lines: Iterable[str], shown: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Key -> the lines that print it, of ``lines`` (only those in ``shown``, the text the tool returned,
    when given): the ``data["printed"]`` a tool returns."""
    kept = set(shown) if shown is not None else None
    index: dict[str, list[str]] = {}
    for line in lines:
        if kept is not None and line not in kept:
            continue
        for key in keys_of(line):
            index.setdefault(key, []).append(str(line))
    return index
