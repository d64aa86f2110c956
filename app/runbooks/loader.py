"""Read runbook YAML files and refuse bad ones with the file, the line and the reason.

Validation happens before anything runs: the document shape (pydantic), the tool names, the tool
arguments (names, required ones, literal values against the tool's own parameter model) and every
template's references (declared parameters, earlier step ids). Pydantic error locations are mapped back
to YAML lines through the composed node tree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from app.runbooks.model import Param, Runbook
from app.runbooks.template import TemplateProblem, references, template_strings, trial_problem
from tools.contracts.settings import Settings

BUILTIN_DIR = Path(__file__).parent / "builtin"
RUNBOOK_SUFFIXES = (".yaml", ".yml")
MAX_NODES = 100_000  # YAML nodes once aliases are expanded: a runbook of 100 steps needs a few thousand
_LOC_PREFIX = re.compile(r"^(params|steps)\[(\d+)\]: ")
_FIELD_PREFIX = re.compile(r"^([a-z_]+): ")
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


class UnknownRunbook(LookupError):
    """No runbook of that name in the library."""


class RunbookError(ValueError):
    """A runbook that cannot be used; every problem names its file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadedRunbook:
    runbook: Runbook
    path: Path
    origin: Literal["bundled", "user"]
    overrides: bool = False  # a user runbook that replaces a bundled one of the same name

    @property
    def name(self) -> str:
        return self.runbook.name


@dataclass
class Library:
    runbooks: dict[str, LoadedRunbook] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, name: str) -> LoadedRunbook:
        try:
            return self.runbooks[name]
        except KeyError:
            broken = [p for p in self.problems if Path(p.file).stem == name]
            if broken:
                raise RunbookError(broken) from None
            known = ", ".join(sorted(self.runbooks)) or "none"
            raise UnknownRunbook(f"no runbook called {name!r}; known runbooks: {known}") from None

    def sorted(self) -> list[LoadedRunbook]:
        return [self.runbooks[name] for name in sorted(self.runbooks)]


def user_runbooks_dir(settings: Settings) -> Path:
    """Where the user's runbooks live: ``KUBEWHY_RUNBOOKS_DIR``, else the kubewhy data directory."""
    if settings.runbooks_dir:
        return Path(settings.runbooks_dir).expanduser()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "kubewhy" / "runbooks"


def load_library(settings: Settings | None) -> Library:
    """Bundled runbooks, then the user's (a user runbook with a bundled name overrides it); with no
    settings, the bundled ones only."""
    library = Library()
    folders: list[tuple[str, Path]] = [("bundled", BUILTIN_DIR)]
    if settings is not None:
        folders.append(("user", user_runbooks_dir(settings)))
    for origin, folder in folders:
        for path in _runbook_files(folder):
            try:
                runbook = load_file(path)
            except RunbookError as exc:
                library.problems.extend(exc.problems)
                continue
            earlier = library.runbooks.get(runbook.name)
            if earlier is not None and earlier.origin == origin:
                library.problems.append(
                    Problem(str(path), None, f"runbook {runbook.name!r} is also defined in {earlier.path}")
                )
                continue
            library.runbooks[runbook.name] = LoadedRunbook(
                runbook,
                path,
                origin,
                overrides=earlier is not None,  # type: ignore[arg-type]
            )
    return library


def _runbook_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in RUNBOOK_SUFFIXES and p.is_file())


def load_file(path: str | Path) -> Runbook:
    """Parse and validate one runbook file; raises RunbookError listing every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunbookError([Problem(str(path), None, f"cannot read the file: {exc}")]) from None
    return load_text(text, str(path))


def load_text(text: str, file: str = "<runbook>") -> Runbook:
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise RunbookError([Problem(file, line, f"not valid YAML: {reason}")]) from None
    documents = [d for d in documents if d is not None]
    if len(documents) != 1:
        found = "no document" if not documents else f"{len(documents)} documents"
        raise RunbookError([Problem(file, None, f"a runbook file holds one YAML document; found {found}")])
    root = documents[0]
    expanded, distinct = _expanded_nodes(root)
    if expanded > MAX_NODES and expanded > distinct:  # a big file without aliases costs only its size
        raise RunbookError(
            [Problem(file, None, f"aliases expand to more than {MAX_NODES:,} YAML nodes; a runbook is small")]
        )
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except yaml.YAMLError as exc:  # a tag such as !!python/object: runbooks are plain data
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise RunbookError([Problem(file, line, f"not plain YAML data: {reason}")]) from None
    if not isinstance(data, dict):
        raise RunbookError(
            [Problem(file, _line(root, ()), "a runbook is a mapping (name:, title:, steps: ...)")]
        )
    try:
        runbook = Runbook.model_validate(data)
    except ValidationError as exc:
        raise RunbookError(_pydantic_problems(exc, root, file)) from None
    problems = [Problem(file, _line(root, where), message) for where, message in check_runbook(runbook)]
    if problems:
        raise RunbookError(problems)
    return runbook


def _expanded_nodes(root: yaml.Node) -> tuple[int, int]:
    """How many nodes the document has once every alias is expanded (capped past ``MAX_NODES``), and how
    many it holds: measured on the composed graph, so a "billion laughs" file costs microseconds."""
    counts: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # post-order without recursion: a node is counted after all its children
        node, children_done = stack.pop()
        if id(node) in counts:
            continue
        if children_done:
            total = 1 + sum(counts[id(child)] for child in _children(node))
            counts[id(node)] = min(MAX_NODES + 1, total)
            open_nodes.discard(id(node))
        elif id(node) in open_nodes:
            return MAX_NODES + 1, len(counts)  # an alias inside its own anchor: endless once expanded
        else:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in counts)
    return counts[id(root)], len(counts)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _pydantic_problems(exc: ValidationError, root: yaml.Node, file: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        where: Path_ = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        prefix = _LOC_PREFIX.match(message)
        if prefix:  # a model-level check names the list item it is about
            where = (*where, prefix.group(1), int(prefix.group(2)))
            message = message[prefix.end() :]
        named = _FIELD_PREFIX.match(message)
        if named and _has_key(root, where, named.group(1)):  # ... or the field it is about
            where = (*where, named.group(1))
            message = message[named.end() :]
        label = ".".join(str(part) for part in where if not _is_variant(part))
        if error["type"] == "extra_forbidden":
            message = "unknown field (a typo?)"
        problems.append(Problem(file, _line(root, where), f"{label}: {message}" if label else message))
    return problems


def _is_variant(part: str | int) -> bool:
    """Pydantic adds union member names (``str``, ``int`` ...) to locations; they are not YAML keys."""
    return isinstance(part, str) and part in ("str", "int", "float", "bool", "list[...]", "none")


def _has_key(root: yaml.Node, where: Path_, key: str) -> bool:
    node = _node(root, where)
    return isinstance(node, yaml.MappingNode) and any(k.value == key for k, _ in node.value)


def _node(root: yaml.Node, where: Path_) -> yaml.Node | None:
    node: yaml.Node | None = root
    for part in where:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        elif _is_variant(part):
            continue
        else:
            return None
    return node


def _line(root: yaml.Node, where: Path_) -> int | None:
    """The YAML line of the deepest node on ``where`` that exists (1-based)."""
    node, line = root, root.start_mark.line + 1
    for part in where:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    child, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            if _is_variant(part):
                continue
            break
        node = child
    return line


# --- checks beyond the document's shape ---------------------------------------------------------------


def check_runbook(runbook: Runbook) -> list[tuple[Path_, str]]:
    """Tool names, tool arguments and template references, as (location, reason)."""
    from app.toolset import get_tool
    from tools.contracts.tool import ToolError

    problems: list[tuple[Path_, str]] = []
    params = {p.name for p in runbook.params}
    trial = {"params": {p.name: _placeholder(p) for p in runbook.params}, "steps": {}}
    if runbook.question is not None:
        problems += _check_refs(runbook.question, ("question",), params, set(), expression=False, trial=trial)
    earlier: set[str] = set()
    for index, step in enumerate(runbook.steps):
        where: Path_ = ("steps", index)
        try:
            spec = get_tool(step.tool)
        except ToolError as exc:
            problems.append(((*where, "tool"), str(exc)))
            spec = None
        if spec is not None:
            problems += _check_args(spec, step.args, (*where, "args"))
        for key, value in step.args.items():
            for text in template_strings(value):
                problems += _check_refs(
                    text, (*where, "args", key), params, earlier, expression=False, trial=trial
                )
        if step.when is not None:
            problems += _check_refs(
                step.when, (*where, "when"), params, earlier, expression=True, trial=trial
            )
        if step.id is not None:
            earlier.add(step.id)
    return problems


def _placeholder(param: Param) -> Any:
    """A value of the parameter's type to try templates with (its default or first allowed value)."""
    if param.default is not None:
        return param.default
    if param.enum:
        return param.enum[0]
    return {"string": "placeholder", "integer": 1, "number": 1.0, "boolean": True}[param.type]


def _check_refs(
    source: str, where: Path_, params: set[str], steps: set[str], *, expression: bool, trial: dict[str, Any]
) -> list[tuple[Path_, str]]:
    label = ".".join(str(p) for p in where)
    try:
        found = references(source, expression=expression)
    except TemplateProblem as exc:
        return [(where, f"{label}: {exc}")]
    failed = trial_problem(source, trial, expression=expression)
    if failed is not None:
        return [(where, f"{label}: {failed}")]
    problems = []
    for ref in found:
        if ref.root == "params" and ref.name not in params:
            known = ", ".join(sorted(params)) or "none"
            problems.append((where, f"{label}: unknown parameter {ref.name!r} (parameters: {known})"))
        if ref.root == "steps" and ref.name not in steps:
            known = ", ".join(sorted(steps)) or "none"
            problems.append(
                (where, f"{label}: {ref.name!r} is not an earlier step's id (earlier steps: {known})")
            )
    return problems


def _check_args(spec: Any, args: dict[str, Any], where: Path_) -> list[tuple[Path_, str]]:
    fields = spec.params.model_fields
    problems: list[tuple[Path_, str]] = []
    for key in args:
        if key not in fields:
            known = ", ".join(fields) or "none"
            problems.append(((*where, key), f"tool {spec.name} has no argument {key!r} (arguments: {known})"))
    for key, info in fields.items():
        if info.is_required() and key not in args:
            problems.append((where, f"tool {spec.name} needs the argument {key!r}"))
    literal = {k: v for k, v in args.items() if k in fields and not template_strings(v)}
    try:
        spec.params.model_validate(literal)
    except ValidationError as exc:
        for error in exc.errors():
            key = error["loc"][0] if error["loc"] else None
            if key in literal:
                message = error["msg"].removeprefix("Value error, ")
                problems.append(((*where, key), f"tool {spec.name} argument {key!r}: {message}"))
    return problems
