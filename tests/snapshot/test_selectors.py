from __future__ import annotations

import pytest

from tools.contracts.kube.selectors import SelectorError, parse_field_selector, parse_label_selector
from tools.snapshot.kinds import BUILTIN_KINDS
from tools.snapshot.store import ResourceIndex, StoredObject, field_names

LABELS = {"app": "web", "tier": "frontend", "example.com/team": "shop"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app=api", False),
        ("app!=api", True),
        ("missing!=x", True),  # != matches objects without the label
        ("app in (api, web)", True),
        ("app in (api)", False),
        ("app notin (api)", True),
        ("missing notin (x)", True),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("example.com/team=shop,app in (web),!missing", True),
        ("app=web,tier=backend", False),
    ],
)
def test_label_selector_semantics(selector: str, matches: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is matches


@pytest.mark.parametrize("bad", ["app in (web", "app=we b", "=web", "a,,b", "app=web)"])
def test_label_selector_errors(bad: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(bad)


def test_equality_terms_feed_the_index() -> None:
    assert parse_label_selector("app=web,tier in (a),x in (b,c),y!=z").equality_terms() == [
        ("app", "web"),
        ("tier", "a"),
    ]


def test_field_selector_operators_and_escapes() -> None:
    selector = parse_field_selector(r"spec.nodeName=node-1,status.phase!=Failed,metadata.name==a\,b")
    values = {"spec.nodeName": "node-1", "status.phase": "Running", "metadata.name": "a,b"}
    assert selector.matches(values.get)
    assert not selector.matches({**values, "status.phase": "Failed"}.get)
    assert [(r.field, r.value, r.negated) for r in selector.requirements] == [
        ("spec.nodeName", "node-1", False),
        ("status.phase", "Failed", True),
        ("metadata.name", "a,b", False),
    ]
    assert parse_field_selector("spec.nodeName=").matches(lambda _: None)  # empty equals missing


@pytest.mark.parametrize("bad", ["spec.nodeName", "=x", "a=b\\"])
def test_field_selector_errors(bad: str) -> None:
    with pytest.raises(SelectorError):
        parse_field_selector(bad)


def _pod_index(count: int) -> ResourceIndex:
    """Pods in a few namespaces, one in twenty not Running, one with no phase at all."""
    pod_kind = next(info for info in BUILTIN_KINDS if info.kind == "Pod")
    index = ResourceIndex(pod_kind)
    names = field_names(pod_kind)
    assert names is not None
    for i in range(count):
        phase = None if i == 7 else ("Pending" if i % 40 == 3 else "Failed" if i % 40 == 5 else "Running")
        values = tuple(phase if name == "status.phase" else f"node-{i % 9}" for name in names)
        index.add(StoredObject(f"ns-{i % 4}", f"pod-{i:05d}", {}, values, b"{}", field_names=names))
    index.finalize()
    return index


@pytest.mark.parametrize(
    ("selector", "namespace"),
    [
        ("status.phase!=Running", None),
        ("status.phase!=Running", "ns-1"),
        ("status.phase!=Running,spec.nodeName=node-2", None),
        ("status.phase!=Pending,status.phase!=Running", None),
        ("status.phase!=Nothing", None),
        ("spec.nodeName!=node-3", None),
    ],
)
def test_a_wide_negated_field_selector_lists_what_a_scan_would(selector: str, namespace: str | None) -> None:
    """Past the scan limit `!=` reads the other values' postings; page by page it finds what checking
    every record finds, in the same order (the no-phase pod counts as not Running, as on a real server)."""
    index = _pod_index(12_000)
    fields = parse_field_selector(selector)
    expected = [
        (r.namespace, r.name)
        for r in index.records
        if (namespace is None or r.namespace == namespace) and fields.matches(r.field)
    ]
    found: list[tuple[str, str]] = []
    after = None
    while True:
        page = index.list(namespace, parse_label_selector(None), fields, 250, after)
        found += [(r.namespace, r.name) for r in page.items]
        if page.continue_key is None:
            break
        after = page.continue_key
    assert found == expected and expected
