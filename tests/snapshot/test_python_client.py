"""The official kubernetes Python client, built from the written kubeconfig, against the server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.snapshot.fixtures import BULK_PODS, SECRET_PASSWORD, SECRET_TOKEN
from tools.snapshot.server import SnapshotServer


@pytest.fixture(scope="module")
def api_client(server: SnapshotServer) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(server.kubeconfig_path))
    yield api
    api.close()


@pytest.fixture(scope="module")
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


def test_kubeconfig_names_the_snapshot(server: SnapshotServer) -> None:
    _, active = config.list_kube_config_contexts(config_file=str(server.kubeconfig_path))
    assert active["name"] == "test-shop"
    assert active["context"]["cluster"] == "test-shop"


def test_read_and_label_selected_list(core: client.CoreV1Api) -> None:
    pod = core.read_namespaced_pod("api-1", "shop")
    assert [c.name for c in pod.spec.containers] == ["api", "proxy"]
    assert pod.metadata.uid and pod.metadata.resource_version and pod.metadata.creation_timestamp
    backend = core.list_namespaced_pod("shop", label_selector="tier in (backend),app!=web")
    assert [p.metadata.name for p in backend.items] == ["api-1"]
    assert backend.metadata.resource_version
    no_tier = core.list_pod_for_all_namespaces(label_selector="!tier,app notin (bulk)")
    assert [p.metadata.name for p in no_tier.items] == ["postgres-0", "job-1", "worker-1"]


def test_field_selectors(core: client.CoreV1Api) -> None:
    on_node_2 = core.list_pod_for_all_namespaces(
        field_selector="spec.nodeName=node-2,metadata.namespace!=bulk"
    )
    assert sorted(p.metadata.name for p in on_node_2.items) == ["postgres-0", "web-2"]
    not_running = core.list_namespaced_pod("shop", field_selector="status.phase!=Running")
    assert [p.metadata.name for p in not_running.items] == ["job-1"]
    events = core.list_namespaced_event("shop", field_selector="involvedObject.kind=Deployment,type=Normal")
    assert [e.reason for e in events.items] == ["ScalingReplicaSet"]
    with pytest.raises(ApiException) as raised:
        core.list_namespaced_pod("shop", field_selector="spec.bogus=1")
    assert raised.value.status == 400 and "field label not supported" in raised.value.body


def test_pagination_is_stable_and_complete(core: client.CoreV1Api) -> None:
    names, token, pages = [], None, 0
    while True:
        page = core.list_namespaced_pod("bulk", limit=10, _continue=token)
        names += [p.metadata.name for p in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == BULK_PODS - len(names)
    assert pages == 3
    assert names == [f"bulk-{i:02d}" for i in range(BULK_PODS)]
    selected, token = [], None
    while True:  # paging a selector never skips or repeats
        page = core.list_pod_for_all_namespaces(label_selector="shard=1", limit=3, _continue=token)
        selected += [p.metadata.name for p in page.items]
        token = page.metadata._continue
        if not token:
            break
    assert selected == [f"bulk-{i:02d}" for i in range(BULK_PODS) if i % 3 == 1]


def test_logs_with_options(core: client.CoreV1Api) -> None:
    since = core.read_namespaced_pod_log("web-1", "shop", container="app", since_seconds=120)
    assert since == "GET /cart 500\nTraceback: continuation of the 09:29 line\n"
    with pytest.raises(ApiException) as raised:
        core.read_namespaced_pod_log("api-1", "shop")
    assert raised.value.status == 400 and "choose one of: [api proxy]" in raised.value.body
    assert core.read_namespaced_pod_log("api-1", "shop", container="proxy") == "proxy ready\n"
    with pytest.raises(ApiException) as raised:
        core.read_namespaced_pod_log("web-1", "shop", previous=True)
    assert raised.value.status == 400 and "previous terminated container" in raised.value.body


def test_secret_values_never_returned(core: client.CoreV1Api) -> None:
    secret = core.read_namespaced_secret("db-credentials", "shop")
    assert set(secret.data) == {"password"}
    assert set(secret.string_data) == {"token"}
    text = str(secret.to_dict())
    assert SECRET_PASSWORD not in text and SECRET_TOKEN not in text


def test_not_found_and_write_refused(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as raised:
        core.read_namespaced_pod("nope", "shop")
    status = json.loads(raised.value.body)
    assert (status["kind"], status["reason"], status["message"]) == (
        "Status",
        "NotFound",
        'pods "nope" not found',
    )
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_config_map("shop", {"metadata": {"name": "x"}, "data": {"a": "b"}})
    assert raised.value.status == 405 and '"reason":"MethodNotAllowed"' in raised.value.body


def test_other_groups(api_client: client.ApiClient) -> None:
    deployment = client.AppsV1Api(api_client).read_namespaced_deployment("web", "shop")
    assert deployment.api_version == "apps/v1"  # filled from the built-in kinds table
    events = client.EventsV1Api(api_client).list_namespaced_event(
        "shop", field_selector="regarding.name=api-1"
    )
    assert [(e.reason, e.note, e.deprecated_count) for e in events.items] == [
        ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", 4)
    ]
    policies = client.CustomObjectsApi(api_client).list_cluster_custom_object(
        "example.com", "v1alpha1", "policies"
    )
    assert [p["metadata"]["name"] for p in policies["items"]] == ["global"]
    assert client.NetworkingV1Api(api_client).list_ingress_for_all_namespaces().items == []
