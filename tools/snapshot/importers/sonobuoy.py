"""A sonobuoy results tarball (`sonobuoy retrieve`), as sonobuoy's aggregator writes it:

    serverversion.json                   the API server's /version ({"gitVersion": "v1.21.14", ...})
    servergroups.json                    API discovery (not objects)
    meta/                                sonobuoy's record of its own run (config, query times, run.log)
    plugins/<plugin>/                    plugin results (e2e reports, not cluster state)
    hosts/<node>/                        node configz and healthz
    resources/cluster/<file>.json        cluster-scoped lists: Nodes.json (older), core_v1_nodes.json
    resources/ns/<namespace>/<file>.json namespaced lists: Pods.json (older), core_v1_pods.json, apps_v1_...
    podlogs/<namespace>/<pod>/logs/<container>.txt   current logs (some tools re-pack them as
                                                     podlogs/<namespace>/<pod>/<container>.log)

The aggregator records no capture time; it is inferred.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import orjson

from tools.snapshot.importers.documents import KindHint
from tools.snapshot.importers.intake import Intake
from tools.snapshot.importers.tree import InputTree
from tools.snapshot.importers.troubleshoot import KNOWN_KINDS

FORMAT = "sonobuoy"
LABEL = "a sonobuoy results tarball"
_POD_LOG = re.compile(r"^podlogs/([^/]+)/([^/]+)/(?:logs/)?([^/]+)\.(?:txt|log)$")
_RESOURCES = ("resources/ns/", "resources/cluster/")
_BESIDE = ("serverversion.json", "servergroups.json", "meta/", "podlogs/", "plugins/")
_NOT_STATE = {
    "meta": "sonobuoy's record of its own run, not cluster state",
    "plugins": "sonobuoy plugin results (test reports), not cluster state",
    "hosts": "node configuration and health checks gathered by sonobuoy, not objects",
}


def find_base(tree: InputTree) -> str | None:
    """ "" or "<top>/" holding resources/ns/ or resources/cluster/ beside one of sonobuoy's own files:
    resources/ alone could be anyone's folder of kubectl files."""
    tops = {rel.split("/", 1)[0] for rel in tree.files if "/" in rel}
    for base in ["", *sorted(f"{top}/" for top in tops)]:
        inner = [rel[len(base) :] for rel in tree.files if rel.startswith(base)]
        if any(rel.startswith(_RESOURCES) for rel in inner) and any(rel.startswith(_BESIDE) for rel in inner):
            return base
    return None


def read_results(intake: Intake, base: str) -> str | None:
    """Import the results' objects, then their logs; returns the server's version when recorded."""
    version = None
    logs: list[str] = []
    for rel in [r for r in intake.tree.files if r.startswith(base)]:
        inner = rel[len(base) :]
        top = inner.split("/", 1)[0]
        if inner == "serverversion.json":
            version = _server_version(intake, rel)
        elif inner == "servergroups.json":
            intake.skip(rel, "API discovery (group list), not objects")
        elif top in _NOT_STATE and "/" in inner:
            intake.skip(rel, _NOT_STATE[top])
        elif inner.startswith(_RESOURCES) and PurePosixPath(inner).suffix in {".json", ".yaml", ".yml"}:
            intake.add_file(rel, _hint(PurePosixPath(inner).stem))
        elif top == "podlogs":
            logs.append(rel)
    for rel in logs:
        _log(intake, rel, rel[len(base) :])
    return version


def _server_version(intake: Intake, rel: str) -> str | None:
    """`gitVersion` of the API server's /version, as sonobuoy saved it."""
    intake.used(rel)
    try:
        doc = orjson.loads(intake.tree.path(rel).read_bytes())
    except (orjson.JSONDecodeError, OSError):
        intake.skip(rel, "the server version does not parse as JSON")
        return None
    value = doc.get("gitVersion") if isinstance(doc, dict) else None
    return value if isinstance(value, str) and value else None


def _hint(stem: str) -> KindHint | None:
    """The kind an older file name gives (Pods.json, ReplicaSets.json), for items that do not carry it;
    newer names (core_v1_pods.json) hold typed lists whose items carry their kind."""
    for kind in (stem, stem[:-1], stem[:-2], f"{stem[:-3]}y"):
        if kind in KNOWN_KINDS:
            return KNOWN_KINDS[kind]
    return None


def _log(intake: Intake, rel: str, inner: str) -> None:
    match = _POD_LOG.match(inner)
    if match is None:
        intake.skip(rel, "a file under podlogs/ outside <namespace>/<pod>/logs/<container>.txt")
        return
    namespace, pod, container = match.groups()
    text = intake.read_log(rel)
    if text is not None:
        intake.add_log(rel, namespace, pod, container, False, text)
