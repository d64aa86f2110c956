"""The chat page: the conversation so far, the question box, a live status while kubewhy investigates,
then the diagnosis card and the evidence behind it. Suggested questions start an empty conversation."""

from __future__ import annotations

import streamlit as st

from app.agent.memory import Conversation
from app.agent.pricing import format_cost
from app.runbooks import Runbook, runbook_from_ledger
from app.ui import runtime, shell, state
from app.ui.card import render_card
from app.ui.evidence import render_evidence
from app.ui.export import render_export
from app.ui.investigate import investigate, status_label
from app.ui.safe import md, md_line
from app.ui.save_runbook import save_as_runbook
from app.ui.shell import SCROLL_KEY
from app.ui.state import Turn

ERROR_TITLES = {
    "bad question": "Bad question",
    "source down": "Data source down",
    "failed": "Failed",
    "bad parameter": "Bad parameter",
    "invalid runbook": "Invalid runbook",
}


def render() -> None:
    current = shell.current()
    st.title("kubewhy")
    if current.session is None:
        st.error(md_line(current.failure or "no cluster", 600))
        st.caption("Fix the cluster settings (snapshot, kubeconfig, context) and reload the page.")
        return
    session = current.session
    st.caption(
        md_line(f"Ask about {session.cluster} in plain words. Read-only: kubewhy never changes the cluster.")
    )
    for index, turn in enumerate(state.turns()):
        render_turn(turn, f"t{index}")
    typed = st.chat_input("Ask why something is wrong, e.g. why are orders failing at checkout?")
    question = typed or state.take_pending()
    if question:
        turn_key = f"t{len(state.turns())}"
        with st.chat_message("user"):
            _question(question, state.scope())
        with st.chat_message("assistant"):
            memory = state.memory(current.settings.context_window)
            scroll_to_this_answer()
            turn = investigate(session, question, state.scope(), memory)
            render_answer(turn, turn_key, replay=False)
        state.turns().append(turn)
        conversation_cost(memory)
    elif not state.turns():
        render_starters(runtime.starters(current.target.key, session))


def conversation_cost(memory: Conversation) -> None:
    """What the conversation has cost so far, once a question in it was priced."""
    totals = memory.totals
    cost = format_cost(totals.cost_usd)
    if cost and memory.questions > 1:
        st.caption(md_line(f"This conversation: {memory.questions} questions · {cost}"))


# The chat sticks to the bottom of the page; a person reads an answer from its start. The scroll script
# (a constant: no text from the cluster or a model in it), drawn first in the new answer,
# keeps that answer's top at the top of the window while the browser draws the rest of it: charts and
# tables take seconds and each growth pulls the page down. It re-pins on every change of the answer's size
# (a ResizeObserver, so a starved browser that lays out late is still caught) and on a slow tick for
# changes above it, and on every scroll of the page: Streamlit's stick-to-bottom animates the page down
# after each growth and, while it runs, overrides a pin at every frame, so the pin follows each of its
# steps until it gives up. It lets go as soon as the reader scrolls, clicks or types, when a newer message is
# drawn, or after two minutes (a stop on "the answer kept its size" let go too early on a slow browser,
# which then laid the page out again and left the answer above the window). It marks the answer
# ``data-kubewhy-pinned`` when it has placed it, so a test can wait for that instead of guessing a delay,
# and ``data-kubewhy-let-go`` with what made it let go.
_SCROLL_SCRIPT = """<script>
(() => {
  const frame = window.frameElement;
  const answer = frame && frame.closest('[data-testid="stChatMessage"]');
  if (!answer) return;
  const page = window.parent.document;
  let done = false;
  const watch = new ResizeObserver(() => pin());
  const timer = setInterval(() => pin(), 200);
  const onScroll = () => pin();
  const stop = (why) => {
    if (done) return;
    done = true; watch.disconnect(); clearInterval(timer); page.removeEventListener("scroll", onScroll, true);
    answer.dataset.kubewhyLetGo = why;
  };
  page.addEventListener("scroll", onScroll, {capture: true, passive: true});
  ["wheel", "touchstart", "keydown", "mousedown"].forEach((kind) =>
    page.addEventListener(kind, () => stop(kind), {once: true, capture: true}));
  setTimeout(() => stop("timeout"), 120000);
  const pin = () => {
    if (done) return;
    const messages = page.querySelectorAll('[data-testid="stChatMessage"]');
    if (messages[messages.length - 1] !== answer) return stop("newer message");  // a newer message is drawn
    const below = parseFloat(getComputedStyle(answer).scrollMarginTop) || 0;  // under the page's header
    if (Math.abs(answer.getBoundingClientRect().top - below) > 1) answer.scrollIntoView({block: "start"});
    answer.dataset.kubewhyPinned = "1";
  };
  watch.observe(answer);
  pin();
})();
</script>"""


def scroll_to_this_answer() -> None:
    """The scroll script, in a frame that takes no room in the answer (see ``shell.STYLE``)."""
    with st.container(key=f"{SCROLL_KEY}-{len(state.turns())}"):
        st.iframe(_SCROLL_SCRIPT, height=1)  # a constant of this module: nothing untrusted reaches it


def render_turn(turn: Turn, key: str) -> None:
    with st.chat_message("user"):
        _question(turn.question, turn.namespace)
    with st.chat_message("assistant"):
        render_answer(turn, key, replay=True)


def render_answer(turn: Turn, key: str, replay: bool) -> None:
    """A turn's answer; ``replay`` redraws the investigation's steps (a live run has just shown them)."""
    if replay and turn.steps:
        with st.status(status_label(turn), state="error" if turn.error else "complete", expanded=False):
            for step in turn.steps:
                st.markdown(f"- {md_line(step)}")
    if turn.error:
        title = ERROR_TITLES.get(turn.error_kind or "", "Error")
        st.error(f"**{title}** — {md(turn.error)}")
    for problem in turn.errors:
        st.error(md(problem))
    for warning in turn.warnings:
        st.warning(md(warning))
    if turn.diagnosis is not None:
        render_card(turn.diagnosis, turn.results, key)
        render_export(turn.diagnosis, turn.run_id, key)
        render_evidence(turn.diagnosis, turn.results, key)
        if turn.ledger is not None and turn.results:
            offer_save(turn, key)


def offer_save(turn: Turn, key: str) -> None:
    """ "Save as runbook" under an answer: its tool calls, with the question's names as parameters."""
    current = shell.current()
    cluster = current.session.cluster if current.session is not None else None
    ledger = turn.ledger

    def make(name: str) -> Runbook:
        return runbook_from_ledger(turn.question, ledger, name, cluster=cluster)

    save_as_runbook(make, current.settings, key)


def render_starters(questions: list[str]) -> None:
    st.markdown("**Suggested questions** for this cluster, from a quick health review:")
    for index, question in enumerate(questions):
        st.button(
            md_line(question),
            key=f"starter-{index}",
            on_click=state.ask_later,
            args=(question,),
            icon=":material/help:",
        )


def _question(question: str, namespace: str | None) -> None:
    st.markdown(md(question))
    if namespace:
        st.caption(md_line(f"scope: namespace {namespace}"))
