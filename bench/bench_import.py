"""Benchmark `kubewhy snapshot import` on a large synthetic troubleshoot.sh support bundle.

    python bench/bench_import.py                  # 10,000 pods in 100 namespaces
    python bench/bench_import.py --pods 50000
    python bench/bench_import.py --workdir /dev/shm   # leave the disk out of the figures

It writes the bundle the way troubleshoot's collectors lay it out (typed lists per namespace, events,
nodes, one current and one previous log for every 20th pod, all-logs/ symlinks), packs it as .tar.gz,
then runs the import in a child process and reports: bundle size, import time, the child's peak memory
(ru_maxrss), and the time the snapshot loader takes to read and index the result.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pod(namespace: str, number: int) -> dict[str, object]:
    name = f"app-{number % 50}-7d4b9c-{number:05d}"
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"{namespace}-{number}",
            "creationTimestamp": "2026-11-20T08:00:00Z",
            "labels": {"app": f"app-{number % 50}", "pod-template-hash": "7d4b9c"},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"app-{number % 50}-7d4b9c"}
            ],
            "managedFields": [{"manager": "kubelet", "operation": "Update", "time": "2026-11-20T08:00:09Z"}],
        },
        "spec": {
            "nodeName": f"node-{number % 200}",
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example.com/app:1.4.2",
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"memory": "256Mi"},
                    },
                    "env": [{"name": "MODE", "value": "production"}],
                }
            ],
        },
        "status": {
            "phase": "Running",
            "startTime": "2026-11-20T08:00:02Z",
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": "2026-11-20T08:00:09Z"}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "image": "registry.example.com/app:1.4.2",
                    "state": {"running": {"startedAt": "2026-11-20T08:00:08Z"}},
                }
            ],
        },
    }


def write_bundle(root: Path, pods: int, namespaces: int) -> Path:
    base = root / "support-bundle-2026-11-20T09_30_12"
    res = base / "cluster-resources"
    (res / "pods").mkdir(parents=True)
    (res / "events").mkdir()
    (base / "version.yaml").write_text("apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n")
    nodes = [
        {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": f"node-{n}"},
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "True", "lastHeartbeatTime": "2026-11-20T09:29:41Z"}
                ]
            },
        }
        for n in range(200)
    ]
    (res / "nodes.json").write_text(
        json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": nodes}, indent=2)
    )
    per_namespace = pods // namespaces
    for ns_number in range(namespaces):
        namespace = f"team-{ns_number:03d}"
        items = [pod(namespace, ns_number * per_namespace + i) for i in range(per_namespace)]
        doc = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items}
        (res / "pods" / f"{namespace}.json").write_text(json.dumps(doc, indent=2))
        events = [
            {
                "kind": "Event",
                "apiVersion": "v1",
                "metadata": {"name": f"e{i}", "namespace": namespace},
                "involvedObject": {
                    "kind": "Pod",
                    "namespace": namespace,
                    "name": items[i]["metadata"]["name"],
                },
                "reason": "Pulled",
                "message": "Container image already present on machine",
                "type": "Normal",
                "lastTimestamp": "2026-11-20T09:20:00Z",
            }
            for i in range(0, per_namespace, 10)
        ]
        (res / "events" / f"{namespace}.json").write_text(
            json.dumps({"kind": "EventList", "apiVersion": "v1", "items": events}, indent=2)
        )
        for item in items[::20]:
            name = item["metadata"]["name"]
            logs = res / "pods" / "logs" / namespace / name
            logs.mkdir(parents=True)
            (logs / "app.log").write_text("".join(f"line {i} of the log\n" for i in range(500)))
            (logs / "app-previous.log").write_text("panic: boom\n")
            link = base / "all-logs" / namespace / name
            link.mkdir(parents=True)
            os.symlink(f"../../../cluster-resources/pods/logs/{namespace}/{name}/app.log", link / "app.log")
    archive = root / "support-bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(base, arcname=base.name)
    return archive


CHILD = """
import sys, time, json
from pathlib import Path
from tools.snapshot.importers import import_input
from tools.snapshot.loader import load_snapshot
from tools.snapshot.store import SnapshotStore
started = time.perf_counter()
report = import_input(Path(sys.argv[1]), Path(sys.argv[2]))
imported = time.perf_counter() - started
started = time.perf_counter()
store = SnapshotStore(load_snapshot(Path(sys.argv[2])))
loaded = time.perf_counter() - started
print(json.dumps({"import_s": imported, "load_s": loaded, "objects": report.objects, "logs": report.logs,
                  "skipped": len(report.skipped)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=None, help="where to write (default: the temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kubewhy-bench-import-", dir=args.workdir))
    try:
        started = time.perf_counter()
        archive = write_bundle(work, args.pods, args.namespaces)
        print(
            f"bundle: {args.pods:,} pods in {args.namespaces} namespaces, "
            f"{archive.stat().st_size / 1e6:.1f} MB .tar.gz (written in {time.perf_counter() - started:.1f}s)"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(archive), str(work / "snapshot")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=ROOT,
        )
        figures = json.loads(result.stdout)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"import: {figures['import_s']:.1f}s; {figures['objects']:,} objects, {figures['logs']:,} logs, "
            f"{figures['skipped']:,} skipped"
        )
        print(f"loading + indexing the imported snapshot: {figures['load_s']:.1f}s")
        print(f"the child process (import, then load): {cpu:.1f}s CPU, peak memory {peak_mb:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
