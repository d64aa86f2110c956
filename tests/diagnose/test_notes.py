"""A partial answer's notes are typed: the summary groups the kinds that failed the same way by the note's
reason and knows the time budget ran out from the note's kind, never by parsing the sentences back."""

from __future__ import annotations

from app.diagnose.engine import describe_notes, summarize
from app.diagnose.question import Scope
from tools.contracts.notes import Note


def test_kinds_that_failed_for_one_reason_are_named_together() -> None:
    notes = [
        Note.unread("Node", "forbidden"),
        Note.unread("Event in shop", "timed out"),
        Note.unread("StorageClass", "forbidden"),
        Note.unread("Node", "forbidden"),  # a repeat is said once
    ]
    assert describe_notes(notes) == [
        "could not read Node, StorageClass: forbidden.",
        "could not read Event in shop: timed out.",
    ]


def test_a_failure_whose_text_holds_a_colon_is_said_as_it_is() -> None:
    """The old string notes split "could not read X: Y" on its first colon, so a log failure naming its
    first container (shop/api: ...) was cut into a wrong kind and reason."""
    note = Note.failed("could not read the logs of 2 containers (first: shop/api/app: container not found)")
    unread = Note.unread("Pod in shop", "container not found")
    assert describe_notes([note, unread]) == [
        "could not read Pod in shop: container not found.",
        "Could not read the logs of 2 containers (first: shop/api/app: container not found).",
    ]


def test_the_time_budget_note_suppresses_guesses_about_unknown_names() -> None:
    scope = Scope(unknown=[("chekout", ["checkout"])])
    guessed = summarize("why is chekout down?", "lab", scope, [], {}, [], [])
    assert "There is no namespace, workload or service called 'chekout' in lab." in guessed
    stopped = summarize("why is chekout down?", "lab", scope, [], {}, [Note.out_of_time()], [])
    assert "chekout" not in stopped
    assert "No problem found in what could be read of lab before the time budget ran out." in stopped
    assert stopped.endswith(
        "Stopped reading early: the question's time budget ran out (KUBEWHY_QUESTION_TIMEOUT_S)."
    )
