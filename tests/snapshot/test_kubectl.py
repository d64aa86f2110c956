"""The real kubectl against the snapshot API server."""

from __future__ import annotations

import re

from tests.snapshot.conftest import KubectlRunner
from tools.snapshot.server import SnapshotServer


def _rows(output: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in output.strip().splitlines()]


def test_get_pods_all_namespaces_prints_usual_columns(kubectl: KubectlRunner) -> None:
    result = kubectl("get", "pods", "-A")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["worker-1"] == ["shop", "worker-1", "0/1", "CrashLoopBackOff", "7 (10m ago)", "90m"]
    assert by_name["api-1"][2:4] == ["2/2", "Running"]
    assert by_name["job-1"][3] == "Succeeded"
    assert by_name["postgres-0"][0] == "data"
    assert len(by_name) == 6 + 25


def test_get_pods_by_label_in_namespace(kubectl: KubectlRunner) -> None:
    result = kubectl("get", "pods", "-l", "app=web", "-n", "shop", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pod/web-1", "pod/web-2"]


def test_describe_pod_shows_its_events(kubectl: KubectlRunner) -> None:
    result = kubectl("describe", "pod", "worker-1", "-n", "shop")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Name:\s+worker-1$", result.stdout, re.M)
    assert re.search(r"Reason:\s+CrashLoopBackOff", result.stdout)
    assert re.search(
        r"Warning\s+BackOff\s+.*\(x12 over .*Back-off restarting failed container", result.stdout
    )


def test_logs_current_and_previous(kubectl: KubectlRunner) -> None:
    current = kubectl("logs", "worker-1", "-n", "shop")
    previous = kubectl("logs", "worker-1", "-n", "shop", "--previous")
    assert current.returncode == 0 and previous.returncode == 0, current.stderr + previous.stderr
    assert current.stdout == "starting worker\n"
    assert previous.stdout == "panic: missing DB_URL\n"


def test_logs_tail_and_timestamps(kubectl: KubectlRunner) -> None:
    result = kubectl("logs", "web-1", "-n", "shop", "--tail=2", "--timestamps")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2026-11-20T09:29:00Z GET /cart 500",
        "Traceback: continuation of the 09:29 line",
    ]


def test_get_events_by_involved_object(kubectl: KubectlRunner) -> None:
    result = kubectl("get", "events", "-n", "shop", "--field-selector", "involvedObject.name=worker-1")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert rows[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows[1:] == [["60s", "Warning", "BackOff", "pod/worker-1", "Back-off restarting failed container"]]


def test_delete_is_refused_and_object_stays(kubectl: KubectlRunner, server: SnapshotServer) -> None:
    result = kubectl("delete", "pod", "web-1", "-n", "shop", "--wait=false")
    assert result.returncode != 0
    assert "MethodNotAllowed" in result.stderr
    deletes = [r for r in server.requests if r.method == "DELETE"]
    assert [(r.path, r.status) for r in deletes] == [("/api/v1/namespaces/shop/pods/web-1", 405)]
    again = kubectl("get", "pod", "web-1", "-n", "shop", "-o", "name")
    assert again.returncode == 0 and again.stdout.strip() == "pod/web-1"


def test_tables_for_other_kinds(kubectl: KubectlRunner) -> None:
    result = kubectl("get", "nodes,deployments,services", "-n", "shop")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert re.search(r"node/node-2\s+NotReady\s+worker\s+19d\s+v1\.31\.2", text)
    assert re.search(r"deployment\.apps/web\s+2/2\s+2\s+2\s+24h", text)
    assert re.search(
        r"service/shop-lb\s+LoadBalancer\s+10\.96\.0\.21\s+<pending>\s+443:30443/TCP\s+24h", text
    )


def test_empty_builtin_kind_and_custom_kind(kubectl: KubectlRunner) -> None:
    empty = kubectl("get", "ingresses", "-A")
    assert empty.returncode == 0 and "No resources found" in empty.stderr
    custom = kubectl("get", "servicemonitors", "-n", "shop")
    assert custom.returncode == 0, custom.stderr
    assert _rows(custom.stdout)[0] == ["NAME", "AGE"]
    assert _rows(custom.stdout)[1][0] == "web"


def test_watch_does_not_hang(kubectl: KubectlRunner) -> None:
    result = kubectl("get", "pods", "-n", "shop", "--watch-only", "--request-timeout=10s")
    assert result.returncode != 0
    assert "MethodNotAllowed" in result.stderr  # refused at once: kubectl does not show the Status text
