"""End to end in headless Chromium (the system /usr/bin/chromium; never a downloaded browser): start
`kubewhy demo` as a user would, ask two demo questions, check the culprits, look for live links and
overflow, take screenshots at 1280x800 and 420 px wide into tests/artifacts/, then Ctrl-C it and check
that everything it started is gone."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.ui.browser import (
    ARTIFACTS,
    WAIT_MS,
    ask,
    assert_answer_starts_in_view,
    free_port,
    launch,
    run_pod_restarting_runbook,
    show,
    start_demo,
)

pytestmark = [pytest.mark.e2e, pytest.mark.prometheus]

CHECKOUT = "Why are customers' orders failing at checkout?"
CATALOG = "Why has the product catalog been so slow since about 9 o'clock?"
PAYMENTS = "Why does the new payments pod keep restarting?"


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc: no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = set(), [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def assert_inert_and_fitting(page, width: int) -> None:
    links = page.locator(
        "[data-testid=stChatMessage] a[href], [data-testid=stSidebarUserContent] a[href]"
    ).count()
    assert links == 0, "text from the cluster must not become a link"
    overflow = page.evaluate(
        """() => [document.documentElement.scrollWidth,
                  ...Array.from(document.querySelectorAll('[data-testid=stChatMessage]'))
                       .map(e => Math.ceil(e.getBoundingClientRect().right))]"""
    )
    assert max(overflow) <= width, f"something is wider than the {width}px window: {overflow}"


def visit_runbooks_and_history(page, url: str) -> None:
    """Run a bundled runbook on the Runbooks page, then run it again from the History page."""
    page.set_viewport_size({"width": 1280, "height": 900})
    run_pod_restarting_runbook(page, url)
    show(page, page.get_by_text("Why do the pods of payments in namespace shop keep restarting?"))
    page.screenshot(path=ARTIFACTS / "runbooks-1280.png")

    page.goto(url.rstrip("/") + "/history")
    again = page.get_by_role("button", name="Run this runbook again")
    again.click(timeout=WAIT_MS)
    page.get_by_text("What changed since run").wait_for(timeout=WAIT_MS)
    assert "0 added" in page.get_by_test_id("stMain").inner_text()
    show(page, page.get_by_text("Why do the pods of payments in namespace shop keep restarting?").first)
    page.mouse.move(5, 5)  # no tooltip over the page
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "history-1280.png")


def test_kubewhy_demo_answers_in_the_browser_and_stops_on_ctrl_c(tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    process, url = start_demo(free_port(), tmp_path / "demo.log")
    started: dict[int, str] = {}
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                wide = browser.new_page(viewport={"width": 1280, "height": 800})
                wide.goto(url)
                wide.get_by_text("Suggested questions").wait_for(timeout=WAIT_MS)
                wide.screenshot(path=ARTIFACTS / "start-1280.png")

                ask(wide, CHECKOUT, answers=1)
                # Streamlit, and the Prometheus its session started: pid -> command line
                started = {pid: command_of(pid) for pid in descendants(process.pid)}
                first = wide.get_by_test_id("stChatMessage").nth(1)
                assert_answer_starts_in_view(wide, first)
                wide.screenshot(path=ARTIFACTS / "checkout-answer-top-1280.png")
                assert "NetworkPolicyBlocked" in first.inner_text()
                assert "fix: NetworkPolicy data/postgres-allow-catalog" in first.inner_text()
                show(wide, wide.get_by_test_id("stChatMessage").nth(0))
                wide.screenshot(path=ARTIFACTS / "checkout-1280.png")

                ask(wide, CATALOG, answers=2)
                messages = wide.get_by_test_id("stChatMessage")
                assert messages.count() == 4 and CHECKOUT in messages.nth(0).inner_text()
                second = messages.nth(3)
                assert "CPUThrottling" in second.inner_text()
                assert "fix: Deployment shop/catalog" in second.inner_text()
                assert second.get_by_test_id("stVegaLiteChart").count() >= 1
                show(wide, messages.nth(2))
                wide.screenshot(path=ARTIFACTS / "catalog-1280.png")
                show(wide, second.get_by_text("1. catalog is CPU-throttled"))
                wide.screenshot(path=ARTIFACTS / "catalog-finding-1280.png")
                wide.set_viewport_size({"width": 1280, "height": 1240})  # the answer with its chart
                show(wide, messages.nth(2))
                wide.screenshot(path=ARTIFACTS / "catalog-answer-1280x1240.png")
                assert_inert_and_fitting(wide, 1280)

                # a follow-up in the same conversation is answered about the previous culprit
                wide.set_viewport_size({"width": 1280, "height": 800})
                ask(wide, "how do I fix it?", answers=3)
                follow = wide.get_by_test_id("stChatMessage").nth(5)
                assert_answer_starts_in_view(wide, follow)
                assert "Fix Deployment shop/catalog" in follow.inner_text()
                wide.screenshot(path=ARTIFACTS / "follow-up-1280.png")
                visit_runbooks_and_history(wide, url)

                narrow = browser.new_page(viewport={"width": 420, "height": 800})
                narrow.goto(url)
                narrow.get_by_text("Suggested questions").wait_for(timeout=WAIT_MS)
                ask(narrow, PAYMENTS, answers=1)
                answer = narrow.get_by_test_id("stChatMessage").nth(1)
                assert "AppCrash" in answer.inner_text()
                assert "fix: Deployment shop/payments" in answer.inner_text()
                show(narrow, narrow.get_by_test_id("stChatMessage").nth(0))
                narrow.screenshot(path=ARTIFACTS / "payments-420.png")
                show(narrow, answer.get_by_text("1. payments keeps crashing"))
                narrow.screenshot(path=ARTIFACTS / "payments-finding-420.png")
                assert_inert_and_fitting(narrow, 420)
            finally:
                browser.close()
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        code = process.wait(timeout=30)
    assert code == 0
    commands = list(started.values())
    assert any("streamlit" in c for c in commands) and any("prometheus" in c for c in commands), commands
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in started if alive(pid)], "Ctrl-C left processes running"
