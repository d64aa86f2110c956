"""Raw HTTP against the snapshot API server: discovery, refusals, Tables, redaction, concurrency."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.snapshot.fixtures import SECRET_PASSWORD, SECRET_TOKEN
from tools.snapshot.server import SnapshotServer

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.fixture(scope="module")
def http(server: SnapshotServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as session:
        yield session


def _status(response: httpx.Response, code: int, reason: str) -> dict:
    body = response.json()
    assert response.status_code == code
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", reason, code)
    return body


def test_discovery(http: httpx.Client) -> None:
    assert http.get("/version").json()["gitVersion"] == "v1.31.2"
    assert http.get("/api").json()["versions"] == ["v1"]
    core = {r["name"]: r for r in http.get("/api/v1").json()["resources"]}
    assert core["pods"]["namespaced"] and core["pods"]["shortNames"] == ["po"]
    assert core["pods"]["verbs"] == ["get", "list", "watch"]
    assert "pods/log" in core and not core["nodes"]["namespaced"]
    groups = {g["name"]: g["preferredVersion"]["version"] for g in http.get("/apis").json()["groups"]}
    assert groups["apps"] == "v1" and groups["networking.k8s.io"] == "v1"
    assert groups["monitoring.coreos.com"] == "v1" and groups["example.com"] == "v1alpha1"
    custom = {r["name"]: r for r in http.get("/apis/example.com/v1alpha1").json()["resources"]}
    assert custom["policies"]["kind"] == "Policy" and custom["policies"]["namespaced"] is False
    monitors = http.get("/apis/monitoring.coreos.com/v1").json()["resources"]
    assert [(r["name"], r["namespaced"]) for r in monitors] == [("servicemonitors", True)]


def test_unknown_paths_are_404_status(http: httpx.Client) -> None:
    for path in ("/apis/nope/v1", "/api/v2", "/api/v1/widgets", "/openapi/v2", "/api/v1/pods/web-1"):
        _status(http.get(path), 404, "NotFound")
    body = _status(http.get("/apis/apps/v1/namespaces/shop/deployments/nope"), 404, "NotFound")
    assert body["message"] == 'deployments.apps "nope" not found'


def test_every_write_method_is_refused(http: httpx.Client, server: SnapshotServer) -> None:
    path = "/api/v1/namespaces/shop/configmaps"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = http.request(method, path + "/x", json={"metadata": {"name": "x"}})
        body = _status(response, 405, "MethodNotAllowed")
        assert "read-only" in body["message"]
    assert http.head("/api/v1/pods").status_code == 405
    assert http.get("/api/v1/namespaces/shop/pods/web-1").status_code == 200  # connection still in step
    methods = {r.method for r in server.requests if r.status == 405}
    assert {"POST", "PUT", "PATCH", "DELETE", "HEAD"} <= methods


def test_watch_is_refused_clearly(http: httpx.Client) -> None:
    for path in ("/api/v1/pods?watch=true", "/api/v1/watch/namespaces/shop/pods"):
        body = _status(http.get(path), 405, "MethodNotAllowed")
        assert "watch is not supported" in body["message"]


def test_list_metadata_and_defaults(http: httpx.Client) -> None:
    pods = http.get("/api/v1/namespaces/shop/pods").json()
    assert pods["kind"] == "PodList" and pods["apiVersion"] == "v1" and pods["metadata"]["resourceVersion"]
    for item in pods["items"]:
        meta = item["metadata"]
        assert item["kind"] == "Pod" and meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    namespaces = http.get("/api/v1/namespaces").json()["items"]
    assert [n["metadata"]["name"] for n in namespaces] == ["bulk", "data", "shop"]
    assert http.get("/api/v1/namespaces/data").json()["status"]["phase"] == "Active"


def test_yaml_typed_values_are_served_as_the_api_would(http: httpx.Client) -> None:
    volumes = http.get("/api/v1/persistentvolumes", params={"labelSelector": "tier=1"}).json()["items"]
    assert [v["metadata"]["name"] for v in volumes] == ["pv-1"]
    meta = volumes[0]["metadata"]
    assert meta["creationTimestamp"] == "2026-11-19T09:30:00Z"
    assert (meta["labels"], meta["annotations"]) == ({"tier": "1"}, {"backup": "true"})


def test_selector_errors_are_400(http: httpx.Client) -> None:
    _status(http.get("/api/v1/pods", params={"labelSelector": "app in (web"}), 400, "BadRequest")
    _status(http.get("/api/v1/pods", params={"continue": "garbage"}), 400, "BadRequest")
    _status(http.get("/api/v1/pods", params={"limit": "ten"}), 400, "BadRequest")


def test_pod_table_columns_and_row_objects(http: httpx.Client) -> None:
    table = http.get("/api/v1/namespaces/shop/pods", headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns[:5] == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0)]
    assert ("Node", 1) in columns
    rows = {row["cells"][0]: row for row in table["rows"]}
    assert rows["worker-1"]["cells"][:5] == ["worker-1", "0/1", "CrashLoopBackOff", "7 (10m ago)", "90m"]
    assert rows["web-1"]["object"]["kind"] == "PartialObjectMetadata"
    assert rows["web-1"]["object"]["metadata"]["namespace"] == "shop"
    full = http.get(
        "/api/v1/namespaces/shop/pods/web-1", params={"includeObject": "Object"}, headers={"Accept": TABLE}
    ).json()
    assert full["rows"][0]["object"]["spec"]["nodeName"] == "node-1"


def test_tables_for_events_and_generic_kinds(http: httpx.Client) -> None:
    events = http.get("/api/v1/namespaces/shop/events", headers={"Accept": TABLE}).json()
    names = [c["name"] for c in events["columnDefinitions"] if c["priority"] == 0]
    assert names == ["Last Seen", "Type", "Reason", "Object", "Message"]
    unhealthy = next(r for r in events["rows"] if r["cells"][2] == "Unhealthy")
    assert unhealthy["cells"][3] == "pod/api-1" and unhealthy["cells"][8] == 4
    generic = http.get("/apis/example.com/v1alpha1/policies", headers={"Accept": TABLE}).json()
    assert [c["name"] for c in generic["columnDefinitions"]] == ["Name", "Age"]
    assert generic["rows"][0]["cells"] == ["global", "0s"]  # no creationTimestamp: created "now"


def test_partial_object_metadata_list(http: httpx.Client) -> None:
    accept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    result = http.get("/api/v1/namespaces/shop/services", headers={"Accept": accept}).json()
    assert result["kind"] == "PartialObjectMetadataList"
    assert [i["metadata"]["name"] for i in result["items"]] == ["shop-lb", "web"]
    assert "spec" not in result["items"][0]


def test_pod_log_options(http: httpx.Client) -> None:
    path = "/api/v1/namespaces/shop/pods/web-1/log"
    response = http.get(path, params={"timestamps": "true", "sinceTime": "2026-11-20T09:00:00Z"})
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.splitlines() == [
        "2026-11-20T09:00:00Z GET / 200",
        "2026-11-20T09:29:00Z GET /cart 500",
        "Traceback: continuation of the 09:29 line",
    ]
    assert http.get(path, params={"tailLines": "0"}).text == ""
    assert http.get(path, params={"limitBytes": "5"}).text == "start"
    assert http.get(path, params={"follow": "true", "tailLines": "1"}).text.endswith("09:29 line\n")
    _status(http.get(path, params={"container": "nope"}), 400, "BadRequest")
    _status(http.get(path, params={"sinceSeconds": "0"}), 400, "BadRequest")
    _status(http.get("/api/v1/namespaces/shop/pods/ghost/log"), 404, "NotFound")
    assert http.get("/api/v1/namespaces/shop/pods/job-1/log").text == ""  # no log file: empty


def test_secret_values_never_leave_the_server(http: httpx.Client) -> None:
    forbidden = [SECRET_PASSWORD, SECRET_TOKEN, base64.b64encode(SECRET_PASSWORD.encode()).decode()]
    bodies = []
    resources = [("/api/v1", r) for r in http.get("/api/v1").json()["resources"]]
    for group in http.get("/apis").json()["groups"]:
        prefix = f"/apis/{group['preferredVersion']['groupVersion']}"
        resources += [(prefix, r) for r in http.get(prefix).json()["resources"]]
    for prefix, resource in resources:
        if "/" in resource["name"]:
            continue
        for accept in ("application/json", TABLE):
            response = http.get(
                f"{prefix}/{resource['name']}", params={"includeObject": "Object"}, headers={"Accept": accept}
            )
            assert response.status_code == 200, (prefix, resource["name"])
            bodies.append(response.text)
    secret = http.get("/api/v1/namespaces/shop/secrets/db-credentials")
    bodies.append(secret.text)
    assert secret.json()["data"] == {"password": base64.b64encode(b"REDACTED").decode()}
    assert secret.json()["stringData"] == {"token": "REDACTED"}
    assert any("db-credentials" in body for body in bodies[:-1])
    for body in bodies:
        for value in forbidden:
            assert value not in body


def test_concurrent_requests(http: httpx.Client, server: SnapshotServer) -> None:
    paths = ["/api/v1/namespaces/bulk/pods?labelSelector=shard%3D2", "/api/v1/nodes", "/apis/apps/v1"] * 20

    limits = httpx.Limits(max_connections=12)
    with (
        httpx.Client(base_url=server.url, timeout=10, limits=limits) as shared,
        ThreadPoolExecutor(12) as pool,
    ):
        assert set(pool.map(lambda path: shared.get(path).status_code, paths)) == {200}
