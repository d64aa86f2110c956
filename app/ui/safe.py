"""Make text from the cluster inert before Streamlit renders it.

Names, log lines, event messages and model text can hold anything: Markdown links, bare URLs that GFM
would turn into links, HTML, Streamlit's ``:color[...]`` directives or ``$math$``. Every piece of such
text shown through Markdown goes through :func:`md`, which backslash-escapes all ASCII punctuation
(CommonMark allows escaping any of it) and puts an invisible word joiner inside the patterns GFM would
auto-link, so it renders as the same characters and nothing else. Longer raw text is shown with
``st.code``/``st.text``, which never interpret it.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# GFM turns bare URLs, www. names and e-mail addresses into links after escapes are resolved, so a
# backslash does not stop it: an invisible word joiner inside the pattern does.
_AUTOLINK = re.compile(r"(?i)(?=://)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"  # invisible, and unlike a zero-width space it allows no line break
_NEWLINES = re.compile(r"\s*\n\s*")


def md(text: object) -> str:
    """``text`` as Markdown showing the same characters (plus a word joiner where a link would start),
    never a link, HTML, a directive or math."""
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def md_line(text: object, limit: int = 200) -> str:
    """One escaped line (labels, status lines): newlines folded, cut to ``limit`` characters."""
    flat = _NEWLINES.sub(" ", str(text)).strip()
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return md(flat)
