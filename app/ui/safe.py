"""Make text from the cluster inert before Streamlit renders it.

Names, log lines, event messages and model text can hold anything: Markdown links, bare URLs that GFM
would turn into links, HTML, Streamlit's ``:color[...]`` directives, ``$math$``, terminal escapes and bidi
overrides. Every piece of such text shown through Markdown goes through :func:`md` (or :func:`md_line`),
and every raw text shown with ``st.code``/``st.text`` through :func:`plain`; all come from
:mod:`tools.inert`, the one home of the rule for every surface.
"""

from __future__ import annotations

from tools.inert import WORD_JOINER, markdown_line, plain
from tools.inert import markdown as md

__all__ = ["WORD_JOINER", "md", "md_line", "plain"]


def md_line(text: object, limit: int = 200) -> str:
    """One escaped line (labels, status lines): newlines folded, cut to ``limit`` characters."""
    return markdown_line(text, limit)
