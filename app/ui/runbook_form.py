"""A runbook's parameters as a form: one typed input per parameter, its default filled in, required ones
marked. Namespaces and object names (workload, service, claim, node...) are picked from the cluster, the
object list following the namespace chosen for it; a name the cluster did not list can still be typed.

The values go through the runbook's own checks (``resolve_params``) when Run is pressed, so the page and
the command line accept and refuse exactly the same things, and every missing field is named at once.
The inputs are not an ``st.form``: choosing a namespace must refresh the object list below it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.runbooks import Param, Runbook
from app.runbooks.target import is_namespace_param, namespace_param
from app.ui.safe import md_line

NOT_SET = "(not set)"
Choices = Callable[[str, dict[str, Any]], list[str] | None]  # (parameter, values so far) -> names


def param_form(
    runbook: Runbook, key: str, hints: dict[str, str] | None = None, choices: Choices | None = None
) -> dict[str, Any] | None:
    """Draw the form; returns the entered values (empty ones left out) when Run is pressed, else None.
    ``hints`` pre-fill string parameters that have no default (the namespace chosen in the sidebar);
    ``choices`` gives the names the cluster has for a parameter (None: type it)."""
    hints = hints or {}
    with st.container(border=True, key=f"rb-form-{key}"):
        if runbook.params:
            st.markdown("**Parameters** (\\* required)")
        else:
            st.caption("This runbook takes no parameters.")
        values: dict[str, Any] = {}
        for param in runbook.params:
            names = choices(param.name, values) if choices is not None and param.type == "string" else None
            widget = f"rb-param-{key}-{param.name}"
            if names is not None and param.enum is None:
                where = None if is_namespace_param(param.name) else namespace_param(runbook, param.name)
                values[param.name] = _picker(
                    param, widget, names, hints, values.get(where) if where else None
                )
            else:
                values[param.name] = _input(param, widget, hints)
        sent = st.button("Run", key=f"rb-run-{key}", icon=":material/play_arrow:", type="primary")
    if not sent:
        return None
    return {name: value for name, value in values.items() if value not in (None, "", NOT_SET)}


def _label(param: Param) -> str:
    """The parameter's name (an identifier, so plain text; escaping would show in the aria-label)."""
    return param.name + (" *" if param.required else "")


def _picker(
    param: Param, key: str, names: list[str], hints: dict[str, str], namespace: str | None
) -> str | None:
    """A list of the cluster's names; typing another one is allowed (a list may be cut or forbidden).
    A name chosen in another namespace is cleared when the namespace changes."""
    wanted = param.default if param.default is not None else hints.get(param.name)
    chosen_in = f"{key}:namespace"
    if st.session_state.get(chosen_in, namespace) != namespace:
        st.session_state.pop(key, None)
    st.session_state[chosen_in] = namespace
    index = names.index(wanted) if wanted in names and key not in st.session_state else None
    help_text = md_line(param.description, 400) if param.description else None
    placeholder = "choose the namespace first" if not names else f"choose one of {len(names)}, or type a name"
    return st.selectbox(
        _label(param),
        names,
        index=index,
        key=key,
        help=help_text,
        placeholder=placeholder,
        accept_new_options=True,
    )


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
