"""A troubleshoot.sh support bundle (`kubectl support-bundle`), as its collectors lay it out.

    support-bundle-<timestamp>/
      version.yaml                      kind SupportBundle
      analysis.json                     analyzer results (not cluster state)
      cluster-info/cluster_version.json {"info": {...}, "string": "v1.29.3"}
      cluster-resources/<plural>/<namespace>.json   typed lists (older bundles: bare arrays, no kind)
      cluster-resources/nodes.json, pvs[.json], namespaces.json, storage-classes.json, ...
      cluster-resources/custom-resource-definitions.json   {metadata, items} with no kind
      cluster-resources/custom-resources/<plural.group>[/<namespace>].yaml   bare YAML arrays
      cluster-resources/pods/logs/<namespace>/<pod>/<container>[-previous].log
      cluster-resources/*-errors.json, auth-cani-list/, resources.json, groups.json   not objects
      all-logs/                         symbolic links to the logs above
      <collector>/<pod>[/<container>].log   logs collectors, filed by pod name

No file records when the bundle was taken.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import orjson

from tools.snapshot.importers.documents import BadFile, KindHint, load_documents
from tools.snapshot.importers.intake import Intake
from tools.snapshot.importers.tree import InputTree

FORMAT = "troubleshoot"
LABEL = "a troubleshoot.sh support bundle"

# Folders and files of cluster-resources/ and the kind of their items (older bundles omit it).
_FOLDERS = {
    "pods": KindHint("v1", "Pod"),
    "services": KindHint("v1", "Service"),
    "events": KindHint("v1", "Event"),
    "limitranges": KindHint("v1", "LimitRange"),
    "resource-quota": KindHint("v1", "ResourceQuota"),
    "resource-quotas": KindHint("v1", "ResourceQuota"),
    "pvcs": KindHint("v1", "PersistentVolumeClaim"),
    "configmaps": KindHint("v1", "ConfigMap"),
    "endpoints": KindHint("v1", "Endpoints"),
    "serviceaccounts": KindHint("v1", "ServiceAccount"),
    "deployments": KindHint("apps/v1", "Deployment"),
    "replicasets": KindHint("apps/v1", "ReplicaSet"),
    "statefulsets": KindHint("apps/v1", "StatefulSet"),
    "daemonsets": KindHint("apps/v1", "DaemonSet"),
    "jobs": KindHint("batch/v1", "Job"),
    "cronjobs": KindHint("batch/v1", "CronJob"),
    "ingress": KindHint("networking.k8s.io/v1", "Ingress"),
    "network-policy": KindHint("networking.k8s.io/v1", "NetworkPolicy"),
    "pod-disruption-budgets": KindHint("policy/v1", "PodDisruptionBudget"),
    "roles": KindHint("rbac.authorization.k8s.io/v1", "Role"),
    "rolebindings": KindHint("rbac.authorization.k8s.io/v1", "RoleBinding"),
    "leases": KindHint("coordination.k8s.io/v1", "Lease"),
    "endpointslices": KindHint("discovery.k8s.io/v1", "EndpointSlice"),
}
_FILES = {
    "nodes": KindHint("v1", "Node"),
    "pvs": KindHint("v1", "PersistentVolume"),
    "namespaces": KindHint("v1", "Namespace"),
    "storage-classes": KindHint("storage.k8s.io/v1", "StorageClass"),
    "priorityclasses": KindHint("scheduling.k8s.io/v1", "PriorityClass"),
    "priority-classes": KindHint("scheduling.k8s.io/v1", "PriorityClass"),
    "clusterroles": KindHint("rbac.authorization.k8s.io/v1", "ClusterRole"),
    "clusterRoleBindings": KindHint("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    "clusterrolebindings": KindHint("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    "custom-resource-definitions": KindHint("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    "volumeattachments": KindHint("storage.k8s.io/v1", "VolumeAttachment"),
}
_NOT_OBJECTS = {
    "resources.json": "API discovery (resource lists), not objects",
    "groups.json": "API discovery (group list), not objects",
}
# The API version of each kind above, for other formats whose files name the kind (sonobuoy's Pods.json).
KNOWN_KINDS = {hint.kind: hint for hint in (*_FOLDERS.values(), *_FILES.values())}
_NOT_OBJECT_FOLDERS = {
    "auth-cani-list": "RBAC rules of the collecting user, not objects",
    "image-pull-secrets": "registry user names taken from pull secrets, not objects",
}
_POD_LOG = re.compile(r"^cluster-resources/pods/logs/([^/]+)/([^/]+)/([^/]+?)(-previous)?\.log$")


def find_base(tree: InputTree) -> str | None:
    """The bundle's top folder ("" or "support-bundle-…/"), when the tree is a support bundle."""
    tops = {rel.split("/", 1)[0] for rel in tree.files if "/" in rel}
    candidates = ["", *sorted(f"{top}/" for top in tops)]
    for base in candidates:
        if f"{base}version.yaml" in tree.files and _is_bundle_version(tree, f"{base}version.yaml"):
            return base
        if any(rel.startswith(f"{base}cluster-resources/") for rel in tree.files):
            return base
    return None


def _is_bundle_version(tree: InputTree, rel: str) -> bool:
    try:
        docs = load_documents(tree.path(rel))
    except BadFile:
        return False
    return bool(docs) and isinstance(docs[0], dict) and docs[0].get("kind") == "SupportBundle"


def read_bundle(intake: Intake, base: str) -> str | None:
    """Import a bundle's objects and logs; returns the cluster's Kubernetes version when recorded."""
    version = None
    files = [rel for rel in intake.tree.files if rel.startswith(base)]
    logs: list[str] = []
    for rel in files:
        inner = rel[len(base) :]
        path = PurePosixPath(inner)
        if inner == "version.yaml":
            intake.used(rel)
        elif inner == "cluster-info/cluster_version.json":
            version = _cluster_version(intake, rel)
        elif inner == "analysis.json":
            intake.skip(rel, "troubleshoot analyzer results, not cluster state")
        elif path.name.endswith("-errors.json") or path.name == "errors.json":
            intake.skip(rel, "errors recorded by a troubleshoot collector, not cluster state")
        elif path.suffix == ".log":
            logs.append(rel)
        elif path.parts[0] == "cluster-resources":
            _cluster_resource(intake, rel, path.parts[1:])
    for rel in logs:  # after the pods, so logs filed by pod name can be placed
        _log(intake, rel, rel[len(base) :])
    return version


def _cluster_version(intake: Intake, rel: str) -> str | None:
    intake.used(rel)
    try:
        doc = orjson.loads(intake.tree.path(rel).read_bytes())
    except (orjson.JSONDecodeError, OSError):
        intake.skip(rel, "cluster version does not parse")
        return None
    value = doc.get("string") or (doc.get("info") or {}).get("gitVersion") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def _cluster_resource(intake: Intake, rel: str, parts: tuple[str, ...]) -> None:
    suffix = PurePosixPath(rel).suffix
    if len(parts) == 1 and not suffix and parts[0] in _FILES:  # some versions write "pvs", no suffix
        intake.add_file(rel, _FILES[parts[0]])
        return
    if not parts or suffix not in {".json", ".yaml", ".yml"}:
        return  # left for the catch-all
    if len(parts) == 1:
        if parts[0] in _NOT_OBJECTS:
            intake.skip(rel, _NOT_OBJECTS[parts[0]])
            return
        intake.add_file(rel, _FILES.get(PurePosixPath(parts[0]).stem))
        return
    folder = parts[0]
    if folder in _NOT_OBJECT_FOLDERS:
        intake.skip(rel, _NOT_OBJECT_FOLDERS[folder])
    elif folder == "custom-resources":
        intake.add_file(rel)  # bare arrays of objects that carry their own kind
    else:
        intake.add_file(rel, _FOLDERS.get(folder))


def _log(intake: Intake, rel: str, inner: str) -> None:
    match = _POD_LOG.match(inner)
    if match:
        namespace, pod, container, previous = match.groups()
        if container.endswith("-logs-errors"):
            intake.skip(rel, "a log that troubleshoot could not collect (its error message)")
            return
        text = intake.read_log(rel)
        if text is not None:
            intake.add_log(rel, namespace, pod, container, bool(previous), text)
        return
    # logs collectors file logs by pod name: <collector>/<pod>.log or <collector>/<pod>/<container>.log
    path = PurePosixPath(inner)
    previous = path.stem.endswith("-previous")
    stem = path.stem.removesuffix("-previous")
    placed = None
    if len(path.parts) >= 3:
        placed = intake.pod_for_log(path.parts[-2], stem)
        pod = path.parts[-2]
    if placed is None:
        placed, pod = intake.pod_for_log(stem, None), stem
    if placed is None:
        return  # left for the catch-all, which says why
    text = intake.read_log(rel)
    if text is not None:
        intake.add_log(rel, placed[0], pod, placed[1], previous, text)
