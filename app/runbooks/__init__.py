"""Saved diagnostic runbooks: YAML files of parameterized tool steps, run on demand from every surface.

Entry points for the CLI, the page and the Slack bot:

    library = load_library(settings)                      # bundled + the user's folder
    entry = library.get("pod-restarting")                 # LoadedRunbook (runbook, path, origin)
    run = run_runbook(session, entry, {"namespace": "shop", "workload": "payments"},
                      asked_by=Asker("page", "alice"))    # RunbookRun; run.diagnosis is section 2
    suggest_runbooks(question, categories)                # router suggestions
    runbook_from_ledger(question, ledger, "my-check")     # "save as runbook"; then save_runbook(...)
"""

from app.runbooks.loader import (
    Library,
    LoadedRunbook,
    Problem,
    RunbookError,
    UnknownRunbook,
    load_file,
    load_library,
    load_text,
    user_runbooks_dir,
)
from app.runbooks.model import BadParam, Param, Runbook, Step
from app.runbooks.router import suggest_runbooks
from app.runbooks.runner import RunbookRun, StepOutcome, resolve_params, run_runbook
from app.runbooks.save import (
    runbook_from_calls,
    runbook_from_history,
    runbook_from_ledger,
    runbook_yaml,
    save_runbook,
)

__all__ = [
    "BadParam",
    "Library",
    "LoadedRunbook",
    "Param",
    "Problem",
    "Runbook",
    "RunbookError",
    "RunbookRun",
    "Step",
    "StepOutcome",
    "UnknownRunbook",
    "load_file",
    "load_library",
    "load_text",
    "resolve_params",
    "run_runbook",
    "runbook_from_calls",
    "runbook_from_history",
    "runbook_from_ledger",
    "runbook_yaml",
    "save_runbook",
    "suggest_runbooks",
    "user_runbooks_dir",
]
