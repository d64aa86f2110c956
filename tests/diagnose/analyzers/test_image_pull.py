"""ImagePull analyzer: wrong tag vs registry auth, told apart by the Failed event message."""

from __future__ import annotations

import pytest

from app.diagnose.analyzers import image_pull
from tests.diagnose.analyzers.factories import deployment, event, facts, replicaset
from tests.diagnose.analyzers.workload_factories import culprits, running_status, waiting_status, workload_pod

POD = "api-6d8f7b9c4-k2m4n"
RS = "api-6d8f7b9c4"
NOT_FOUND = (
    'Failed to pull image "registry.example.com/shop/api:v2.3.1x": rpc error: code = NotFound '
    'desc = failed to pull and unpack image "registry.example.com/shop/api:v2.3.1x": failed to resolve '
    'reference "registry.example.com/shop/api:v2.3.1x": registry.example.com/shop/api:v2.3.1x: not found'
)
DENIED = (
    'Failed to pull image "private.example.com/team/worker:1.4": rpc error: code = Unknown '
    "desc = failed to pull and unpack image: "
    "pull access denied, repository does not exist or may require authorization"
)


def pulling(
    reason="ImagePullBackOff", message='Back-off pulling image "registry.example.com/shop/api:v2.3.1x"'
):
    return workload_pod(POD, owner_rs=RS, statuses=[waiting_status("app", reason, message)])


CASES = [
    (
        "tag not found",
        facts(
            deployment("api", available=1),
            replicaset("api", "6d8f7b9c4"),
            pulling(),
            events=[
                event("Pod", POD, "Failed", NOT_FOUND, count=4),
                event("Pod", POD, "Failed", "Error: ErrImagePull"),
            ],
        ),
        [("ImagePull", "Deployment", "shop", "api")],
    ),
    (
        "private registry without pull secret",
        facts(
            deployment("api", available=0),
            pulling("ErrImagePull", "ErrImagePull"),
            events=[event("Pod", POD, "Failed", DENIED)],
        ),
        [("ImagePull", "Deployment", "shop", "api")],
    ),
    (
        "image pulled after all: pod running, old Failed event",
        facts(
            deployment("api"),
            workload_pod(POD, owner_rs=RS, ready=True, statuses=[running_status()]),
            events=[event("Pod", POD, "Failed", NOT_FOUND, last_minutes_ago=200)],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_image_pull(name, given, expected):
    assert culprits(image_pull.analyze(given)) == expected


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (NOT_FOUND, "not_found"),
        (DENIED, "auth"),
        ("dial tcp: lookup quay.example: no such host", "unreachable"),
    ],
)
def test_classify(message, kind):
    assert image_pull.classify(message) == kind


def test_auth_case_says_pull_secret_and_cites_event():
    given = facts(
        deployment("api", available=0),
        pulling("ErrImagePull", "ErrImagePull"),
        events=[event("Pod", POD, "Failed", DENIED)],
    )
    (found,) = image_pull.analyze(given)
    assert "no imagePullSecrets" in found.explanation
    assert any(
        cite.ref.kind == "events" and cite.needle.startswith("Failed to pull image") for cite in found.cites
    )


def test_the_reason_comes_from_the_event_that_tells_it_not_the_newest():
    """A real kubelet's newest Failed event is "Error: ImagePullBackOff"; the pull error that says why came
    minutes before it, and it is what the finding reads and cites."""
    given = facts(
        deployment("api", available=0),
        replicaset("api", "6d8f7b9c4"),
        pulling(),
        events=[
            event("Pod", POD, "Failed", DENIED, count=6, last_minutes_ago=4),
            event("Pod", POD, "Failed", "Error: ImagePullBackOff", count=118, last_minutes_ago=0.5),
        ],
    )
    [found] = image_pull.analyze(given)
    assert "registry refuses access" in found.title and "no imagePullSecrets" in found.explanation
    [cited] = [cite.needle for cite in found.cites if cite.ref.kind == "events"]
    assert "Failed to pull image" in cited and "ImagePullBackOff" not in cited
