"""Objects agree with each other, as the API server would serve them."""

from __future__ import annotations

from app.demo import SHOP_SNAPSHOT
from tests.synth.helpers import objects_by_kind

BROKEN_ON_PURPOSE = {("shop", "cart")}  # selector mismatch: the demo's problem 4


def _index(objects):
    return {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
        for items in objects.values()
        for o in items
    }


def test_every_owner_reference_exists_with_its_uid() -> None:
    objects = objects_by_kind(SHOP_SNAPSHOT)
    index = _index(objects)
    checked = 0
    for kind in ("Pod", "ReplicaSet", "EndpointSlice"):
        for obj in objects[kind]:
            for ref in obj["metadata"].get("ownerReferences", []):
                owner = index.get((ref["kind"], obj["metadata"]["namespace"], ref["name"]))
                assert owner is not None, (
                    f"{kind} {obj['metadata']['name']}: owner {ref['kind']}/{ref['name']} missing"
                )
                assert owner["metadata"]["uid"] == ref["uid"]
                checked += 1
    assert checked > 40


def test_metadata_is_complete_and_unique() -> None:
    objects = objects_by_kind(SHOP_SNAPSHOT)
    uids = set()
    for items in objects.values():
        for obj in items:
            meta = obj["metadata"]
            assert meta["uid"] not in uids
            uids.add(meta["uid"])
            assert meta["creationTimestamp"].endswith("Z") and meta["resourceVersion"].isdigit()


def _matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def test_endpoints_match_ready_pods_unless_broken_on_purpose() -> None:
    objects = objects_by_kind(SHOP_SNAPSHOT)
    slices = {
        (s["metadata"]["namespace"], s["metadata"]["labels"]["kubernetes.io/service-name"]): s
        for s in objects["EndpointSlice"]
    }
    pods = objects["Pod"]
    for svc in objects["Service"]:
        selector = svc["spec"].get("selector")
        if not selector:
            continue
        key = (svc["metadata"]["namespace"], svc["metadata"]["name"])
        selected = [
            p
            for p in pods
            if p["metadata"]["namespace"] == key[0]
            and _matches(selector, p["metadata"]["labels"])
            and p["status"].get("podIP")
        ]
        ready = {
            p["status"]["podIP"]
            for p in selected
            if all(c["ready"] for c in p["status"]["containerStatuses"])
        }
        in_slice = {e["addresses"][0] for e in slices[key]["endpoints"] if e["conditions"]["ready"]}
        assert in_slice == ready, key
        if key in BROKEN_ON_PURPOSE:
            assert not selected and not slices[key]["endpoints"]
            assert [p for p in pods if p["metadata"]["labels"].get("app") == "cart"], "cart pods exist"
        else:
            assert selected, f"service {key} selects nothing"


def test_workload_status_counts_match_pods() -> None:
    objects = objects_by_kind(SHOP_SNAPSHOT)
    pods = objects["Pod"]
    for dep in objects["Deployment"]:
        mine = [
            p
            for p in pods
            if p["metadata"]["namespace"] == dep["metadata"]["namespace"]
            and _matches(dep["spec"]["selector"]["matchLabels"], p["metadata"]["labels"])
        ]
        ready = sum(
            1
            for p in mine
            if all(c["ready"] for c in p["status"].get("containerStatuses", [{"ready": False}]))
        )
        assert dep["status"]["replicas"] == len(mine), dep["metadata"]["name"]
        assert dep["status"].get("readyReplicas", 0) == ready, dep["metadata"]["name"]
        assert dep["status"]["observedGeneration"] == dep["metadata"]["generation"]


def test_events_point_at_existing_objects_and_pods_have_logs() -> None:
    objects = objects_by_kind(SHOP_SNAPSHOT)
    index = _index(objects)
    for event in objects["Event"]:
        ref = event["involvedObject"]
        target = index.get((ref["kind"], ref.get("namespace"), ref["name"]))
        assert target is not None and target["metadata"]["uid"] == ref["uid"], event["metadata"]["name"]
        assert event["firstTimestamp"] <= event["lastTimestamp"] <= "2026-11-20T09:30:00Z"
    for pod in objects["Pod"]:
        if pod["status"]["phase"] == "Running":
            for c in pod["spec"]["containers"]:
                path = (
                    SHOP_SNAPSHOT
                    / "logs"
                    / pod["metadata"]["namespace"]
                    / pod["metadata"]["name"]
                    / f"{c['name']}.log"
                )
                assert path.is_file(), path
