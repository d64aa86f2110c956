"""Every key kind a renderer promises (tools.contracts.printed.KINDS) is printed by some real tool output,
on exactly the lines its index names: a citation by key always has a line to quote."""

from __future__ import annotations

from pathlib import Path

from app.toolset import call_tool
from devkit.flow_synth import make_flow
from tests.flows.flow_builders import CART, WEB, file_context
from tests.kubernetes import k8s_builders as b
from tests.kubernetes.k8s_scenario import shop_objects
from tools.contracts.printed import KINDS, printed_key, reference_key
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import start_snapshot_server

WORKER = {"app": "worker"}


def worker_spec() -> dict:
    """A pod spec with a service account and every way of referencing a ConfigMap or Secret."""
    container = b.container("worker", "reg/shop/worker:v1")
    container["env"] = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]
    container["envFrom"] = [{"configMapRef": {"name": "worker-config"}}]
    return {
        "serviceAccountName": "worker-sa",
        "containers": [container],
        "volumes": [
            {"name": "tls", "secret": {"secretName": "worker-tls"}},
            {"name": "all", "projected": {"sources": [{"configMap": {"name": "shared"}}]}},
        ],
    }


def cluster(root: Path) -> Path:
    deployment = b.deployment("worker", "shop", 1, 1, "reg/shop/worker:v1", WORKER)
    template = deployment["spec"]["template"]
    template["spec"] = {**template["spec"], **worker_spec()}
    pod = b.pod("worker-5c4b3a2d1-zzzzz", "shop", WORKER, statuses=[b.running_status("worker", restarts=3)])
    pod["spec"] = {**pod["spec"], **worker_spec()}
    return b.write_snapshot(root, [*shop_objects(), deployment, pod])


def printed_by(result) -> dict[str, list[str]]:
    assert not result.error, result.text
    index = result.data["printed"]
    lines = result.text.splitlines()
    for key, shown in index.items():
        assert key.split("/")[0] in KINDS, key
        assert shown and all(line in lines for line in shown), (key, shown)
    return index


def test_every_key_kind_is_printed_on_the_lines_its_index_names(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}
    with start_snapshot_server(cluster(tmp_path / "snapshot")) as server:
        kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        ctx = ToolContext(settings=Settings(), kube=kube, cluster_name="shop-prod", fixed_now=b.NOW)
        try:
            for kind, name in [
                ("Pod", "worker-5c4b3a2d1-zzzzz"),
                ("Deployment", "worker"),
                ("Deployment", "checkout"),
                ("Service", "checkout"),
            ]:
                args = {"kind": kind, "name": name, "namespace": "shop"}
                seen.update(printed_by(call_tool(ctx, "k8s_describe", args)))
        finally:
            kube.close()
    reset = make_flow(b.NOW, CART, WEB, source_port=8081, flags=("RST", "ACK"), is_reply=True)
    flows = file_context(tmp_path / "flows", [reset])
    seen.update(printed_by(call_tool(flows, "flows_query", {})))

    assert {key.split("/")[0] for key in seen} == set(KINDS)
    assert any(
        "serviceAccount=worker-sa" in line for line in seen[printed_key("service-account", "worker-sa")]
    )
    assert "restarts=3" in seen[printed_key("restarts", "worker")][0]
    for reference in (
        reference_key("Secret", "db", "pw"),
        reference_key("ConfigMap", "worker-config"),
        reference_key("Secret", "worker-tls"),
        reference_key("ConfigMap", "shared"),
    ):
        assert reference in seen, reference
    assert printed_key("flow-pod", CART.namespace, CART.name) in seen
