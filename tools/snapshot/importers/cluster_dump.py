"""`kubectl cluster-info dump`: a directory (`--output-directory D`) or the same text on stdout.

    D/nodes.json
    D/<namespace>/{events,pods,services,deployments,replicasets,daemonsets,replication-controllers}.json
    D/<namespace>/<pod>/logs.txt

(`.yaml` with `-o yaml`.) A logs.txt holds one block per container, init containers first:

    ==== START logs for container C of pod NS/P ====
    ...the container's log...
    ==== END logs for container C of pod NS/P ====

kubectl writes the log as it comes, so the END marker may follow the last line without a newline; a
failed fetch leaves one line (`Request log error: …`) in the block. The stdout form is the Lists one
after the other as JSON documents, with the log blocks between them. Only current logs are dumped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from tools.snapshot.importers.documents import BadFile, load_documents, read_text
from tools.snapshot.importers.intake import Intake
from tools.snapshot.importers.tree import InputTree

FORMAT = "cluster-info-dump"
LABEL = "a `kubectl cluster-info dump`"
NAMESPACE_FILES = {
    "events",
    "pods",
    "services",
    "deployments",
    "replicasets",
    "daemonsets",
    "replication-controllers",
}
_SUFFIXES = (".json", ".yaml", ".yml")
_FULL_FOLDER = 5  # of the seven NAMESPACE_FILES: a namespace folder of a dump even without its nodes.json
_START_WORDS = "==== START logs for container"
_START = re.compile(r"^==== START logs for container (\S+) of pod ([^/\s]+)/(\S+) ====$")
_END = "==== END logs for container "
_FETCH_ERRORS = ("Request log error:", "Create log request error:")


@dataclass
class LogBlock:
    namespace: str
    pod: str
    container: str
    text: str


def find_base(tree: InputTree) -> str | None:
    """ "" or "<top>/" when the tree is a dump directory: kubectl writes nodes.json beside the namespace
    folders, and every namespace folder gets all seven lists. A folder of `kubectl get` files that merely
    holds a pods.json and a deployments.json is not a namespace, so it takes one of these two to tell."""
    for base in ["", *sorted({f"{rel.split('/', 1)[0]}/" for rel in tree.files if "/" in rel})]:
        names = {rel[len(base) :] for rel in tree.files if rel.startswith(base)}
        has_nodes = any(f"nodes{s}" in names for s in _SUFFIXES)
        per_folder = Counter(n.split("/")[0] for n in names if _is_namespace_list(n))
        if per_folder and (has_nodes or max(per_folder.values()) >= _FULL_FOLDER):
            return base
    return None


def _is_namespace_list(inner: str) -> bool:
    path = PurePosixPath(inner)
    return len(path.parts) == 2 and path.suffix in _SUFFIXES and path.stem in NAMESPACE_FILES


def looks_like_stdout(text: str) -> bool:
    """The stdout form: log blocks between the lists, or JSON documents starting with the NodeList."""
    head = text.lstrip()[:200_000]
    return _START_WORDS in text or (head.startswith("{") and '"kind": "NodeList"' in head)


def read_directory(intake: Intake, base: str) -> None:
    for rel in [r for r in intake.tree.files if r.startswith(base)]:
        inner = PurePosixPath(rel[len(base) :])
        if inner.suffix in _SUFFIXES and (len(inner.parts) == 1 or _is_namespace_list(str(inner))):
            intake.add_file(rel)
        elif inner.name == "logs.txt" and len(inner.parts) == 3:
            _read_logs_file(intake, rel)


def _read_logs_file(intake: Intake, rel: str) -> None:
    try:
        text = _lf(read_text(intake.tree.path(rel)))
    except BadFile as exc:
        intake.skip(rel, str(exc))
        return
    if not _add_blocks(intake, rel, log_blocks(text.splitlines(keepends=True))):
        intake.skip(rel, f"no `{_START_WORDS} … ====` markers found: not a cluster-info dump log file")
        return
    intake.done.add(rel)


def _lf(text: str) -> str:
    """CRLF to LF: a dump unzipped or saved on Windows has CRLF lines, and the markers must still match."""
    return text.replace("\r\n", "\n")


def _add_blocks(intake: Intake, rel: str, blocks: Iterator[LogBlock | str]) -> int:
    """Import the blocks; returns how many there were, so a file with none is never dropped silently."""
    count = 0
    for block in blocks:
        count += 1
        if isinstance(block, str):
            intake.note(rel, block)
            continue
        stripped = block.text.strip()
        if "\n" not in stripped and stripped.startswith(_FETCH_ERRORS):
            where = f"container {block.container} of pod {block.namespace}/{block.pod}"
            intake.note(rel, f"{where}: kubectl could not fetch this log ({stripped})")
            continue
        intake.add_log(rel, block.namespace, block.pod, block.container, False, block.text)
    return count


def log_blocks(lines: list[str]) -> Iterator[LogBlock | str]:
    """The container logs between START and END markers; a string reports a block without its END."""
    current: LogBlock | None = None
    body: list[str] = []
    for line in lines:
        marker = _START.match(line.rstrip("\n"))
        if marker and current is None:
            current, body = LogBlock(marker[2], marker[3], marker[1], ""), []
            continue
        if current is not None:
            end = line.find(_END)
            if end >= 0 and f"container {current.container} of pod {current.namespace}/{current.pod}" in line:
                body.append(line[:end])
                current.text = "".join(body)
                if current.text and not current.text.endswith("\n"):
                    current.text += "\n"
                yield current
                current = None
                continue
            body.append(line)
    if current is not None:
        current.text = "".join(body)
        where = f"container {current.container} of pod {current.namespace}/{current.pod}"
        yield f"the log of {where} has no END marker (the dump was cut short?)"
        if current.text.strip():
            yield current


def read_stdout(intake: Intake, rel: str, text: str) -> None:
    """The stdout form: the Lists with log blocks between them, in the order kubectl printed them."""
    text = _lf(text)
    json_lines: list[str] = []
    log_lines: list[str] = []
    in_block = False
    for line in text.splitlines(keepends=True):
        if in_block or _START.match(line.rstrip("\n")):
            log_lines.append(line)
            in_block = _END not in line
        else:
            json_lines.append(line)
    lists = "".join(json_lines)
    try:  # JSON by default; `-o yaml` prints YAML documents separated by ---
        docs = load_documents(intake.tree.path(rel), lists) if lists.strip() else []
    except BadFile as exc:
        intake.skip(rel, str(exc))
        return
    if docs:
        intake.add_file(rel, docs=docs)
    _add_blocks(intake, rel, log_blocks(log_lines))
    intake.done.add(rel)
