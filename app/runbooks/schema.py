"""The runbook JSON schema, generated from the pydantic models, published as docs/runbook.schema.json.

python -m app.runbooks.schema            # rewrite docs/runbook.schema.json
python -m app.runbooks.schema --check    # exit 1 when the published file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.runbooks.model import Runbook

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "runbook.schema.json"
SCHEMA_ID = "https://kubewhy.dev/schemas/runbook.schema.json"


def runbook_schema() -> dict[str, Any]:
    schema = Runbook.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "kubewhy runbook",
        "description": (
            "A saved kubewhy investigation (YAML). Steps call registered read-only tools "
            "(kubewhy tools list); argument values may be Jinja templates over params and earlier steps."
        ),
    }


def schema_text() -> str:
    return json.dumps(runbook_schema(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the published file is current")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.check:
        current = PUBLISHED.read_text(encoding="utf-8") if PUBLISHED.exists() else ""
        if current != text:
            print(f"{PUBLISHED} is out of date: run python -m app.runbooks.schema", file=sys.stderr)
            return 1
        return 0
    PUBLISHED.write_text(text, encoding="utf-8")
    print(f"wrote {PUBLISHED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
