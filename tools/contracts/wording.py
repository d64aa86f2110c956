"""Counted nouns, said once for every surface: "1 pod", "3 pods", "2 policies" — never "pod(s)".

A rendered answer, tool text or page that writes "(s)" makes a person do the counting; every count that
is shown goes through :func:`plural` instead.
"""

from __future__ import annotations

_IRREGULAR = {"child": "children", "person": "people", "was": "were", "is": "are", "has": "have"}
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")
_VOWELS = "aeiou"


def plural_form(noun: str) -> str:
    """The plural of a noun or of a phrase's last word ("container line" -> "container lines")."""
    head, _, last = noun.rpartition(" ")
    if not last:
        return noun
    lower = last.lower()
    if lower in _IRREGULAR:
        word = _IRREGULAR[lower]
    elif lower.endswith("y") and len(lower) > 1 and lower[-2] not in _VOWELS:
        word = last[:-1] + "ies"
    elif lower.endswith(_SIBILANT_ENDINGS):
        word = last + "es"
    elif last[-1].isupper() and last[-1].isalpha() and last.isupper():
        word = last + "s"  # an acronym: "PVC" -> "PVCs"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and the noun in the form the count asks for: plural(1, "pod") == "1 pod",
    plural(3, "pod") == "3 pods"; ``many`` overrides the plural form."""
    return f"{count} {noun if count == 1 else (many or plural_form(noun))}"


def noun_for(count: int, noun: str, many: str | None = None) -> str:
    """The noun alone, in the form ``count`` asks for (for sentences that place the number elsewhere)."""
    return noun if count == 1 else (many or plural_form(noun))


def verb(count: int, one: str, many: str) -> str:
    """The verb form that agrees with ``count``: verb(1, "is", "are") == "is"."""
    return one if count == 1 else many


def possessive(name: str) -> str:
    """ "checkout's", but "uploads'" (a name ending in s takes the apostrophe alone)."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def clipped(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters at a word, marked " …": never mid-word or mid-number
    ("was using 1803456Ki", not "was using ")."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"
