"""Synthetic cluster snapshots: a builder for realistic, consistent, reproducible test clusters.

Start with :class:`ClusterBuilder`; `specs` has helpers for container specs (env from secrets,
probes, volumes). See docs/demo.md for the bundled demo built with it.
"""

from tools.snapshot.synth.builder import ClusterBuilder, ServiceModel
from tools.snapshot.synth.pods import Pod
from tools.snapshot.synth.specs import (
    configmap_ref,
    configmap_volume,
    container,
    mount,
    pod_template,
    pvc_volume,
    secret_ref,
    secret_volume,
)
from tools.snapshot.synth.workloads import DaemonSet, Deployment, ReplicaSet, StatefulSet

__all__ = [
    "ClusterBuilder",
    "DaemonSet",
    "Deployment",
    "Pod",
    "ReplicaSet",
    "ServiceModel",
    "StatefulSet",
    "configmap_ref",
    "configmap_volume",
    "container",
    "mount",
    "pod_template",
    "pvc_volume",
    "secret_ref",
    "secret_volume",
]
