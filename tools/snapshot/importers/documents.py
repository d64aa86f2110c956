"""Read the JSON and YAML that other tools write into Kubernetes objects.

The shapes met in real bundles: a typed list (`PodList`), a `List` of mixed kinds, a list with no kind
(`{metadata, items}`, troubleshoot's CRDs), a bare array of objects (troubleshoot's custom resources,
and its older bundles whose items carry no `kind`: the folder names it), single objects, several YAML
documents, and several JSON documents one after the other. Plain arrays that are not objects (API
discovery, RBAC rules) are not objects, and say so. Go structs printed by an old kubectl are named.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

try:
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on the libyaml build
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

# libyaml's composer recurses in C and crashes the process on very deep nesting; text that might nest
# deeper than this is parsed by the pure-Python loader, which stops with a RecursionError instead.
_C_LOADER_DEPTH = 200
_BRACKETS = re.compile(r"[\[\]{}]")

GO_STRUCTS = (
    'written by an old kubectl as Go internal structs (capitalised keys such as "Items" and '
    '"ObjectMeta"), not the API\'s JSON; dump it again with a current kubectl'
)
TABLE = (
    "`kubectl get` table output (NAME, READY, STATUS, ... columns), not objects: run the command again "
    "with `-o yaml` or `-o json`"
)
_TABLE_HEADER = re.compile(r"^(?:NAMESPACE +)?NAME(?: {2,}[A-Z][A-Z0-9()%-]*(?: [A-Z][A-Z0-9()%-]*)*)+$")
_GO_KEYS = {"Items", "ObjectMeta", "TypeMeta", "ListMeta"}
_MAX_NODES = 2_000_000  # values in one file: a YAML alias bomb stops here


class BadFile(Exception):
    """This file gives no objects; the message is the reason shown for it."""


@dataclass(frozen=True)
class KindHint:
    """What the items of a file are when they do not say (older troubleshoot bundles)."""

    api_version: str
    kind: str


def read_text(path: Path) -> str:
    """UTF-8 text; UTF-16 with its byte-order mark too (what Windows PowerShell 5.1's `>` writes when
    someone saves `kubectl get pods -o yaml > pods.yaml`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"cannot be read: {exc.strerror or exc}") from exc
    wide = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    try:
        return data.decode("utf-16" if wide else "utf-8-sig")  # a UTF-8 byte-order mark is dropped too
    except UnicodeDecodeError as exc:
        raise BadFile(f"not {'UTF-16' if wide else 'UTF-8'} text ({exc.reason} at byte {exc.start})") from exc


def load_documents(path: Path, text: str | None = None) -> list[Any]:
    """Every document in a JSON or YAML file; raises BadFile with the reason when it does not parse."""
    text = read_text(path) if text is None else text
    stripped = text.lstrip()
    if not stripped:
        raise BadFile("empty file")
    if path.suffix.lower() == ".json" or stripped[:1] in "{[":
        return json_documents(text)
    if is_table(stripped):
        raise BadFile(TABLE)
    return _yaml_documents(text)


def is_table(text: str) -> bool:
    """`kubectl get` without `-o`: a header line of capitalised columns, NAME first (or NAMESPACE NAME)."""
    return bool(_TABLE_HEADER.match(text.lstrip().split("\n", 1)[0].rstrip()))


def json_documents(text: str) -> list[Any]:
    try:
        return [orjson.loads(text)]
    except orjson.JSONDecodeError:
        pass
    decoder, docs, position = json.JSONDecoder(), [], 0
    try:
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                return docs
            doc, position = decoder.raw_decode(text, position)
            docs.append(doc)
    except json.JSONDecodeError as exc:
        raise BadFile(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise BadFile("JSON nested too deeply") from exc


def _yaml_documents(text: str) -> list[Any]:
    loader = _YamlLoader if _possible_depth(text) <= _C_LOADER_DEPTH else yaml.SafeLoader
    try:
        docs = [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BadFile(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc
    except RecursionError as exc:
        raise BadFile("YAML nested too deeply") from exc
    _refuse_shared_nodes(docs)
    return docs


def _possible_depth(text: str) -> int:
    """An upper bound on how deep YAML text can nest: indentation plus open flow brackets, per line."""
    deepest = depth = 0
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" -?"))  # "- - - x" nests as deep as it is wide
        deepest = max(deepest, indent + depth)
        if "[" in line or "{" in line or depth:
            for bracket in _BRACKETS.findall(line):
                depth = depth + 1 if bracket in "[{" else max(0, depth - 1)
                deepest = max(deepest, indent + depth)
    return deepest


def _refuse_shared_nodes(docs: list[Any]) -> None:
    """YAML aliases make one value appear many times (a billion-laughs bomb); API objects never use them."""
    seen: set[int] = set()
    stack: list[Any] = list(docs)
    count = 0
    while stack:
        value = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if id(value) in seen:
            raise BadFile("YAML aliases (&anchor/*alias) are not accepted in Kubernetes objects")
        seen.add(id(value))
        count += 1
        if count > _MAX_NODES:
            raise BadFile(f"more than {_MAX_NODES:,} values in one file")
        stack.extend(value.values() if isinstance(value, dict) else value)


def is_go_struct(doc: Any) -> bool:
    if isinstance(doc, list):
        return any(is_go_struct(item) for item in doc[:3])
    return isinstance(doc, dict) and bool(_GO_KEYS & doc.keys())


def objects_in(doc: Any, hint: KindHint | None = None) -> Iterator[dict[str, Any] | str]:
    """The objects of one document; a string in the stream is the reason one item was left out."""
    if is_go_struct(doc):
        raise BadFile(GO_STRUCTS)
    if doc is None:  # Go writes a nil slice as `null` (old troubleshoot collectors): an empty list
        return
    if isinstance(doc, list):
        if doc and not any(_looks_like_object(item) for item in doc):
            raise BadFile(f"a JSON/YAML array of {_what(doc)}, not Kubernetes objects")
        yield from _items(doc, None, hint)
        return
    if not isinstance(doc, dict):
        raise BadFile(f"holds a {type(doc).__name__}, not Kubernetes objects")
    kind = doc.get("kind")
    items = doc.get("items")
    if items is None and "items" in doc:  # `items: null`, a Go nil slice: the list is empty
        items = []
    if isinstance(items, list) and (kind is None or (isinstance(kind, str) and kind.endswith("List"))):
        list_hint = hint
        if isinstance(kind, str) and kind not in {"List", ""}:
            list_hint = KindHint(
                str(doc.get("apiVersion") or (hint.api_version if hint else "v1")), kind[:-4]
            )
        yield from _items(items, doc.get("apiVersion") if kind else None, list_hint)
        return
    if not _looks_like_object(doc):
        raise BadFile(f"a document with keys {_keys(doc)}, not a Kubernetes object")
    yield from _items([doc], None, hint)


def _items(items: list[Any], list_api_version: Any, hint: KindHint | None) -> Iterator[dict[str, Any] | str]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            yield f"items[{index}] is a {type(item).__name__}, not an object"
            continue
        if "kind" not in item and hint is not None:
            item = {"kind": hint.kind, **item}
        if "apiVersion" not in item and (hint is not None or list_api_version):
            item = {"apiVersion": list_api_version or hint.api_version, **item}  # type: ignore[union-attr]
        metadata = item.get("metadata")
        if not isinstance(item.get("kind"), str) or not item["kind"]:
            yield f"items[{index}] has no kind"
        elif (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("name"), str)
            or not metadata["name"]
        ):
            yield f"items[{index}] ({item['kind']}) has no metadata.name"
        else:
            yield item


def _looks_like_object(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("metadata"), dict)


def _what(values: list[Any]) -> str:
    first = next((v for v in values if isinstance(v, dict)), None)
    if first is None:
        return f"{type(values[0]).__name__} values"
    return f"records with keys {_keys(first)}"


def _keys(record: dict[str, Any]) -> str:
    names = sorted(str(key) for key in record)
    return ", ".join(names[:4]) + (", ..." if len(names) > 4 else "") if names else "none"
