"""Load a cluster snapshot (contracts section 1) from a directory or a `.tar.gz`.

The loader never stops at the first bad file: every problem is collected with its file and line, so a
support engineer sees the whole picture at once. Objects are yielded one at a time so that a
100,000-pod snapshot can be indexed without holding every parsed dict at once.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from tools.contracts.kube.time import parse_time
from tools.snapshot.bounded import BadDocument, json_depth_ok, load_yaml, too_deep_message
from tools.snapshot.hints import WHAT_TO_DO
from tools.snapshot.log_file import log_lines

RESOURCE_SUFFIXES = (".json", ".yaml", ".yml")
_DOC_SEPARATOR = re.compile(r"^---\s*(#.*)?$")
_LOG_NAME = re.compile(r"^(?P<container>[^/]+?)(?P<previous>\.previous)?\.log$")
LINK_OUT = "a symbolic link to outside the snapshot folder: skipped, not read"


class SnapshotError(Exception):
    """The snapshot cannot be used at all (missing, unreadable, no snapshot.yaml)."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SnapshotMeta:
    name: str
    captured_at: datetime
    kubernetes_version: str | None = None
    description: str | None = None
    captured_at_inferred: bool = False  # imported input without a capture time: the newest timestamp in it


@dataclass(frozen=True)
class LogKey:
    namespace: str
    pod: str
    container: str
    previous: bool


@dataclass
class SourcedObject:
    """One Kubernetes object and where it came from (for error messages)."""

    obj: dict[str, Any]
    file: str
    line: int | None


@dataclass
class Snapshot:
    """A snapshot on disk: metadata, file locations, and the problems found while reading it."""

    root: Path
    meta: SnapshotMeta
    resource_files: list[Path]
    logs: dict[LogKey, Path]
    metrics_files: list[Path]
    flow_files: list[Path]
    problems: list[Problem] = field(default_factory=list)
    _tempdir: tempfile.TemporaryDirectory[str] | None = None

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def iter_objects(self) -> Iterator[SourcedObject]:
        """Yield every valid object; record a Problem for everything that is not."""
        for path in self.resource_files:
            yield from objects_in_file(path, self.rel(path), self.problems)

    def read_log(self, key: LogKey) -> str | None:
        """The log's text as stored (its last READ_LIMIT bytes, long lines cut)."""
        path = self.logs.get(key)
        if path is None:
            return None
        return b"".join(line + b"\n" for line in log_lines(path)).decode("utf-8", errors="replace")


def load_snapshot(source: str | Path) -> Snapshot:
    """Open a snapshot directory or `.tar.gz`. Raises SnapshotError when it is not a snapshot at all."""
    path = Path(source)
    tempdir = None
    if not path.exists():
        raise SnapshotError(f"{path}: no such file or directory")
    if path.is_file():
        if not (path.name.endswith(".tar.gz") or path.name.endswith(".tgz")):
            return _import_foreign(path, None, None)
        tempdir = tempfile.TemporaryDirectory(prefix="kubewhy-snapshot-")
        try:
            with tarfile.open(path, "r:gz") as archive:
                members = _bounded_members(archive, path, path.stat().st_size)
                archive.extractall(tempdir.name, members=members, filter="data")
        except SnapshotError:
            tempdir.cleanup()
            raise
        except (tarfile.TarError, OSError, EOFError) as exc:
            tempdir.cleanup()
            raise SnapshotError(f"{path}: not a readable .tar.gz archive ({exc}); {WHAT_TO_DO}") from exc
        path = _archive_root(Path(tempdir.name))
    root = path.resolve()
    meta_file = root / "snapshot.yaml"
    if not meta_file.is_file():
        return _import_foreign(Path(source), root, tempdir)
    problems: list[Problem] = []
    if _inside(meta_file, root):
        meta = _read_meta(meta_file, problems)
    else:
        problems.append(Problem("snapshot.yaml", None, LINK_OUT))
        meta = SnapshotMeta(name=root.name, captured_at=datetime.now(UTC))
    snapshot = Snapshot(
        root=root,
        meta=meta,
        resource_files=_files_under(root, "resources", RESOURCE_SUFFIXES, problems),
        logs=_index_logs(root, problems),
        metrics_files=_files_under(root, "metrics", (".om",), problems),
        flow_files=_files_under(root, "flows", (".jsonl",), problems),
        problems=problems,
        _tempdir=tempdir,
    )
    return snapshot


ARCHIVE_MAX_BYTES = 4 * 1024**3
ARCHIVE_MAX_FILES = 100_000
ARCHIVE_MAX_RATIO = 200  # JSON snapshots compress 10-40x; an archive bomb ~1,000x
_RATIO_FLOOR = 16 * 1024**2  # small archives may expand as much as they like


def _bounded_members(archive: tarfile.TarFile, path: Path, compressed: int) -> Iterator[tarfile.TarInfo]:
    """The archive's members, refused at the first header that would pass a bound: nothing beyond is
    decompressed, so a 2 MB archive of a 2 GB file costs the time of reading its headers."""
    total = 0
    for count, member in enumerate(archive, start=1):
        total += member.size
        if count > ARCHIVE_MAX_FILES:
            raise SnapshotError(f"{path}: refused: the archive holds more than {ARCHIVE_MAX_FILES:,} files")
        if total > ARCHIVE_MAX_BYTES:
            raise SnapshotError(
                f"{path}: refused: the archive expands to more than {ARCHIVE_MAX_BYTES // 1024**3} GiB"
            )
        if total > _RATIO_FLOOR and total > ARCHIVE_MAX_RATIO * compressed:
            raise SnapshotError(
                f"{path}: refused: the archive expands to more than {ARCHIVE_MAX_RATIO} times its size "
                f"({compressed:,} bytes; {member.name!r} alone is {member.size:,}): an archive bomb?"
            )
        yield member


def _import_foreign(
    source: Path, root: Path | None, tempdir: tempfile.TemporaryDirectory[str] | None
) -> Snapshot:
    """Not a kubewhy snapshot: a support bundle, a cluster-info dump, kubectl output... (or nothing)."""
    from tools.snapshot.importers import ImportFailed, import_foreign  # only foreign inputs pay for them

    try:
        out, scratch = import_foreign(source, root, tempdir)
    except ImportFailed as exc:
        raise SnapshotError(str(exc)) from None
    snapshot = load_snapshot(out)
    snapshot._tempdir = scratch  # removed with the snapshot
    return snapshot


def _archive_root(extracted: Path) -> Path:
    """Archives may hold the tree at the top or inside one folder."""
    if (extracted / "snapshot.yaml").is_file():
        return extracted
    children = [p for p in extracted.iterdir() if p.is_dir()]
    if len(children) == 1 and (children[0] / "snapshot.yaml").is_file():
        return children[0]
    return extracted


def _files_under(root: Path, folder: str, suffixes: tuple[str, ...], problems: list[Problem]) -> list[Path]:
    return [p for p in _snapshot_files(root, folder, problems) if p.name.endswith(suffixes)]


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _snapshot_files(root: Path, folder: str, problems: list[Problem]) -> list[Path]:
    """Every file under `root/folder`, sorted. A link may point anywhere inside the snapshot; one that
    leaves it (a log that is really ~/.kube/config) is reported as skipped and never read."""
    found: list[Path] = []
    seen: set[Path] = set()
    pending = [root / folder]
    while pending:
        directory = pending.pop()
        real = directory.resolve()
        if not real.is_relative_to(root):
            problems.append(Problem(str(directory.relative_to(root)), None, LINK_OUT))
            continue
        if real in seen or not real.is_dir():  # a link loop, or no such folder
            continue
        seen.add(real)
        with os.scandir(directory) as entries:
            for entry in entries:
                path = directory / entry.name
                if entry.is_dir():
                    pending.append(path)  # checked when taken: it may be a link
                elif entry.is_file():
                    if entry.is_symlink() and not _inside(path, root):
                        problems.append(Problem(str(path.relative_to(root)), None, LINK_OUT))
                        continue
                    found.append(path)
    return sorted(found)


def _read_meta(meta_file: Path, problems: list[Problem]) -> SnapshotMeta:
    fallback = SnapshotMeta(name=meta_file.parent.name, captured_at=datetime.now(UTC))
    try:
        doc = load_yaml(meta_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problems.append(Problem("snapshot.yaml", _yaml_line(exc), f"does not parse: {_yaml_reason(exc)}"))
        return fallback
    except BadDocument as exc:
        problems.append(Problem("snapshot.yaml", exc.line, exc.message))
        return fallback
    if not isinstance(doc, dict):
        problems.append(
            Problem("snapshot.yaml", 1, "must be a mapping with apiVersion, kind, name, capturedAt")
        )
        return fallback
    if doc.get("kind") != "ClusterSnapshot":
        problems.append(
            Problem("snapshot.yaml", None, f"kind must be ClusterSnapshot, not {doc.get('kind')!r}")
        )
    if doc.get("apiVersion") != "kubewhy/v1":
        problems.append(
            Problem("snapshot.yaml", None, f"apiVersion must be kubewhy/v1, not {doc.get('apiVersion')!r}")
        )
    captured = parse_time(doc.get("capturedAt"))
    if captured is None:
        problems.append(
            Problem(
                "snapshot.yaml", None, f"capturedAt must be an RFC 3339 time, got {doc.get('capturedAt')!r}"
            )
        )
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem("snapshot.yaml", None, "name is missing"))
        name = fallback.name
    return SnapshotMeta(
        name=name,
        captured_at=(captured or fallback.captured_at).astimezone(UTC),
        kubernetes_version=doc.get("kubernetesVersion"),
        description=doc.get("description"),
        captured_at_inferred=doc.get("capturedAtInferred") is True,
    )


def _index_logs(root: Path, problems: list[Problem]) -> dict[LogKey, Path]:
    index: dict[LogKey, Path] = {}
    logs_dir = root / "logs"
    for path in _snapshot_files(root, "logs", problems):
        rel = path.relative_to(logs_dir)
        match = _LOG_NAME.match(rel.name)
        if len(rel.parts) != 3 or match is None:
            problems.append(
                Problem(
                    f"logs/{rel}", None, "log files must be logs/<namespace>/<pod>/<container>[.previous].log"
                )
            )
            continue
        key = LogKey(rel.parts[0], rel.parts[1], match["container"], bool(match["previous"]))
        index[key] = path
    return index


def _yaml_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    return str(getattr(exc, "problem", None) or exc).strip()


def objects_in_file(path: Path, rel: str, problems: list[Problem]) -> Iterator[SourcedObject]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, None, f"cannot be read: {exc}"))
        return
    if rel.endswith(".json"):
        try:
            doc = orjson.loads(text)  # several times faster than json on 100,000-pod snapshots
        except orjson.JSONDecodeError:
            try:  # the stdlib parser words the error better and gives line and column
                doc = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(Problem(rel, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})"))
                return
            except RecursionError:
                problems.append(Problem(rel, 1, too_deep_message()))
                return
        for sourced in _objects_in_document(doc, rel, 1, problems):
            if json_depth_ok(sourced.obj):
                yield sourced
            else:
                problems.append(Problem(rel, 1, too_deep_message()))
        return
    for start_line, chunk in _yaml_documents(text):
        try:
            doc = load_yaml(chunk)
        except BadDocument as exc:
            problems.append(Problem(rel, start_line + (exc.line or 1) - 1, exc.message))
            continue
        except yaml.YAMLError as exc:
            line = _yaml_line(exc)
            problems.append(
                Problem(
                    rel, start_line + line - 1 if line else start_line, f"invalid YAML: {_yaml_reason(exc)}"
                )
            )
            continue
        if doc is None:
            continue
        yield from _objects_in_document(doc, rel, start_line, problems)


def _yaml_documents(text: str) -> Iterator[tuple[int, str]]:
    """Split a multi-document YAML file, remembering the first line of each document."""
    lines = text.splitlines(keepends=True)
    start, current = 1, []
    for number, line in enumerate(lines, start=1):
        if _DOC_SEPARATOR.match(line):
            if current:
                yield start, "".join(current)
            start, current = number + 1, []
        else:
            current.append(line)
    if current:
        yield start, "".join(current)


def _objects_in_document(doc: Any, rel: str, line: int, problems: list[Problem]) -> Iterator[SourcedObject]:
    if not isinstance(doc, dict):
        problems.append(Problem(rel, line, f"expected a Kubernetes object or list, got {type(doc).__name__}"))
        return
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        item_kind = None if kind == "List" else kind[: -len("List")]
        for index, item in enumerate(doc["items"]):
            yield from _list_item(doc.get("apiVersion"), item_kind, index, item, rel, line, problems)
        return
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        problems.append(Problem(rel, line, f"{kind}.items must be a list"))
        return
    yield from _checked(doc, rel, line, problems, where="")


def _list_item(
    api_version: Any,
    item_kind: str | None,
    index: int,
    item: Any,
    rel: str,
    line: int,
    problems: list[Problem],
) -> Iterator[SourcedObject]:
    """One item of a `*List`: typed lists lend their items kind and apiVersion."""
    if not isinstance(item, dict):
        problems.append(Problem(rel, line, f"items[{index}] is not an object"))
        return
    if item_kind and "kind" not in item:
        item = {"kind": item_kind, **item}
    if "apiVersion" not in item and api_version and item_kind:
        item = {"apiVersion": api_version, **item}
    yield from _checked(item, rel, line, problems, where=f"items[{index}]: ")


def json_list_item(
    api_version: Any, item_kind: str | None, index: int, item: Any, rel: str, problems: list[Problem]
) -> Iterator[SourcedObject]:
    """An item of a JSON list file read apart from its file (the fast path's items that need normalising)."""
    for sourced in _list_item(api_version, item_kind, index, item, rel, 1, problems):
        if json_depth_ok(sourced.obj):
            yield sourced
        else:
            problems.append(Problem(rel, 1, too_deep_message()))


def _checked(
    obj: dict[str, Any], rel: str, line: int, problems: list[Problem], where: str
) -> Iterator[SourcedObject]:
    missing = []
    if not isinstance(obj.get("kind"), str) or not obj.get("kind"):
        missing.append("kind")
    metadata = obj.get("metadata")
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("name"), str)
        or not metadata.get("name")
    ):
        missing.append("metadata.name")
    if missing:
        problems.append(Problem(rel, line, f"{where}object without {' and '.join(missing)}"))
        return
    yield SourcedObject(obj, rel, line)
