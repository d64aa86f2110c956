"""Load a cluster snapshot (contracts section 1) from a directory or a `.tar.gz`.

The loader never stops at the first bad file: every problem is collected with its file and line, so a
support engineer sees the whole picture at once. Objects are yielded one at a time so that a
100,000-pod snapshot can be indexed without holding every parsed dict at once.
"""

from __future__ import annotations

import json
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

try:  # the C loader is ~10x faster on big snapshots
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on the libyaml build
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

RESOURCE_SUFFIXES = (".json", ".yaml", ".yml")
_DOC_SEPARATOR = re.compile(r"^---\s*(#.*)?$")
_LOG_NAME = re.compile(r"^(?P<container>[^/]+?)(?P<previous>\.previous)?\.log$")


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
            yield from _objects_in_file(path, self.rel(path), self.problems)

    def read_log(self, key: LogKey) -> str | None:
        path = self.logs.get(key)
        if path is None:
            return None
        return path.read_bytes().decode("utf-8", errors="replace")


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
                archive.extractall(tempdir.name, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            tempdir.cleanup()
            raise SnapshotError(f"{path}: not a readable .tar.gz archive ({exc})") from exc
        path = _archive_root(Path(tempdir.name))
    root = path.resolve()
    meta_file = root / "snapshot.yaml"
    if not meta_file.is_file():
        return _import_foreign(Path(source), root, tempdir)
    problems: list[Problem] = []
    meta = _read_meta(meta_file, problems)
    snapshot = Snapshot(
        root=root,
        meta=meta,
        resource_files=_files_under(root / "resources", RESOURCE_SUFFIXES),
        logs=_index_logs(root / "logs", problems),
        metrics_files=_files_under(root / "metrics", (".om",)),
        flow_files=_files_under(root / "flows", (".jsonl",)),
        problems=problems,
        _tempdir=tempdir,
    )
    return snapshot


def _import_foreign(
    source: Path, root: Path | None, tempdir: tempfile.TemporaryDirectory[str] | None
) -> Snapshot:
    """Not a kubewhy snapshot: a support bundle, a cluster-info dump, kubectl output... (or nothing)."""
    from tools.snapshot.importers import load_foreign  # local: only foreign inputs pay for the importers

    return load_foreign(source, root, tempdir)


def _archive_root(extracted: Path) -> Path:
    """Archives may hold the tree at the top or inside one folder."""
    if (extracted / "snapshot.yaml").is_file():
        return extracted
    children = [p for p in extracted.iterdir() if p.is_dir()]
    if len(children) == 1 and (children[0] / "snapshot.yaml").is_file():
        return children[0]
    return extracted


def _files_under(directory: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 (with Z or offset, optional fraction) to an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match and match.group(2):  # Python wants at most 6 fraction digits
        text = match.group(1) + match.group(2)[:7] + match.group(3)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read_meta(meta_file: Path, problems: list[Problem]) -> SnapshotMeta:
    fallback = SnapshotMeta(name=meta_file.parent.name, captured_at=datetime.now(UTC))
    try:
        doc = yaml.load(meta_file.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        problems.append(Problem("snapshot.yaml", _yaml_line(exc), f"does not parse: {_yaml_reason(exc)}"))
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


def _index_logs(logs_dir: Path, problems: list[Problem]) -> dict[LogKey, Path]:
    index: dict[LogKey, Path] = {}
    if not logs_dir.is_dir():
        return index
    for path in sorted(logs_dir.rglob("*")):
        if not path.is_file():
            continue
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


def _objects_in_file(path: Path, rel: str, problems: list[Problem]) -> Iterator[SourcedObject]:
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
        yield from _objects_in_document(doc, rel, 1, problems)
        return
    for start_line, chunk in _yaml_documents(text):
        try:
            doc = yaml.load(chunk, Loader=_YamlLoader)
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
            if not isinstance(item, dict):
                problems.append(Problem(rel, line, f"items[{index}] is not an object"))
                continue
            if item_kind and "kind" not in item:
                item = {"kind": item_kind, **item}
            if "apiVersion" not in item and doc.get("apiVersion") and item_kind:
                item = {"apiVersion": doc["apiVersion"], **item}
            yield from _checked(item, rel, line, problems, where=f"items[{index}]: ")
        return
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        problems.append(Problem(rel, line, f"{kind}.items must be a list"))
        return
    yield from _checked(doc, rel, line, problems, where="")


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


def validate_snapshot(snapshot: Snapshot) -> list[Problem]:
    """Read every file of a snapshot and return every problem found (used by `snapshot check`)."""
    from tools.snapshot.validate_extra import check_flows, check_metrics  # local: keeps loading light

    for _ in snapshot.iter_objects():
        pass
    check_metrics(snapshot)
    check_flows(snapshot)
    return list(snapshot.problems)
