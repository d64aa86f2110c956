"""The answer page in headless Chromium on the demo (`kubewhy demo`, no model, a history of its own), as a
person reads and shares it: each new answer opens at its start, a follow-up carries on about the culprit,
the evidence holds the decisive facts (the policy's rule and creation time, a flow table, a verdict
timeline), "Copy as Markdown" renders the same findings, a permalink reopens the same answer in another
browser, an object name opens its YAML, one answer stays short with its evidence folded, and an answer
with an onset draws what changed before it. At 1400x900 and 420 px wide; screenshots in tests/artifacts/."""

from __future__ import annotations

import re
import signal
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import expect

from tests.ui.browser import (
    ARTIFACTS,
    WAIT_MS,
    ask,
    assert_answer_starts_in_view,
    free_port,
    launch,
    open_until_shown,
    run_pod_restarting_runbook,
    show,
    show_grid,
    wait_until_still,
)
from tests.ui.browser import start_demo as start

pytestmark = [pytest.mark.e2e, pytest.mark.prometheus]

CHECKOUT = "why are orders failing at checkout?"
CART = "Why do shoppers get errors when they open their cart?"
FOLLOW_UP = "how do I fix it?"
CULPRIT = "NetworkPolicy data/postgres-allow-catalog"
MAX_ANSWER_PAGE_PX = 2500
HUBBLE_COLUMNS = ["time", "source", "destination", "port", "verdict", "drop reason", "policy"]
SIZES = {"1400": {"width": 1400, "height": 900}, "420": {"width": 420, "height": 900}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    process, url = start(free_port(), tmp_path_factory.mktemp("demo") / "demo.log")
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def browser(demo):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def open_chat(browser, url: str, size: str):
    context = browser.new_context(viewport=SIZES[size])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = context.new_page()
    page.goto(url)
    page.get_by_text("Suggested questions").wait_for(timeout=WAIT_MS)
    return page


def block(page, key: str):
    """The container the page drew with ``key`` (Streamlit gives it the class st-key-<key>)."""
    return page.locator(f".st-key-{key}")


WITHOUT_CHARTS = """e => {
  const copy = e.cloneNode(true);
  copy.querySelectorAll('[data-testid=stVegaLiteChart]').forEach((chart) => chart.remove());
  return copy.textContent;
}"""


def card_text(page, key: str) -> str:
    """The text of an answer's card without its charts: a chart's axis ticks depend on the width the page
    gives it (the History page's column is not the chat's), the answer does not."""
    card = block(page, f"card-{key}")
    wait_until_still(page, card)
    return card.evaluate(WITHOUT_CHARTS)


def direct_answer(card) -> str:
    return card.locator("strong").first.inner_text()


def findings(page, key: str) -> list[str]:
    """Each finding's first lines (number and title, category, fix and confidence) as the page shows them."""
    shown = []
    for number in range(1, 10):
        box = block(page, f"finding-{key}-{number}")
        if not box.count():
            break
        title, badges = box.get_by_test_id("stMarkdownContainer").all_inner_texts()[:2]
        shown.append(f"{title.strip()}\n{' '.join(badges.split())}")
    return shown


COPY_BUTTON_COVERS_TEXT = """e => {
  const button = e.querySelector('button');
  if (!button) return false;
  const b = button.getBoundingClientRect();
  const text = document.createRange();
  text.selectNodeContents(e.querySelector('pre'));
  return [...text.getClientRects()].some(
    (r) => r.width > 0 && r.right > b.left && r.left < b.right && r.bottom > b.top && r.top < b.bottom);
}"""


def page_height(page) -> int:
    """The height of what scrolls in the main area: the whole page a reader goes through."""
    return page.get_by_test_id("stAppScrollToBottomContainer").evaluate("e => e.scrollHeight")


def test_each_answer_opens_at_its_start_and_the_follow_up_is_about_the_first_culprit(browser, demo):
    page = open_chat(browser, demo, "1400")
    ask(page, CHECKOUT, answers=1)
    messages = page.get_by_test_id("stChatMessage")
    first = messages.nth(1)
    assert_answer_starts_in_view(page, first)
    assert f"fix: {CULPRIT}" in first.inner_text()
    page.screenshot(path=ARTIFACTS / "conversation-1-1400.png")

    ask(page, FOLLOW_UP, answers=2)
    follow = messages.nth(3)
    assert_answer_starts_in_view(page, follow)
    page.screenshot(path=ARTIFACTS / "conversation-2-1400.png")
    opening = direct_answer(block(page, "card-t1"))
    assert opening.startswith(f"Fix {CULPRIT}"), opening
    assert all(f"fix: {CULPRIT}" in finding for finding in findings(page, "t1")), findings(page, "t1")
    assert "ImagePull" not in follow.inner_text().split("Elsewhere in the cluster")[0]

    # the first answer is still there, above, unchanged
    assert CHECKOUT in messages.nth(0).inner_text() and f"fix: {CULPRIT}" in messages.nth(1).inner_text()


@pytest.mark.parametrize("size", list(SIZES))
def test_one_answer_is_short_with_its_flows_drawn_and_nothing_wider_than_the_window(browser, demo, size):
    page = open_chat(browser, demo, size)
    ask(page, CHECKOUT, answers=1)
    answer = page.get_by_test_id("stChatMessage").nth(1)
    assert_answer_starts_in_view(page, answer)
    height = page_height(page)
    print(f"page height for one answer at {size} px wide, evidence folded: {height} px")
    assert height < MAX_ANSWER_PAGE_PX, f"one answer makes the page {height} px tall"
    page.screenshot(path=ARTIFACTS / f"checkout-folded-{size}.png")

    # the finding's evidence: the verdict timeline, forwarded against dropped, with the change marked
    finding = block(page, "finding-t0-1")
    finding.get_by_text("Evidence: e1").click()
    timeline = finding.get_by_test_id("stVegaLiteChart").filter(has_text="Verdicts over time")
    timeline.wait_for(timeout=WAIT_MS)
    drawn = timeline.inner_text()
    assert "FORWARDED" in drawn and "DROPPED" in drawn, drawn
    show(page, timeline)
    page.screenshot(path=ARTIFACTS / f"verdict-timeline-{size}.png")

    # the evidence index: the drops' flows as a Hubble-style table
    answer.get_by_text("Evidence index").click()
    flows = answer.get_by_test_id("stExpander").filter(has_text=re.compile(r"e\d+ · flows_query")).last
    table = flows.get_by_test_id("stDataFrame").first
    open_until_shown(answer.get_by_text(re.compile(r"^e\d+ · flows_query")), table)
    show_grid(page, table)  # the grid fills in its cells once it is in view
    # the grid puts only the columns in view into the page: all seven at 1400 px, the first ones at 420
    header = [cell.strip() for cell in table.locator("th").all_inner_texts()]
    assert len(header) >= 2 and header == HUBBLE_COLUMNS[: len(header)], header
    if size == "1400":
        assert header == HUBBLE_COLUMNS, header
        rows = table.locator("tr").all_inner_texts()
        dropped = [row for row in rows if "DROPPED" in row]
        assert dropped and all("POLICY_DENIED" in row and "postgres-allow-catalog" in row for row in dropped)
        assert any("FORWARDED" in row for row in rows)
    page.screenshot(path=ARTIFACTS / f"flow-table-{size}.png")

    # the copy button of a command never sits on the command's text
    for code in block(page, "steps-t0").get_by_test_id("stCode").all():
        code.hover()
        assert not code.evaluate(COPY_BUTTON_COVERS_TEXT), (
            f"the copy button hides part of: {code.inner_text()}"
        )

    widths = page.evaluate(
        """() => [document.documentElement.scrollWidth,
                  ...Array.from(document.querySelectorAll('[data-testid=stChatMessage]'))
                       .map(e => Math.ceil(e.getBoundingClientRect().right))]"""
    )
    assert max(widths) <= SIZES[size]["width"], f"wider than the window: {widths}"


@pytest.mark.parametrize("size", list(SIZES))
def test_the_network_policy_evidence_shows_its_rule_and_creation_time(browser, demo, size):
    page = open_chat(browser, demo, size)
    ask(page, CHECKOUT, answers=1)
    finding = block(page, "finding-t0-1")
    finding.get_by_text("Evidence: e1").click()
    details = finding.get_by_test_id("stExpanderDetails").first
    wait_until_still(page, details)  # its excerpts are drawn after the expander opens
    # a loaded browser may draw the excerpt's lines after its header: wait for the last of them
    expect(details).to_contain_text("CHG-4471", timeout=WAIT_MS)
    shown = details.inner_text()
    described = re.split(r"\ne\d+ · ", shown.split("k8s_describe kind=NetworkPolicy", 1)[1])[0]
    assert "app=catalog" in described and "5432" in described, described  # the rule: who may come in
    assert re.search(r"created.*08:52", described, re.IGNORECASE), described
    assert "CHG-4471" in described, described  # kubernetes.io/change-cause


def test_copy_as_markdown_renders_the_same_findings(browser, demo):
    page = open_chat(browser, demo, "1400")
    ask(page, CHECKOUT, answers=1)
    card = block(page, "card-t0")
    shown = findings(page, "t0")
    page.get_by_test_id("stPopoverButton").filter(has_text="Copy as Markdown").click()
    body = page.get_by_test_id("stPopoverBody").filter(has_text="The answer as Markdown")
    code = body.get_by_test_id("stCode")
    code.hover()
    code.get_by_role("button").first.click()  # the code block's own copy button
    copied = page.evaluate("() => navigator.clipboard.readText()")
    page.screenshot(path=ARTIFACTS / "copy-as-markdown-1400.png")

    rendered = rendered_text(copied)
    assert rendered.startswith(direct_answer(card))
    for finding in shown:
        title, badges = finding.split("\n", 1)
        assert title in rendered, (title, rendered)  # "1. shop/checkout cannot reach ..."
        category, fix, confidence = re.fullmatch(r"(\w+) fix: (.+) (confidence \d+%)", badges).groups()
        assert f"{category} · fix {fix} · {confidence}" in rendered, (badges, rendered)
    assert "Elsewhere in the cluster" in rendered


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def rendered_text(markdown: str) -> str:
    """What a Markdown viewer shows for ``markdown``: rendered by markdown-it (CommonMark), tags removed."""
    reader = _Text()
    reader.feed(MarkdownIt("commonmark").render(markdown))
    return "".join(reader.parts)


def test_a_permalink_opened_in_a_fresh_browser_shows_the_same_answer(browser, demo):
    page = open_chat(browser, demo, "1400")
    ask(page, CHECKOUT, answers=1)
    drawn = card_text(page, "t0")
    shown = findings(page, "t0")
    page.get_by_test_id("stPopoverButton").filter(has_text="Permalink").click()
    body = page.get_by_test_id("stPopoverBody").filter(has_text="Opens this answer")
    link = body.locator("code").inner_text()
    run_id = re.fullmatch(r"http://127\.0\.0\.1:\d+/history\?run=(\d+)", link.strip()).group(1)

    fresh = browser.new_context(viewport=SIZES["1400"]).new_page()  # nothing shared but the link
    fresh.goto(link.strip())
    fresh.get_by_text(f"run #{run_id}").first.wait_for(timeout=WAIT_MS)
    assert fresh.url.endswith(f"/history?run={run_id}")
    assert card_text(fresh, f"h{run_id}") == drawn
    assert findings(fresh, f"h{run_id}") == shown
    show(fresh, block(fresh, f"card-h{run_id}"))
    fresh.screenshot(path=ARTIFACTS / "permalink-1400.png")


def test_a_runbook_run_on_its_own_page_has_a_permalink_too(browser, demo):
    page = browser.new_context(viewport=SIZES["1400"]).new_page()
    run_pod_restarting_runbook(page, demo)  # the Runbooks page has its own address
    drawn = card_text(page, "rb-pod-restarting")
    page.get_by_test_id("stPopoverButton").filter(has_text="Permalink").click()
    link = (
        page.get_by_test_id("stPopoverBody").filter(has_text="Opens this answer").locator("code").inner_text()
    )
    run_id = re.fullmatch(r"http://127\.0\.0\.1:\d+/history\?run=(\d+)", link.strip()).group(1)

    fresh = browser.new_context(viewport=SIZES["1400"]).new_page()
    fresh.goto(link.strip())
    fresh.get_by_text(f"run #{run_id}").first.wait_for(timeout=WAIT_MS)
    assert "runbook pod-restarting" in fresh.get_by_test_id("stMain").inner_text()
    assert card_text(fresh, f"h{run_id}") == drawn


def test_an_object_name_opens_its_yaml_and_the_chat_box_does_not_look_like_an_error(browser, demo):
    page = open_chat(browser, demo, "1400")
    box = page.get_by_test_id("stChatInputTextArea")
    box.focus()
    frame = page.get_by_test_id("stChatInput").locator("> div")
    border = frame.evaluate("e => getComputedStyle(e).borderColor")
    red, green, blue = (int(n) for n in re.findall(r"\d+", border)[:3])
    assert not (red > 150 and red > green + 60 and red > blue + 60), f"the focused chat box is red: {border}"

    ask(page, CHECKOUT, answers=1)
    finding = block(page, "finding-t0-1")
    finding.get_by_test_id("stPopoverButton").filter(has_text=CULPRIT).first.click()
    body = page.get_by_test_id("stPopoverBody").filter(has_text="k8s_get on shop-prod")
    yaml_text = body.get_by_test_id("stCode").inner_text(timeout=WAIT_MS)
    assert "kind: NetworkPolicy" in yaml_text and "name: postgres-allow-catalog" in yaml_text
    assert "app: catalog" in yaml_text and "CHG-4471" in yaml_text
    page.screenshot(path=ARTIFACTS / "object-yaml-1400.png")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_cart_answer_draws_what_changed_before_its_onset(browser, demo, size):
    page = open_chat(browser, demo, size)
    ask(page, CART, answers=1)
    timeline = block(page, "changes-t0")
    chart = timeline.get_by_test_id("stVegaLiteChart")
    chart.wait_for(timeout=WAIT_MS)
    show(page, timeline)
    wait_until_still(page, chart)
    timeline.screenshot(path=ARTIFACTS / f"changes-timeline-{size}.png")
    page.screenshot(path=ARTIFACTS / f"cart-changes-{size}.png")
    drawn = chart.inner_text()
    assert "What changed before the onset" in drawn and "onset 09:14" in drawn, drawn
    assert "traffic" in drawn and "rollout" in drawn, drawn  # a lane per kind of change
    listed = timeline.get_by_test_id("stCaptionContainer").inner_text()  # numbered as the chart's points
    assert re.search(r"09:00 requests to Service shop/catalog rose from 30 .*· evidence e\d+", listed), listed
    assert "09:05 Deployment shop/payments rolled out" in listed, listed
    # the chart and its labels stay inside the answer
    box = chart.bounding_box()
    card = block(page, "card-t0").bounding_box()
    assert box["x"] >= card["x"] - 1 and box["x"] + box["width"] <= card["x"] + card["width"] + 1, (box, card)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SIZES[size]["width"]
