from datetime import UTC, datetime

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.correlate import correlate
from app.diagnose.facts import FactRef
from app.diagnose.question import NamedObject
from app.diagnose.router import route
from tools.contracts.diagnosis import Category, ResourceRef

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
INVENTORY = [
    NamedObject("Namespace", None, "shop"),
    NamedObject("Deployment", "shop", "checkout"),
    NamedObject("Deployment", "shop", "frontend"),
    NamedObject("Deployment", "shop", "catalog"),
]


def ref(kind, ns, name):
    return ResourceRef(kind=kind, namespace=ns, name=name)


def cand(category, culprit, affected=(), severity=2, confidence=0.8):
    return Candidate(
        title=f"{category} {culprit.name}",
        category=category,
        resource=culprit,
        confidence=confidence,
        explanation="",
        affected=list(affected),
        severity=severity,
    )


def test_symptom_folds_into_its_cause_and_cause_ranks_first():
    policy = ref("NetworkPolicy", "data", "db-allow-web")
    checkout = ref("Deployment", "shop", "checkout")
    symptom = cand(Category.PerformanceRegression, checkout, severity=2)
    cause = cand(Category.NetworkPolicyBlocked, policy, affected=[checkout], severity=3)
    other = cand(Category.CPUThrottling, ref("Deployment", "shop", "catalog"), severity=2, confidence=0.9)
    ranked = correlate([other, symptom, cause], route("why is checkout failing?", INVENTORY, NOW))
    assert ranked[0].resource == policy
    assert ranked[0].caused == [symptom]
    assert symptom not in ranked


def test_duplicates_from_two_sources_merge_and_gain_confidence():
    catalog = ref("Deployment", "shop", "catalog")
    a = cand(Category.CPUThrottling, catalog, confidence=0.7)
    b = cand(Category.CPUThrottling, catalog, confidence=0.6)
    ranked = correlate([a, b], route("is catalog slow?", INVENTORY, NOW))
    assert len(ranked) == 1
    assert ranked[0].confidence > 0.7


def test_question_relevance_beats_unrelated_severity():
    frontend = cand(Category.AppCrash, ref("Deployment", "shop", "frontend"), severity=3)
    catalog = cand(Category.CPUThrottling, ref("Deployment", "shop", "catalog"), severity=2)
    ranked = correlate([frontend, catalog], route("why is catalog slow?", INVENTORY, NOW))
    assert ranked[0].resource.name == "catalog"


def test_informational_candidates_rank_last():
    old = cand(Category.OOMKilled, ref("Deployment", "shop", "checkout"), severity=0, confidence=0.9)
    live = cand(Category.AppCrash, ref("Deployment", "shop", "frontend"), severity=2, confidence=0.5)
    ranked = correlate([old, live], route("why is checkout restarting?", INVENTORY, NOW))
    assert ranked[-1] is old


def test_a_crash_on_a_dependency_folds_into_the_dependency_problem():
    """checkout crashes because postgres refuses connections; postgres is OOMKilled: the OOM is the cause."""
    checkout = ref("Deployment", "shop", "checkout")
    postgres = ref("StatefulSet", "data", "postgres")
    crash = cand(Category.AppCrash, checkout, affected=[ref("Pod", "shop", "checkout-1")], severity=3)
    crash.depends_on = [ref("Service", "data", "postgres"), postgres]
    oom = cand(Category.OOMKilled, postgres, affected=[ref("Pod", "data", "postgres-0")], severity=2)
    ranked = correlate([crash, oom], route("why does checkout keep crashing?", INVENTORY, NOW))
    assert [(c.category, c.resource) for c in ranked] == [(Category.OOMKilled, postgres)]
    assert ranked[0].caused == [crash] and checkout in ranked[0].affected


def test_a_warning_on_a_dependency_does_not_swallow_the_crash():
    checkout = ref("Deployment", "shop", "checkout")
    postgres = ref("StatefulSet", "data", "postgres")
    crash = cand(Category.AppCrash, checkout, severity=3)
    crash.depends_on = [postgres]
    throttled = cand(Category.CPUThrottling, postgres, severity=1)
    ranked = correlate([crash, throttled], route("why does checkout keep crashing?", INVENTORY, NOW))
    assert ranked[0].category == Category.AppCrash


def test_the_trouble_described_outranks_a_louder_problem_that_only_touches_the_namespace():
    """'why are pods crashing in shop?': a NotReady node hosting one shop pod is not the answer."""
    inventory = [*INVENTORY, NamedObject("Node", None, "worker-7")]
    node = cand(
        Category.NodeNotReady,
        ref("Node", None, "worker-7"),
        affected=[ref("Pod", "shop", "catalog-1")],
        severity=3,
        confidence=0.9,
    )
    crash = cand(Category.AppCrash, ref("Deployment", "shop", "checkout"), severity=2, confidence=0.6)
    ranked = correlate([node, crash], route("why are pods crashing in shop?", inventory, NOW))
    assert ranked[0].category == Category.AppCrash


def object_cite(key, needle):
    return Cite(FactRef("object", key), needle)


def test_a_finding_that_repeats_another_under_a_second_category_folds_into_it():
    """Two analyzers read the same proof of one cause on one workload: one finding, not two."""
    payments = ref("Deployment", "shop", "payments")
    proof = [
        Cite(FactRef("log", ("shop", "payments-1", "app", "previous")), "secret db-creds not found"),
        object_cite(("Pod", "shop", "payments-1"), "CreateContainerConfigError"),
    ]
    missing = cand(Category.MissingConfig, payments, severity=3, confidence=0.9)
    missing.cites = list(proof)
    crash = cand(Category.AppCrash, payments, severity=3, confidence=0.7)
    crash.cites = proof[:1]
    ranked = correlate([crash, missing], route("why is payments down?", INVENTORY, NOW))
    assert [(c.category, c.resource) for c in ranked] == [(Category.MissingConfig, payments)]
    assert ranked[0].caused == [crash]


def test_two_causes_on_one_workload_with_their_own_proof_stay_two():
    payments = ref("Deployment", "shop", "payments")
    oom = cand(Category.OOMKilled, payments, severity=3)
    oom.cites = [object_cite(("Pod", "shop", "payments-1"), "OOMKilled")]
    throttled = cand(Category.CPUThrottling, payments, severity=2)
    throttled.cites = [object_cite(("Pod", "shop", "payments-1"), "throttled")]
    ranked = correlate([oom, throttled], route("why is payments down?", INVENTORY, NOW))
    assert {c.category for c in ranked} == {Category.OOMKilled, Category.CPUThrottling}


def _fold_by_rescanning(candidates):
    """The folding rule stated plainly: after every fold, look at every (cause, symptom) pair again from
    the start, in order; fold the first pair where the cause explains the symptom."""

    def keys(refs):
        return {(r.kind, r.namespace, r.name) for r in refs}

    def key(r):
        return (r.kind, r.namespace, r.name)

    remaining = list(candidates)
    changed = True
    while changed:
        changed = False
        for cause in remaining:
            for symptom in remaining:
                if symptom is cause:
                    continue
                explains = key(symptom.resource) in keys(cause.affected) or (
                    cause.severity >= 2
                    and bool(({key(cause.resource)} | keys(cause.affected)) & keys(symptom.depends_on))
                )
                if not explains or key(cause.resource) in keys(symptom.affected):
                    continue
                if symptom.severity > cause.severity + 1:
                    continue
                cause.caused.append(symptom)
                for r in (symptom.resource, *symptom.affected):
                    if r not in cause.affected:
                        cause.affected.append(r)
                cause.cites.extend(c for c in symptom.cites if c not in cause.cites)
                cause.severity = max(cause.severity, symptom.severity)
                remaining = [c for c in remaining if c is not symptom]
                changed = True
                break
            if changed:
                break
    return remaining


def _random_candidates(seed: int) -> list[Candidate]:
    """Chains, cycles and shared dependencies among a few dozen objects, as a big review produces."""
    import random

    rng = random.Random(seed)
    objects = [ref("Deployment", f"ns-{i % 3}", f"app-{i}") for i in range(30)]
    found = []
    for number in range(rng.randint(5, 60)):
        culprit = rng.choice(objects)
        found.append(
            Candidate(
                title=f"c{number}",
                category=rng.choice([Category.AppCrash, Category.ServiceNoEndpoints, Category.NodeNotReady]),
                resource=culprit,
                confidence=0.8,
                explanation="",
                affected=rng.sample(objects, rng.randint(0, 3)),
                depends_on=rng.sample(objects, rng.randint(0, 2)),
                severity=rng.randint(0, 3),
                cites=[Cite(FactRef("object", ("Deployment", culprit.namespace, culprit.name)), f"{number}")],
            )
        )
    return found


def test_folding_causes_in_turn_is_folding_by_rescanning_every_pair():
    from app.diagnose.correlate import fold_chains

    for seed in range(300):
        expected = _fold_by_rescanning(_random_candidates(seed))
        folded = fold_chains(_random_candidates(seed))

        def shape(found):
            return [
                (c.title, c.severity, [s.title for s in c.caused], c.affected, [x.needle for x in c.cites])
                for c in found
            ]

        assert shape(folded) == shape(expected), seed


def test_a_symptom_needing_what_a_cause_breaks_folds_under_it():
    """A Service has no endpoints because its one pod is not ready; a claim that stays Pending keeps that
    pod from starting: the claim is the cause, first, and the Service's finding folds under it."""
    from app.diagnose.correlate import fold_chains

    stuck = ref("Pod", "data", "postgres-0")
    claim = Candidate(
        title="PVC data-postgres-0 stays Pending",
        category=Category.StorageProvisioning,
        resource=ref("PersistentVolumeClaim", "data", "data-postgres-0"),
        confidence=0.85,
        explanation="",
        affected=[stuck],
        severity=3,
    )
    no_endpoints = Candidate(
        title="Service postgres has no ready endpoints",
        category=Category.ServiceNoEndpoints,
        resource=ref("Service", "data", "postgres"),
        confidence=0.45,
        explanation="",
        depends_on=[ref("StatefulSet", "data", "postgres"), stuck],
        severity=3,
    )
    [kept] = fold_chains([no_endpoints, claim])
    assert kept is claim and kept.caused == [no_endpoints]
