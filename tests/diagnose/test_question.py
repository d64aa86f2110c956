"""The typed question (router.route_question and intent.read_intent): what kind of question, about what,
over which window, and how a follow-up takes the previous turn's subject. Pure functions, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.diagnose.intent import asks_about_its_pods, asks_about_traffic_to, read_intent
from app.diagnose.question import NamedObject, PreviousTurn
from app.diagnose.router import route_question
from tools.contracts.diagnosis import ResourceRef

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
INVENTORY = [
    NamedObject("Namespace", None, "shop"),
    NamedObject("Namespace", None, "data"),
    NamedObject("Namespace", None, "billing"),
    NamedObject("Deployment", "shop", "checkout"),
    NamedObject("Deployment", "shop", "payments"),
    NamedObject("Deployment", "shop", "cart"),
    NamedObject("Service", "shop", "cart"),
    NamedObject("Deployment", "billing", "billing-worker"),
    NamedObject("Deployment", "billing", "invoices"),
    NamedObject("StatefulSet", "data", "postgres"),
    NamedObject("Ingress", "shop", "shop", aliases=("shop.example.com",)),
    NamedObject("Node", None, "worker-2"),
]


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("why is checkout failing?", "diagnose"),
        ("payments pod keeps restarting??", "diagnose"),  # a symptom stated, not a yes/no question
        ("cart throwing errors, redis related?", "diagnose"),
        ("is checkout healthy?", "status"),
        ("redis ok?", "status"),
        ("checkout had a restart, is it ok?", "status"),
        ("Is anything wrong with the database?", "status"),
        ("Is the cart service still running out of memory?", "occurrence"),
        ("did postgres-0 get oomkilled?", "occurrence"),
        ("KubeContainerOOMKilled on postgres?", "occurrence"),
        ("are pods getting evicted on worker-2?", "occurrence"),
        ("when did that start, and what changed right before it?", "onset"),
        ("catalog slow, since when?", "onset"),
        ("how do I fix it?", "remediation"),
        ("fix?", "remediation"),
        ("which pods restart the most?", "ranking"),
        ("top cpu pods?", "ranking"),
        ("KubePodCrashLooping firing in shop, whats up", "diagnose"),
    ],
)
def test_the_kind_of_question_is_read_from_its_words(question, intent):
    assert read_intent(question).intent == intent


@pytest.mark.parametrize(
    ("question", "intent", "subject"),
    [  # "healthy" is not a name
        ("is checkout healthy?", "status", ("Deployment", "shop", "checkout")),
        ("billing worker refused by invoices", "diagnose", ("Deployment", "billing", "billing-worker")),
        ("KubePodCrashLooping pod=payments-lm2kvkchd7-d9zdb", "diagnose", ("Deployment", "shop", "payments")),
        ("checkout.shop.svc.cluster.local timing out", "diagnose", ("Deployment", "shop", "checkout")),
        ("shop.example.com is timing out", "diagnose", ("Ingress", "shop", "shop")),
        ("db ok??", "status", ("StatefulSet", "data", "postgres")),
        ("anything wrong with the shop namespace", "status", ("Namespace", None, "shop")),
        ("what's wrong in the billing ns?", "review", None),
        ("anything broken in billing?", "review", None),
        ("whats broken rn", "review", None),
        ("is worker-2 ok", "status", ("Node", None, "worker-2")),
    ],
)  # fmt: skip
def test_the_subject_is_the_object_first_named_as_the_cluster_names_it(question, intent, subject):
    asked = route_question(question, INVENTORY, NOW)
    assert asked.intent == intent
    got = (asked.subject.kind, asked.subject.namespace, asked.subject.name) if asked.subject else None
    assert got == subject
    assert not asked.missing


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("why is inventory down?", "inventory"),
        ("is the payments-gateway healthy", "payments-gateway"),  # not the pod of payments
        ("wallet-api keeps crashing", "wallet-api"),
        ("whats up with the ledger service", "ledger"),
        ("is payments-api ok?", "payments-api"),  # a part more than payments: not its typo
        ("is worker-7 down", "worker-7"),  # another number than worker-2: another node
        ("is image-resizer up?", "image-resizer"),  # where the subject stands, like nothing here
        ("es cluster down?", "es"),  # "<name> cluster": a service run as a cluster, however short
        ("is the kafka cluster ok", "kafka"),
    ],
)
def test_a_name_that_does_not_exist_is_missing_with_the_closest_names(question, word):
    asked = route_question(question, INVENTORY, NOW)
    assert asked.subject is None
    [(missing, close)] = asked.missing
    assert missing == word and close  # the closest names that do exist


def test_an_unrecognised_question_is_a_review_and_says_so():
    asked = route_question("banana", INVENTORY, NOW)
    assert asked.intent == "review" and not asked.recognised


def test_a_follow_up_takes_the_previous_subject_culprit_namespace_and_window():
    previous = PreviousTurn(
        question="why is checkout failing since 9:00?",
        intent="diagnose",
        subject=ResourceRef(kind="Deployment", namespace="shop", name="checkout"),
        culprit=ResourceRef(kind="NetworkPolicy", namespace="data", name="postgres-allow-catalog"),
    )
    onset = route_question("when did that start?", INVENTORY, NOW, previous)
    assert onset.intent == "onset" and onset.follow_up
    assert (onset.subject.kind, onset.subject.name) == ("Deployment", "checkout")
    assert set(onset.scope.namespaces) >= {"shop", "data"}
    assert onset.scope.since == NOW - timedelta(minutes=30)  # "since 9:00" of the previous turn
    fix = route_question("how do I fix it?", INVENTORY, NOW, previous)
    assert fix.intent == "remediation" and fix.subject.name == "checkout"
    assert any(t.name == "postgres-allow-catalog" for t in fix.scope.targets)
    other = route_question("what about cart?", INVENTORY, NOW, previous)
    assert other.intent == "diagnose" and other.subject.name == "cart" and not other.follow_up
    review = route_question("same namespace, anything else broken?", INVENTORY, NOW, previous)
    assert review.intent == "review" and review.subject is None and "shop" in review.scope.namespaces


def test_still_means_the_last_half_hour_and_did_means_all_history():
    still = route_question("is cart still getting OOMKilled?", INVENTORY, NOW)
    assert still.window_start == NOW - timedelta(minutes=30)
    ever = route_question("did cart get OOMKilled?", INVENTORY, NOW)
    assert ever.window_start is None
    today = route_question("was cart oom killed today?", INVENTORY, NOW)
    assert today.window_start == NOW.replace(hour=0, minute=0)
    given = route_question("did payments restart in the last 15 min?", INVENTORY, NOW)
    assert given.window_start == NOW - timedelta(minutes=15)
    cart = ResourceRef(kind="Deployment", namespace="shop", name="cart")
    earlier = PreviousTurn("was cart oom killed today?", "occurrence", cart)
    follow = route_question("is it still happening?", INVENTORY, NOW, earlier)
    assert follow.intent == "occurrence" and follow.reading.event == "oom" and follow.subject.name == "cart"


@pytest.mark.parametrize(
    ("question", "name", "inbound"),
    [
        ("who is dropping traffic to postgres", "postgres", True),
        ("why cant anything reach the postgres db", "postgres", True),
        ("connections to redis timing out?", "redis", True),
        ("why can't checkout reach postgres", "checkout", False),  # checkout sends; it is not the receiver
        ("is postgres ok", "postgres", False),  # its own health
        ("send the report to postgres team", "postgres", False),  # no traffic words
    ],
)
def test_a_question_about_traffic_arriving_at_an_object(question, name, inbound):
    assert asks_about_traffic_to(question, name) is inbound


@pytest.mark.parametrize(
    ("question", "intent", "event", "kinds"),
    [
        ("did someone change a netpol today", "occurrence", "changed", ("NetworkPolicy",)),
        ("was there a rollout in shop this morning", "occurrence", "changed", ()),
        ("did payments get redeployed?", "occurrence", "changed", ()),
        ("did the payments deployment restart", "occurrence", "restart", ()),  # a kind word, not a change
        ("did payments deployment fail?", "status", None, ()),
        ("did someone roll back payments", "occurrence", "changed", ()),
        ("rollback payments?", "remediation", None, ()),  # asks what to do
        ("why did cart restart twice", "diagnose", "restart", ()),  # the event leads the answer
        ("a node died?", "occurrence", "node_down", ()),  # the node, not a container
        ("did any pod on that node die", "occurrence", "restart", ()),
    ],
)
def test_a_question_about_changes_is_an_occurrence_of_one(question, intent, event, kinds):
    reading = read_intent(question)
    assert (reading.intent, reading.event, reading.kinds) == (intent, event, kinds)


@pytest.mark.parametrize(
    "question",
    ["is the cluster ok?", "prod cluster down?", "shop-prod cluster healthy?", "is the dev cluster ok"],
)
def test_a_cluster_named_as_the_cluster_itself_is_not_a_missing_name(question):
    asked = route_question(question, INVENTORY, NOW, cluster="shop-prod")
    assert asked.missing == [] and asked.scope.whole_cluster


@pytest.mark.parametrize("question", ["control plane ok?", "is the control-plane healthy", "system pods ok?"])
def test_the_control_plane_is_the_kube_system_namespace(question):
    inventory = [*INVENTORY, NamedObject("Namespace", None, "kube-system")]
    asked = route_question(question, inventory, NOW)
    assert asked.intent == "status" and asked.scope.namespaces == ["kube-system"]
    assert asked.subject == NamedObject("Namespace", None, "kube-system")


@pytest.mark.parametrize(
    "question",
    ["did we lose a node?", "any node went away last night?", "lost a node??", "did a node go down"],
)
def test_a_node_lost_is_an_occurrence_of_a_node_going_down(question):
    reading = read_intent(question)
    assert (reading.intent, reading.event) == ("occurrence", "node_down")


@pytest.mark.parametrize(
    ("question", "pods"),
    [
        ("are the frontend pods healthy?", True),
        ("frontend's pods ok?", True),
        ("any problem with the replicas of frontend", True),
        ("is frontend healthy?", False),
        ("is the frontend pod-disruption budget ok", False),
    ],
)
def test_a_question_about_a_workloads_pods(question, pods):
    assert asks_about_its_pods(question, "frontend") is pods


@pytest.mark.parametrize(
    "question",
    [
        "is worker-1 under disk pressure?",
        "worker-2 DiskPressure?",
        "are we out of pod IPs?",
        "is worker-3 still flapping?",
        "did the cart release break anything?",
        "ml-trainer not getting scheduled??",
    ],
)
def test_a_yes_no_question_about_trouble_means_yes_is_trouble(question):
    reading = read_intent(question)
    assert reading.intent == "status" and reading.positive is False


@pytest.mark.parametrize(
    "question",
    ["did anything change before cart started failing?", "any changes right before checkout errors started?"],
)
def test_a_change_before_the_trouble_is_an_onset_question(question):
    assert read_intent(question).intent == "onset"


def test_a_trouble_asked_about_in_a_namespace_is_a_yes_no_about_it_not_a_review():
    asked = route_question("are we over quota in billing?", INVENTORY, NOW)
    assert asked.intent == "status" and asked.subject == NamedObject("Namespace", None, "billing")
    assert route_question("is anything wrong in billing?", INVENTORY, NOW).intent == "review"


def test_a_url_names_the_ingress_of_its_host_even_when_its_path_names_a_workload():
    inventory = [
        NamedObject("Namespace", None, "media"),
        NamedObject("Deployment", "media", "uploads"),
        NamedObject("Ingress", "media", "uploads", aliases=("uploads.example.com",)),
    ]
    asked = route_question("https://uploads.example.com/api/upload returns 503", inventory, NOW)
    assert asked.subject == NamedObject("Ingress", "media", "uploads")
    assert route_question("uploads keeps crashing", inventory, NOW).subject == inventory[1]


def test_a_part_of_a_dashed_name_with_its_kind_word_names_the_one_object_it_can_be():
    inventory = [
        NamedObject("Namespace", None, "data"),
        NamedObject("Job", "data", "search-reindex"),
        NamedObject("CronJob", "data", "nightly-export"),
        NamedObject("CronJob", "data", "weekly-export"),
        NamedObject("Deployment", "data", "reindex-api"),
    ]
    assert route_question("did the reindex job finish?", inventory, NOW).subject == inventory[1]
    ambiguous = route_question("is the export cronjob stuck?", inventory, NOW)  # two exports: no guess
    assert ambiguous.subject is None
    assert route_question("did reindex finish?", inventory, NOW).subject != inventory[1]  # no kind word


@pytest.mark.parametrize(
    ("question", "guess"),
    [
        ("checkout keeps crashing on boot - is it the db?", "is it the db"),
        ("search-api latency bad, is the hpa maxed out?", "is the hpa maxed out"),
        ("cart throwing errors, redis related?", "redis related"),
        ("is cart ok?", ""),  # a yes/no question alone is no guess at a cause
        ("why is cart down?", ""),
    ],
)
def test_a_symptom_then_a_yes_no_guess_at_its_cause(question, guess):
    reading = read_intent(question)
    assert reading.guess == guess and (not guess or reading.intent == "diagnose")


def test_the_guess_names_what_it_suspects():
    asked = route_question("checkout keeps crashing - is it the db?", INVENTORY, NOW)
    assert asked.subject == NamedObject("Deployment", "shop", "checkout")
    assert asked.guess is not None and NamedObject("StatefulSet", "data", "postgres") in asked.guess.targets


def test_a_word_naming_a_namespace_and_its_own_workload_is_the_workload_unless_marked():
    inventory = [
        NamedObject("Namespace", None, "payments"),
        NamedObject("Deployment", "payments", "payments"),
        NamedObject("Service", "payments", "payments"),
    ]
    workload = route_question("why are calls to payments failing?", inventory, NOW)
    assert workload.subject == inventory[1] and workload.scope.namespaces == ["payments"]
    assert route_question("is the payments namespace ok?", inventory, NOW).subject == inventory[0]
    assert route_question("whats wrong in payments", inventory, NOW).intent == "review"


def test_a_product_name_inside_one_dashed_name_names_it():
    inventory = [
        NamedObject("Namespace", None, "payments"),
        NamedObject("StatefulSet", "payments", "ledger-db-postgresql"),
        NamedObject("Service", "payments", "ledger-db-postgresql"),
        NamedObject("Deployment", "ingress-nginx", "ingress-nginx-controller"),
    ]
    asked = route_question("is postgres ok?", inventory, NOW)
    assert asked.subject == inventory[1]
    assert route_question("is the controller ok?", inventory, NOW).subject == inventory[3]  # its whole part
    assert route_question("is control ok?", inventory, NOW).subject is None  # not "control" in controller


@pytest.mark.parametrize(
    ("question", "guess"),
    [
        ("live.vidflow.tv slow, is kafka down?", "is kafka down"),
        ("cart errors, are we over quota?", "are we over quota"),
        ("frontend slow, is anything wrong?", ""),
    ],
)
def test_more_forms_of_a_guess(question, guess):
    assert read_intent(question).guess == guess


@pytest.mark.parametrize(
    ("question", "intent", "guess"),
    [
        ("api.acmepay.io cert expired??", "status", ""),  # a host's dots are no clause breaks
        ("cart v1.2 rollout broke it, redis related?", "diagnose", "redis related"),  # nor a version's
        ("checkout is slow. is it the network policy?", "diagnose", "is it the network policy"),
    ],
)
def test_only_a_full_stop_before_a_space_breaks_a_clause(question, intent, guess):
    reading = read_intent(question)
    assert (reading.intent, reading.guess) == (intent, guess)
