"""A runbook's parameters as a form: one typed input per parameter, its default filled in, required ones
marked. The values go through the runbook's own checks (``resolve_params``) when the form is sent, so the
page and the command line accept and refuse exactly the same things."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.runbooks import Param, Runbook
from app.ui.safe import md_line

NOT_SET = "(not set)"


def param_form(runbook: Runbook, key: str, hints: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Draw the form; returns the entered values (empty ones left out) when Run is pressed, else None.
    ``hints`` pre-fill string parameters that have no default (the namespace chosen in the sidebar)."""
    hints = hints or {}
    with st.form(key=f"rb-form-{key}", border=True):
        if runbook.params:
            st.markdown("**Parameters** (\\* required)")
        else:
            st.caption("This runbook takes no parameters.")
        values = {
            param.name: _input(param, f"rb-param-{key}-{param.name}", hints) for param in runbook.params
        }
        sent = st.form_submit_button("Run", icon=":material/play_arrow:", type="primary")
    if not sent:
        return None
    return {name: value for name, value in values.items() if value not in (None, "", NOT_SET)}


def _label(param: Param) -> str:
    """The parameter's name (an identifier, so plain text; escaping would show in the aria-label)."""
    return param.name + (" *" if param.required else "")


def _input(param: Param, key: str, hints: dict[str, str]) -> Any:
    label, help_text = _label(param), md_line(param.description, 400) if param.description else None
    if param.enum is not None:
        options = list(param.enum)
        if not param.required and param.default is None:
            options = [NOT_SET, *options]
        index = options.index(param.default) if param.default in options else 0
        return st.selectbox(label, options, index=index, key=key, help=help_text, format_func=str)
    if param.type == "boolean":
        if param.default is None and not param.required:
            choice = st.selectbox(label, [NOT_SET, "true", "false"], key=key, help=help_text)
            return None if choice == NOT_SET else choice
        return st.checkbox(label, value=bool(param.default), key=key, help=help_text)
    if param.type in ("integer", "number"):
        whole = param.type == "integer"
        default = param.default if param.default is not None else None
        return st.number_input(
            label,
            value=default,
            step=1 if whole else None,
            format="%d" if whole else None,
            key=key,
            help=help_text,
            placeholder="required" if param.required else "optional",
        )
    default = param.default if param.default is not None else hints.get(param.name, "")
    return st.text_input(
        label,
        value=str(default),
        key=key,
        help=help_text,
        placeholder=_placeholder(param),
    )


def _placeholder(param: Param) -> str:
    if param.pattern:
        return f"matching {param.pattern}"
    return "required" if param.required else "optional"
