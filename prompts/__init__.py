"""Prompts live here as Markdown/Jinja files, never as Python strings; ``load_prompt`` renders one."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

PROMPTS_DIR = Path(__file__).parent


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS_DIR),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def load_prompt(name: str, **variables: Any) -> str:
    """Render ``prompts/<name>.md`` with ``variables``."""
    return _environment().get_template(f"{name}.md").render(**variables).strip()
