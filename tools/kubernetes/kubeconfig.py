"""Say why a kubeconfig context cannot be used: which files were read, which contexts they hold, and the
closest name to the one asked for, so a typo in ``--context`` is fixed from the message alone."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import yaml

DEFAULT_KUBECONFIG = "~/.kube/config"
_MAX_READ = 4 * 1024 * 1024  # a kubeconfig is small; never parse more than this per file


def kubeconfig_files(path: str | None) -> tuple[list[Path], str]:
    """The files the kubernetes client reads, and where that list came from."""
    if path:
        return [Path(path).expanduser()], "--kubeconfig"
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p], "KUBECONFIG"
    return [Path(DEFAULT_KUBECONFIG).expanduser()], "the default; KUBECONFIG is not set"


def kubeconfig_location(path: str | None) -> str:
    """What to hand the kubernetes client: read KUBECONFIG now, not when the client was first imported
    (its default is frozen at import time, so a later KUBECONFIG would be ignored)."""
    files, _ = kubeconfig_files(path)
    return os.pathsep.join(str(f) for f in files)


def context_names(files: list[Path]) -> list[str]:
    """Context names across ``files`` (first definition wins, as the client merges them)."""
    names: list[str] = []
    for file in files:
        try:
            with file.open("rb") as handle:
                doc = yaml.safe_load(handle.read(_MAX_READ))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        for entry in contexts if isinstance(contexts, list) else []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
    return names


def explain_unusable(path: str | None, context: str | None, cause: object) -> str:
    """One line: what was asked for, from which files, why it failed, what exists, what was probably meant."""
    files, origin = kubeconfig_files(path)
    existing = [f for f in files if f.is_file()]
    names = context_names(existing)
    which = f"the requested kubeconfig context {context!r}" if context else "the current kubeconfig context"
    where = f"{', '.join(str(f) for f in files)} ({origin})"
    if not existing:
        reason = "no such file" if len(files) == 1 else "none of these files exists"
    elif context and context not in names:
        reason = "no context by that name"
    else:
        reason = str(cause)
    line = f"cannot use {which} from {where}: {reason}"
    if existing:
        line += f"; contexts found: {', '.join(names)}" if names else "; no contexts found"
    close = difflib.get_close_matches(context, names, n=1, cutoff=0.4) if context else []
    if close and close[0] != context:
        line += f"; did you mean --context {close[0]}?"
    return line
