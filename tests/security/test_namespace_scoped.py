"""The namespace-scoped install: with `KUBEWHY_NAMESPACES` kubewhy reads namespaced kinds only in the listed
namespaces. A fault proxy in front of the demo snapshot's API server plays the RBAC of that install (Roles
in shop and data, no ClusterRole): every list outside those namespaces and every cluster-scoped kind gets
403, as a real API server would answer. The proxy records every request, so tests can prove that no
cluster-wide list of a namespaced kind was sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.diagnose.engine import diagnose
from app.toolset import call_tool
from tests.security.fault_proxy import Fault, FaultProxy
from tests.security.test_faults import FORBIDDEN
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.flows.connect import open_flow_source
from tools.kubernetes.access import KubeAccess
from tools.snapshot.kubeconfig import write_kubeconfig
from tools.snapshot.server import start_snapshot_server

ROOT = Path(__file__).resolve().parents[2]
PERMITTED = ["shop", "data"]
DISCOVERY = re.compile(r"^/(version|api|api/v1|apis|apis/[^/]+/[^/]+)/?$")
IN_PERMITTED = re.compile(r"/namespaces/(shop|data)/")
CLUSTER_WIDE_POD_LIST = re.compile(r"^/api/v1/pods/?$")
CLUSTER_SCOPED = {
    "namespaces", "nodes", "persistentvolumes", "storageclasses", "ingressclasses", "clusterroles",
    "clusterrolebindings",
}  # fmt: skip


def roles_in_shop_and_data(method: str, path: str, count: int) -> Fault | None:
    """What the API server answers a ServiceAccount bound by Roles in shop and data only."""
    bare = urlsplit(path).path
    if DISCOVERY.match(bare) or IN_PERMITTED.search(bare):
        return None
    return Fault(403, {"Content-Type": "application/json"}, FORBIDDEN)


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ToolContext, FaultProxy]]:
    settings = Settings(llm="none", namespaces=PERMITTED)
    with (
        start_snapshot_server(ROOT / "app" / "demo" / "shop") as server,
        FaultProxy(server.url, roles_in_shop_and_data) as proxy,
    ):
        kubeconfig = write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig", proxy.url, "shop-prod")
        kube = KubeAccess.from_kubeconfig(str(kubeconfig), namespaces=settings.namespaces)
        ctx = ToolContext(
            settings=settings,
            kube=kube,
            flows=open_flow_source(settings, server.snapshot.flow_files),
            cluster_name="shop-prod",
            fixed_now=server.snapshot.meta.captured_at,
        )
        ctx.unavailable["prometheus"] = "not configured in this test"
        try:
            yield ctx, proxy
        finally:
            kube.close()


def requests_since(proxy: FaultProxy, start: int) -> list[str]:
    return [urlsplit(seen.path).path for seen in proxy.seen[start:]]


def cluster_wide_lists_of_namespaced_kinds(paths: list[str]) -> list[str]:
    return [
        p
        for p in paths
        if not DISCOVERY.match(p) and "/namespaces/" not in p and p.rsplit("/", 1)[-1] not in CLUSTER_SCOPED
    ]


def test_checkout_is_still_diagnosed_without_a_flood_of_403_notes(scoped):
    ctx, proxy = scoped
    start = len(proxy.seen)
    diagnosis = diagnose(ctx, "Why are customers' orders failing at checkout?")
    top = diagnosis.findings[0]
    assert (top.resource.kind, top.resource.namespace, top.resource.name) == (
        "NetworkPolicy",
        "data",
        "postgres-allow-catalog",
    )
    assert diagnosis.summary.count("could not read") == 1, diagnosis.summary
    assert "could not read Namespace, Node, PersistentVolume, StorageClass" in diagnosis.summary
    assert "kubewhy may read only namespaces shop, data" in diagnosis.summary
    paths = requests_since(proxy, start)
    namespaced = [p for p in paths if "/namespaces/" in p]
    assert namespaced and all(IN_PERMITTED.search(p) for p in namespaced), namespaced
    assert cluster_wide_lists_of_namespaced_kinds(paths) == []


def test_a_question_about_another_namespace_says_it_is_not_permitted(scoped):
    ctx, proxy = scoped
    start = len(proxy.seen)
    diagnosis = diagnose(ctx, "Is anything wrong in the monitoring namespace?")
    assert "Namespace monitoring is outside kubewhy's permitted namespaces (shop, data)" in diagnosis.summary
    assert "There is no namespace" not in diagnosis.summary
    assert diagnosis.findings == []
    assert not [p for p in requests_since(proxy, start) if "/namespaces/monitoring" in p]


def test_the_namespace_option_outside_the_permitted_ones_is_refused_plainly(scoped):
    ctx, _ = scoped
    diagnosis = diagnose(ctx, "why is prometheus slow?", namespace="monitoring")
    assert "Namespace monitoring is outside kubewhy's permitted namespaces" in diagnosis.summary
    assert diagnosis.findings == []


def test_a_whole_cluster_question_reviews_the_permitted_namespaces(scoped):
    ctx, proxy = scoped
    start = len(proxy.seen)
    diagnosis = diagnose(ctx, "Is anything wrong?")
    assert diagnosis.findings
    assert {f.resource.namespace for f in diagnosis.findings} <= {"shop", "data", None}
    assert not [f.title for f in diagnosis.findings if "IngressClass" in f.title]  # unread, not absent
    paths = requests_since(proxy, start)
    assert any(p.startswith("/api/v1/namespaces/data/pods") for p in paths)
    assert cluster_wide_lists_of_namespaced_kinds(paths) == []


def test_listing_pods_without_a_namespace_lists_the_permitted_ones_only(scoped):
    ctx, proxy = scoped
    start = len(proxy.seen)
    result = call_tool(ctx, "k8s_list", {"kind": "pods"})
    assert result.ok, result.error
    namespaces = {item["namespace"] for item in result.data["items"]}
    assert namespaces == {"shop", "data"}
    paths = requests_since(proxy, start)
    assert not [p for p in paths if CLUSTER_WIDE_POD_LIST.match(p)], paths
    assert "/api/v1/namespaces/shop/pods" in paths and "/api/v1/namespaces/data/pods" in paths
    assert all(seen.status != 403 for seen in proxy.seen[start:])


def test_reading_another_namespace_is_refused_before_it_is_sent(scoped):
    ctx, proxy = scoped
    start = len(proxy.seen)
    result = call_tool(ctx, "k8s_list", {"kind": "pods", "namespace": "monitoring"})
    assert not result.ok
    assert "outside kubewhy's permitted namespaces (shop, data" in result.error
    assert not [p for p in requests_since(proxy, start) if "/namespaces/monitoring" in p]


def test_overview_covers_the_permitted_namespaces_and_says_nodes_are_not_readable(scoped):
    ctx, proxy = scoped
    start = len(proxy.seen)
    result = call_tool(ctx, "k8s_overview", {})
    assert result.ok, result.error
    assert "namespaces shop, data (the ones kubewhy may read)" in result.text
    assert "Nodes: not readable" in result.text
    assert result.data["pods"]["total"] > 0
    assert not [p for p in requests_since(proxy, start) if CLUSTER_WIDE_POD_LIST.match(p)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('["shop","data"]', ["shop", "data"]), ("shop, data,shop", ["shop", "data"]), ("", [])],
)
def test_the_setting_takes_a_json_list_or_commas(monkeypatch, raw, expected):
    monkeypatch.setenv("KUBEWHY_NAMESPACES", raw)
    assert Settings.load().namespaces == expected


def test_a_bad_namespace_name_is_one_clear_configuration_error(monkeypatch):
    from tools.contracts.settings import ConfigError

    monkeypatch.setenv("KUBEWHY_NAMESPACES", "shop,Data_1")
    with pytest.raises(ConfigError, match=r"namespaces: .*not a namespace name: Data_1"):
        Settings.load()
