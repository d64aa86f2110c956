from __future__ import annotations

import pytest

from tools.contracts.kube.selectors import SelectorError, parse_field_selector, parse_label_selector

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
