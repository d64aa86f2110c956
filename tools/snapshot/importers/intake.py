"""Where every format's reader puts what it found: objects, logs and skipped files, streamed into the
snapshot writer while the clock keeps the newest timestamp.

Every file of the input ends up in exactly one place: imported (objects or a log), read for the
snapshot's metadata, or skipped with its reason; `leftovers` names those a reader did not claim, so
nothing readable is dropped unnoticed.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import orjson

from tools.contracts.wording import plural
from tools.kubernetes.transport import strip_secret_values
from tools.snapshot.importers.clock import Clock
from tools.snapshot.importers.documents import BadFile, KindHint, load_documents, objects_in
from tools.snapshot.importers.report import ImportReport, Skipped
from tools.snapshot.importers.tree import InputTree
from tools.snapshot.writer import SnapshotWriter, UnsafeName

KUBELET_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


class Intake:
    def __init__(self, tree: InputTree, writer: SnapshotWriter) -> None:
        self.tree = tree
        self.writer = writer
        self.clock = Clock()
        self.kinds: Counter[str] = Counter()
        self.logs = 0
        self.skipped: list[Skipped] = list(tree.skipped)
        self.done: set[str] = set()
        self.empty: list[str] = []  # files read whole that hold an empty list (or `null`): 0 objects
        self.pods: dict[str, list[tuple[str, tuple[str, ...]]]] = {}  # pod name -> (namespace, containers)
        self.kubelets: dict[tuple[int, ...], str] = {}  # the nodes' kubelet versions, by their numbers
        self._seen: dict[tuple[str, str, str, str], str] = {}  # object key -> file it came from
        self._logs: dict[tuple[str, str, str, bool], tuple[str, int]] = {}  # log written -> (file, length)

    # --- bookkeeping -----------------------------------------------------------------------------

    def skip(self, rel: str, reason: str) -> None:
        self.done.add(rel)
        self.skipped.append(Skipped(rel, reason))

    def note(self, rel: str, reason: str) -> None:
        """Part of a file that was imported could not be (a log block kubectl failed to fetch)."""
        self.skipped.append(Skipped(rel, reason))

    def used(self, rel: str) -> None:
        """The file was read for the snapshot's metadata (version, capture time)."""
        self.done.add(rel)

    def leftovers(self) -> list[str]:
        return [rel for rel in self.tree.files if rel not in self.done]

    # --- objects ---------------------------------------------------------------------------------

    def add_file(self, rel: str, hint: KindHint | None = None, docs: list[Any] | None = None) -> int:
        """Import the objects of one JSON/YAML file; a file without any is skipped with the reason."""
        self.done.add(rel)
        try:
            documents = load_documents(self.tree.path(rel)) if docs is None else docs
            with self.writer.list_file(str(PurePosixPath(rel).with_suffix(""))) as out:
                added, duplicates, problems = 0, 0, []
                for doc in documents:
                    for item in objects_in(doc, hint):
                        if isinstance(item, str):
                            problems.append(item)
                        else:
                            outcome = self._add_object(item, rel, out)
                            if outcome is True:
                                added += 1
                            elif outcome is False:
                                duplicates += 1
                            else:
                                problems.append(outcome)
        except BadFile as exc:
            self.skipped.append(Skipped(rel, str(exc)))
            return 0
        if problems:
            shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
            self.skipped.append(Skipped(rel, f"{plural(len(problems), 'item')} left out: {shown}"))
        if not added and duplicates:
            self.skipped.append(
                Skipped(rel, f"holds only objects already read from other files ({duplicates})")
            )
        if not (added or duplicates or problems):
            self.empty.append(rel)
        return added  # an empty list was read: it is not a skipped file

    def _add_object(self, obj: dict[str, Any], rel: str, out: Any) -> bool | str:
        """True when written, False for a duplicate, or the reason it could not be written."""
        meta = obj["metadata"]
        group = str(obj.get("apiVersion") or "").rpartition("/")[0]
        key = (group, obj["kind"], str(meta.get("namespace") or ""), meta["name"])
        if key in self._seen:
            return False
        managed = meta.pop("managedFields", None)  # bulk without diagnostic value, as capture drops it
        if obj["kind"] == "Secret":
            strip_secret_values(obj)  # values never enter a snapshot kubewhy writes
        try:
            data = out.add(obj)
        except orjson.JSONEncodeError as exc:  # nested deeper than any API object (orjson stops at 255)
            return f"{obj['kind']} {meta['name']}: {exc}"
        label = f"{obj['kind']} {'/'.join(str(p) for p in (meta.get('namespace'), meta['name']) if p)}"
        self.clock.observe_json(data, label)
        if isinstance(managed, list):  # when each field manager last wrote the object
            self.clock.observe_json(orjson.dumps(managed), f"{label} managedFields")
        self._seen[key] = rel
        if obj["kind"] == "Pod" and group == "":
            spec = obj.get("spec") or {}
            containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
            names = tuple(str(c.get("name")) for c in containers if isinstance(c, dict))
            self.pods.setdefault(meta["name"], []).append((str(meta.get("namespace") or "default"), names))
        if obj["kind"] == "Node" and group == "":
            info = (obj.get("status") or {}).get("nodeInfo") or {}
            version = str(info.get("kubeletVersion", "")) if isinstance(info, dict) else ""
            if numbers := KUBELET_VERSION.match(version):
                self.kubelets[tuple(int(n) for n in numbers.groups())] = version
        self.kinds[obj["kind"]] += 1
        return True

    # --- logs ------------------------------------------------------------------------------------

    def add_log(self, rel: str, namespace: str, pod: str, container: str, previous: bool, text: str) -> bool:
        """Write one container log; `rel` is the input file it came from (marked done by the caller)."""
        self.done.add(rel)
        if not text.strip():
            self.skipped.append(Skipped(rel, f"empty log of {namespace}/{pod}/{container}"))
            return False
        key = (namespace, pod, container, previous)
        if key in self._logs and not self._replaces(key, rel, text):
            return False
        try:
            self.writer.write_log(namespace, pod, container, previous, text)
        except UnsafeName as exc:
            self.skipped.append(Skipped(rel, f"log not written: {exc}"))
            return False
        self.clock.observe_log(text, f"log {namespace}/{pod}/{container}")
        self.logs += key not in self._logs  # a log replaced by a longer copy is still one log
        self._logs[key] = (rel, len(text))
        return True

    def _replaces(self, key: tuple[str, str, str, bool], rel: str, text: str) -> bool:
        """Two files give the same container's log (a troubleshoot logs collector beside
        cluster-resources/pods/logs/): the longer is the more complete, and the other is listed."""
        kept, length = self._logs[key]
        which = f"{'previous ' if key[3] else ''}log of {'/'.join(key[:3])}"
        if len(text) > length:
            self.skipped.append(
                Skipped(kept, f"the same {which} is in {rel}, which is longer: kept that one")
            )
            return True
        self.skipped.append(
            Skipped(rel, f"the same {which} is in {kept}, which is as long or longer: kept that one")
        )
        return False

    def read_log(self, rel: str) -> str | None:
        try:
            return self.tree.path(rel).read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            self.skip(rel, f"cannot be read: {exc.strerror or exc}")
            return None

    def pod_for_log(self, pod_name: str, container: str | None) -> tuple[str, str] | None:
        """(namespace, container) of the one pod with this name (and container), for logs filed by pod."""
        matches = []
        for namespace, names in self.pods.get(pod_name, []):
            if container in names:
                matches.append((namespace, container))
            elif container is None and len(names) == 1:
                matches.append((namespace, names[0]))
        return matches[0] if len(matches) == 1 else None

    def _newest_kubelet(self) -> str | None:
        """The newest kubelet's version: the control plane is never older than its kubelets, and a
        cluster mid-upgrade runs the new version on its upgraded nodes first."""
        return self.kubelets[max(self.kubelets)] if self.kubelets else None

    # --- the end ---------------------------------------------------------------------------------

    def finish(
        self,
        fmt: str,
        label: str,
        name: str,
        *,
        kubernetes_version: str | None = None,
        captured_at: datetime | None = None,
        captured_at_source: str = "",
        description: str | None = None,
    ) -> ImportReport:
        inferred = captured_at is None
        kubernetes_version = kubernetes_version or self._newest_kubelet()
        if captured_at is None and self.clock.newest is not None:
            captured_at, captured_at_source = self.clock.newest, self.clock.where
        elif captured_at is None:  # hand-written manifests carry no time at all
            captured_at = datetime.now(UTC).replace(microsecond=0)
            captured_at_source = "no timestamp anywhere in the input: the time of the import"
        self.writer.write_meta(
            name,
            captured_at,
            kubernetes_version=kubernetes_version,
            description=description or f"imported by kubewhy from {label}",
            captured_at_inferred=inferred,
        )
        return ImportReport(
            format=fmt,
            label=label,
            out=self.writer.root,
            name=name,
            captured_at=captured_at,
            captured_at_inferred=inferred,
            captured_at_source=captured_at_source,
            kinds=self.kinds,
            logs=self.logs,
            skipped=sorted(self.skipped, key=lambda s: s.file),
            kubernetes_version=kubernetes_version,
        )
