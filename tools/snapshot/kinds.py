"""The resource kinds the snapshot API server knows: built-in kinds, plus custom kinds found in a snapshot.

Discovery must list the standard kinds even when a snapshot holds none of them (so `kubectl get
ingress` prints "No resources found" instead of "the server doesn't have a resource type"), and every
object needs a home resource (group, version, plural) so it can be served at the right path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tools.contracts.kube.kinds import KindInfo


def _k(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    subresources: tuple[str, ...] = (),
) -> KindInfo:
    return KindInfo(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        subresources=subresources,
    )


_ALL = ("all",)

BUILTIN_KINDS: tuple[KindInfo, ...] = (
    # core/v1
    _k("", "v1", "Pod", "pods", True, ("po",), _ALL, ("log", "status")),
    _k("", "v1", "Service", "services", True, ("svc",), _ALL, ("status",)),
    _k("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    _k("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    _k("", "v1", "Secret", "secrets", True),
    _k("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    _k("", "v1", "Event", "events", True, ("ev",)),
    _k("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), (), ("status",)),
    _k("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), _ALL, ("status",)),
    _k("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), (), ("status",)),
    _k("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    _k("", "v1", "PodTemplate", "podtemplates", True),
    _k("", "v1", "Namespace", "namespaces", False, ("ns",), (), ("status",)),
    _k("", "v1", "Node", "nodes", False, ("no",), (), ("status",)),
    _k("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), (), ("status",)),
    _k("", "v1", "ComponentStatus", "componentstatuses", False, ("cs",)),
    # apps/v1
    _k("apps", "v1", "Deployment", "deployments", True, ("deploy",), _ALL, ("status", "scale")),
    _k("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), _ALL, ("status", "scale")),
    _k("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), _ALL, ("status", "scale")),
    _k("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), _ALL, ("status",)),
    _k("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    # batch/v1
    _k("batch", "v1", "Job", "jobs", True, (), _ALL, ("status",)),
    _k("batch", "v1", "CronJob", "cronjobs", True, ("cj",), _ALL, ("status",)),
    # autoscaling/v2
    _k("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), _ALL),
    # networking
    _k("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), (), ("status",)),
    _k("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _k("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _k("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    # policy
    _k("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), (), ("status",)),
    # storage
    _k("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    _k("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False),
    _k("storage.k8s.io", "v1", "CSINode", "csinodes", False),
    _k("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", False, (), (), ("status",)),
    # rbac
    _k("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _k("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _k("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _k("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    # events, coordination, scheduling, node, certificates, admission, CRDs
    _k("events.k8s.io", "v1", "Event", "events", True, ("ev",)),
    _k("coordination.k8s.io", "v1", "Lease", "leases", True),
    _k("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    _k("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False),
    _k(
        "certificates.k8s.io",
        "v1",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        False,
        ("csr",),
    ),
    _k(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
    ),
    _k(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
    ),
    _k(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        ("crd", "crds"),
    ),
    _k("apiregistration.k8s.io", "v1", "APIService", "apiservices", False),
)

BUILTIN_BY_GROUP_KIND: dict[tuple[str, str], KindInfo] = {(k.group, k.kind): k for k in BUILTIN_KINDS}
_CORE_KINDS = {k.kind: k for k in BUILTIN_KINDS if k.group == ""}
_DEFAULT_FOR_KIND: dict[str, KindInfo] = {}
for _info in BUILTIN_KINDS:  # first one wins: core Event before events.k8s.io Event
    _DEFAULT_FOR_KIND.setdefault(_info.kind, _info)


def split_api_version(api_version: str) -> tuple[str, str]:
    """ "apps/v1" -> ("apps", "v1"); "v1" -> ("", "v1")."""
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


def builtin_for(api_version: str | None, kind: str) -> KindInfo | None:
    """The built-in kind an object belongs to, whatever version of its group it was written in."""
    if not api_version:
        return _DEFAULT_FOR_KIND.get(kind)
    group, _ = split_api_version(api_version)
    if group == "extensions":  # old objects captured from ancient clusters
        return BUILTIN_BY_GROUP_KIND.get(("apps", kind)) or BUILTIN_BY_GROUP_KIND.get(
            ("networking.k8s.io", kind)
        )
    return BUILTIN_BY_GROUP_KIND.get((group, kind))


def plural_of(kind: str) -> str:
    """English-ish plural the way CRD authors usually choose it (lowercase + s)."""
    word = kind.lower()
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def custom_kind(api_version: str, kind: str, namespaced: bool, crd: dict[str, Any] | None = None) -> KindInfo:
    """A kind that is not built in: names from its CRD when the snapshot holds one, else by heuristics."""
    group, version = split_api_version(api_version)
    names = (crd or {}).get("spec", {}).get("names", {}) if crd else {}
    scope = (crd or {}).get("spec", {}).get("scope") if crd else None
    return KindInfo(
        group=group,
        version=version,
        kind=kind,
        plural=names.get("plural") or plural_of(kind),
        singular=names.get("singular") or kind.lower(),
        namespaced=(scope == "Namespaced") if scope else namespaced,
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
    )


def crd_names(crds: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Index CustomResourceDefinition objects by (group, kind)."""
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if spec.get("group") and kind:
            index[(spec["group"], kind)] = crd
    return index


def core_kind(kind: str) -> KindInfo | None:
    return _CORE_KINDS.get(kind)
