"""An OpenShift must-gather (`oc adm must-gather`, its `oc adm inspect` layout), one folder per image:

    must-gather.local.<n>/<image>/
      timestamp                                   start and end of the gathering
      cluster-scoped-resources/<group>/<plural>/<name>.yaml   (core group: "core")
      cluster-scoped-resources/<group>/<plural>.yaml           lists
      namespaces/<ns>/<ns>.yaml
      namespaces/<ns>/<group>/<plural>.yaml                    lists (core/pods.yaml, apps/deployments.yaml)
      namespaces/<ns>/pods/<pod>/<pod>.yaml
      namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}[.insecure].log

Logs are taken with timestamps. The `timestamp` file gives the capture time; without it, it is inferred.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath

from tools.snapshot.importers.documents import BadFile, read_text
from tools.snapshot.importers.intake import Intake
from tools.snapshot.importers.tree import InputTree

FORMAT = "must-gather"
LABEL = "an OpenShift must-gather"
_LOG = re.compile(
    r"^namespaces/([^/]+)/pods/([^/]+)/([^/]+)/([^/]+)/logs/(current|previous)(\.insecure)?\.log$"
)
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{4})")
_MARKERS = ("cluster-scoped-resources/", "namespaces/")


def find_bases(tree: InputTree) -> list[str]:
    """Every image folder ("" or up to two levels down) holding the must-gather layout."""
    bases: set[str] = set()
    for rel in tree.files:
        for marker in _MARKERS:
            at = rel.find(marker)
            if at >= 0 and (at == 0 or rel[at - 1] == "/") and rel[:at].count("/") <= 2:
                base = rel[:at]
                if marker == "cluster-scoped-resources/" or f"{base}timestamp" in tree.files:
                    bases.add(base)
    return sorted(bases)


def read_gather(intake: Intake, base: str) -> datetime | None:
    """Import one image folder; returns the end of gathering from its `timestamp` file, if any."""
    captured = None
    logs: list[tuple[str, str]] = []
    for rel in [r for r in intake.tree.files if r.startswith(base)]:
        inner = rel[len(base) :]
        path = PurePosixPath(inner)
        if inner == "timestamp":
            captured = _read_timestamp(intake, rel)
        elif inner == "event-filter.html":
            intake.skip(rel, "an HTML page of events (the events themselves are read from the YAML)")
        elif path.suffix == ".log" and inner.startswith("namespaces/"):
            logs.append((rel, inner))
        elif path.suffix in {".yaml", ".yml", ".json"} and inner.startswith(_MARKERS):
            intake.add_file(rel)
    for rel, inner in logs:
        match = _LOG.match(inner)
        if match is None:
            intake.skip(rel, "a log file outside namespaces/<ns>/pods/<pod>/<container>/<container>/logs/")
            continue
        namespace, pod, container, _again, which, _insecure = match.groups()
        text = intake.read_log(rel)
        if text is not None:
            intake.add_log(rel, namespace, pod, container, which == "previous", text)
    parent = base.rstrip("/").rpartition("/")[0]
    above = f"{parent}/timestamp" if parent else "timestamp"
    if captured is None and base and above in intake.tree.files:  # `oc adm must-gather` writes it above
        captured = _read_timestamp(intake, above)
    return captured


def _read_timestamp(intake: Intake, rel: str) -> datetime | None:
    intake.used(rel)
    try:
        lines = [line for line in read_text(intake.tree.path(rel)).splitlines() if line.strip()]
    except BadFile as exc:
        intake.skip(rel, str(exc))
        return None
    for line in reversed(lines):  # the last line is when gathering ended
        match = _STAMP.match(line.strip())
        if match:
            day, clock, _fraction, offset = match.groups()
            moment = datetime.strptime(f"{day} {clock} {offset}", "%Y-%m-%d %H:%M:%S %z")
            return moment.astimezone(UTC)
    intake.skip(rel, "no time in the must-gather timestamp file")
    return None
