"""Untrusted text made inert for the medium it is shown in: the one home of that rule.

Text from the cluster (names, log lines, event messages, annotations) and from a model can hold anything:
terminal escape sequences (colours, an OSC 8 hyperlink that shows "click-me" and opens another address,
cursor moves that hide lines), C0/C1 control characters, bidirectional overrides that make text read
differently from what it is (U+202E), Markdown links and images, raw HTML, Slack's ``<!channel>`` and
``<http://x|label>``. Each surface takes its escaper from here:

- :func:`plain` for a terminal, a code block, a model: escape sequences and control characters removed
  (tab and newline kept), bidi controls shown as ``[U+202E]`` so a reader sees they were there;
- :func:`markdown` for CommonMark/GFM (``-o markdown``, the page): :func:`plain`, then every ASCII
  punctuation character backslash-escaped and bare links broken with an invisible word joiner, so the text
  renders as the same characters and never as a link, an image, HTML, a directive or math;
  :func:`markdown_line` for text inside kubewhy's own structure (a title, a list item), on one line;
- :func:`mrkdwn` and :func:`mrkdwn_code` for Slack: :func:`plain`, then ``&``, ``<`` and ``>`` as
  entities (no link, mention or entity), and outside code no backtick, so model text cannot open a code
  block that looks like a command to copy.

Lives beside the tool contract because tool text is cleaned with :func:`plain` before anyone reads it.
"""

from __future__ import annotations

import re
import string

# ECMA-48: string controls (OSC, DCS, SOS, PM, APC) up to their terminator, but never past a line end, so an
# unterminated one cannot swallow the rest of the text; then CSI sequences; then two-character escapes.
_ESCAPES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n|[\u2028\u2029]")
# Bidi embeddings, overrides, isolates and marks, and the invisible "tag" characters used to smuggle text.
BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# GFM turns bare URLs, www. names and e-mail addresses into links after escapes are resolved, so a
# backslash does not stop it: an invisible word joiner inside the pattern does.
_AUTOLINK = re.compile(r"(?i)(?=://)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"  # invisible, and unlike a zero-width space it allows no line break
SLACK_BACKTICK = "\u02cb"  # looks like ` but opens no code span or block
_NEWLINES = re.compile(r"\s*\n\s*")


def plain(text: object) -> str:
    """``text`` with no escape sequence or control character (tab and newline stay) and bidi controls
    shown as ``[U+XXXX]``: safe to print on a terminal, in a code block, or to hand to a model."""
    cleaned = _CONTROLS.sub("", _ESCAPES.sub("", _LINE_BREAKS.sub("\n", str(text))))
    return BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", cleaned)


def markdown(text: object) -> str:
    """``text`` as Markdown showing the same characters (plus a word joiner where a link would start),
    never a link, image, HTML, a Streamlit directive or math."""
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, plain(text)))


def markdown_line(text: object, limit: int | None = None) -> str:
    """One line of inert Markdown (titles, labels, list items): line breaks folded into spaces, so the text
    cannot end kubewhy's own structure around it; cut to ``limit`` characters."""
    flat = _NEWLINES.sub(" ", plain(text)).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return markdown(flat)


def mrkdwn_code(text: object) -> str:
    """``text`` for inside a Slack code block: Slack's three control characters as entities."""
    return plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: object) -> str:
    """``text`` for Slack mrkdwn outside code: no link, mention, entity or code span."""
    return mrkdwn_code(text).replace("`", SLACK_BACKTICK)
