from datetime import UTC, datetime

import pytest

from app.diagnose.question import NamedObject
from app.diagnose.router import route
from tools.contracts.diagnosis import Category

INVENTORY = [
    NamedObject("Namespace", None, "shop"),
    NamedObject("Namespace", None, "data"),
    NamedObject("Deployment", "shop", "checkout"),
    NamedObject("Deployment", "shop", "payments"),
    NamedObject("Deployment", "shop", "frontend"),
    NamedObject("Service", "shop", "cart"),
    NamedObject("StatefulSet", "data", "postgres"),
]
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "namespaces", "targets", "hint"),
    [
        ("why is checkout failing?", [], {"checkout"}, Category.AppCrash),
        ("why does the Payments pod keep restarting", [], {"payments"}, Category.AppCrash),
        ("is the chekout service slow?", [], {"checkout"}, Category.CPUThrottling),  # near-miss spelling
        ("what's wrong in the shop ns", ["shop"], set(), None),
        ("Why can't Checkout reach Postgres", [], {"checkout", "postgres"}, Category.NetworkPolicyBlocked),
        ("carts are down", [], {"cart"}, Category.ServiceNoEndpoints),  # plural
    ],
)
def test_route_ties_words_to_cluster_names(question, namespaces, targets, hint):
    scope = route(question, INVENTORY, NOW)
    assert scope.namespaces == namespaces
    assert scope.target_names == targets
    if hint is not None:
        assert hint in scope.hinted
    assert not scope.whole_cluster


def test_unknown_name_is_reported_with_close_names():
    scope = route("why is the checkouts-api service down?", INVENTORY, NOW)
    assert scope.target_names == {"checkout"}  # 'checkouts' matches via the plural rule
    scope = route("why is the orders service down?", INVENTORY, NOW)
    assert scope.unknown and scope.unknown[0][0] == "orders"
    assert scope.whole_cluster


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("slow since 9:00", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        ("errors since 10pm", datetime(2026, 11, 19, 22, 0, tzinfo=UTC)),
        ("restarts in the last 30 minutes", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        ("why is it slow", None),
    ],
)
def test_time_expressions(question, expected):
    assert route(question, INVENTORY, NOW).since == expected


def test_whole_cluster_question():
    assert route("anything wrong with the cluster?", INVENTORY, NOW).whole_cluster


def test_a_name_in_many_namespaces_means_the_one_in_the_namespace_named():
    inventory = [
        *INVENTORY,
        NamedObject("Namespace", None, "staging"),
        NamedObject("Deployment", "staging", "checkout"),
    ]
    scope = route("checkout in staging can't reach postgres", inventory, NOW)
    assert scope.namespaces == ["staging"]
    assert {(t.namespace, t.name) for t in scope.targets} == {("staging", "checkout"), ("data", "postgres")}
    both = route("why is checkout failing?", inventory, NOW)
    assert {t.namespace for t in both.targets} == {"shop", "staging"}


def test_an_ingress_host_names_its_ingress():
    inventory = [*INVENTORY, NamedObject("Ingress", "shop", "storefront", ("shop.example.com",))]
    scope = route("browsers say the shop.example.com cert is expired", inventory, NOW)
    assert [(t.kind, t.namespace, t.name) for t in scope.targets] == [("Ingress", "shop", "storefront")]
    assert not scope.whole_cluster


def test_alert_labels_pasted_as_key_value_read_as_words():
    from app.diagnose.router import alert_labels_as_words

    pasted = "[FIRING:1] KubeDeploymentReplicasMismatch namespace=shop deployment=checkout severity=warning"
    assert alert_labels_as_words(pasted) == (
        "[FIRING:1] KubeDeploymentReplicasMismatch deployment checkout in namespace shop"
    )
    assert alert_labels_as_words('pod="cart-7d9f8c6b5-x2lqp", container="app"') == "pod cart-7d9f8c6b5-x2lqp"
    assert alert_labels_as_words("why is a=b failing") == "why is a=b failing"  # no label it knows
