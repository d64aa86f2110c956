"""Synthetic cluster snapshots: a builder for realistic, consistent, reproducible test clusters.

Start with :class:`ClusterBuilder`; `specs` has helpers for container specs (env from secrets,
probes, volumes). See docs/demo.md for the bundled demo built with it.
"""

from devkit.synth.builder import ClusterBuilder, ServiceModel
from devkit.synth.pods import Pod
from devkit.synth.specs import (
    configmap_ref,
    configmap_volume,
    container,
    mount,
    pod_template,
    pvc_volume,
    secret_ref,
    secret_volume,
)
from devkit.synth.workloads import DaemonSet, Deployment, ReplicaSet, StatefulSet

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
