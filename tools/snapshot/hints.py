"""What to do when a path is not a snapshot: the one sentence every snapshot error ends with."""

from __future__ import annotations

ACCEPTED = (
    "kubewhy reads a kubewhy snapshot (a directory with snapshot.yaml, or its .tar.gz), a troubleshoot.sh "
    "support bundle (version.yaml, cluster-resources/), a `kubectl cluster-info dump` (nodes.json, "
    "<namespace>/pods.json), an OpenShift must-gather (namespaces/, cluster-scoped-resources/), a sonobuoy "
    "results tarball (resources/, podlogs/) or "
    "`kubectl get -o json|yaml` output such as `kubectl get pods -A -o json > pods.json`"
)
CAPTURE = "to snapshot a live cluster, run `kubewhy snapshot capture --out DIR`"
WHAT_TO_DO = f"{ACCEPTED}; {CAPTURE}"
