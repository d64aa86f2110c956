"""Pod logs that fit a budget: filter first (grep), then keep what matters, the errors and the end.

The end of a log is where a crash explains itself; error lines earlier on are where trouble started.
When a log is too long both are kept, with a marker saying how many lines were skipped in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tools.budget import count_tokens
from tools.contracts.kube.objects import meta
from tools.contracts.tool import ToolError
from tools.contracts.wording import plural
from tools.kubernetes.access import KubeAccess, KubeError
from tools.kubernetes.render import BoundedText
from tools.log_lines import cut_text
from tools.patterns import PatternError, outside_pattern

FETCH_LINES = 5000  # how far back a log is read when no tail is given
FETCH_BYTES = 4 * 1024 * 1024
ERROR_LINE = re.compile(
    r"(?i)\b(error|err|exception|fatal|panic|traceback|failed|failure|refused|timeout|timed out|denied|"
    r"forbidden|unauthorized|oom|killed|no such host|cannot|can't|unable|critical|crit|severe)\b"
)


# A line's leading timestamp (RFC 3339 / ISO 8601, or klog's "I1120 09:30:00.123456 1 "), ignored when
# telling whether lines repeat.
_STAMP = re.compile(
    r"^(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
    r"|[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+)\s*"
)
# Lines of a stack trace below its message: Java/JS/.NET "at ...", Go's "\t/src/x.go:41 +0x1b4" and the
# call before it, Python's 'File "x.py", line 3' and its code line, Java's "... 12 more".
_FRAME = re.compile(r"^\s+(?:at\s|File \"|\.\.\. \d+ more)|^\s+\S+\.go:\d+")
_GO_CALL = re.compile(r"^[\w.*/()-]+\(.*\)$")
KEEP_FRAMES = 2  # lines of a stack kept: the frame that raised (Python's last, the others' first)
KEEP_REPEATS = 2  # a run of the same line: its first and last are kept, the ones between counted


def _is_frame(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _FRAME.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if _GO_CALL.match(line) and re.match(r"^\s+\S+\.go:\d+", following):
        return True
    previous = lines[index - 1] if index else ""
    return bool(line.startswith("    ") and previous.lstrip().startswith('File "'))  # Python's code line


def fold_log(lines: list[str]) -> list[str]:
    """Repeats and stack traces counted instead of shown: a run of lines that differ only in their
    leading timestamp keeps its first and last line, a stack trace the frame that raised; a marker line
    says how many were left out. Kept lines are verbatim."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = index + 1
        if _is_frame(lines, index):
            while end < len(lines) and _is_frame(lines, end):
                end += 1
            run = lines[index:end]
            if len(run) > KEEP_FRAMES + 1:
                marker = f"... {plural(len(run) - KEEP_FRAMES, 'more stack line')} ..."
                python = run[0].lstrip().startswith('File "')  # most recent call last
                out += [marker, *run[-KEEP_FRAMES:]] if python else [*run[:KEEP_FRAMES], marker]
            else:
                out += run
            index = end
            continue
        key = _STAMP.sub("", lines[index])
        while end < len(lines) and key and _STAMP.sub("", lines[end]) == key:
            end += 1
        count = end - index
        if count > KEEP_REPEATS + 1:
            between = count - KEEP_REPEATS
            out += [lines[index], f"... the same line {plural(between, 'more time')} ...", lines[end - 1]]
        else:
            out += lines[index:end]
        index = end
    return out


@dataclass
class LogSelection:
    lines: list[str]  # kept lines, with "... N lines skipped ..." markers
    total: int  # lines after the grep filter
    shown: int  # real log lines among `lines`


def choose_container(pod: dict[str, Any], container: str | None) -> tuple[str, list[str]]:
    """The container to read: the one asked for, the only one, or the one in trouble. Plus the others."""
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or []]
    init = [c.get("name") for c in spec.get("initContainers") or []]
    pod_name = meta(pod).get("name")
    if container:
        if container not in names + init:
            raise ToolError(
                f"pod {pod_name} has no container {container!r}; containers: {', '.join(names + init)}"
            )
        return container, [n for n in names + init if n != container]
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or []
    statuses += (pod.get("status") or {}).get("containerStatuses") or []
    troubled = [s.get("name") for s in statuses if not s.get("ready") and not _completed(s)]
    restarted = [s.get("name") for s in statuses if s.get("restartCount")]
    chosen = (troubled or restarted or names or init)[0]
    return chosen, [n for n in names + init if n != chosen]


def _completed(status: dict[str, Any]) -> bool:
    terminated = (status.get("state") or {}).get("terminated") or {}
    return terminated.get("exitCode") == 0


def grep_filter(lines: list[str], pattern: str) -> list[str]:
    """Case-insensitive regex, run on RE2 (linear time: a model's pattern cannot hang the process)."""
    try:
        regex = outside_pattern(pattern, ignore_case=True)
    except PatternError as exc:
        raise ToolError(f"grep: {exc}") from None
    return [line for line in lines if regex.search(line)]


def select_lines(lines: list[str], budget_tokens: int) -> LogSelection:
    """All lines if they fit; otherwise the error lines from the start and as many last lines as fit."""
    costs = [count_tokens(line) + 1 for line in lines]
    if sum(costs) <= budget_tokens:
        return LogSelection(list(lines), len(lines), len(lines))
    tail_budget = budget_tokens * 3 // 5
    tail_start = len(lines)
    used = 0
    while tail_start > 0 and used + costs[tail_start - 1] <= tail_budget:
        tail_start -= 1
        used += costs[tail_start]
    head_budget = budget_tokens - used - 30
    errors: list[int] = []
    for index in range(tail_start):
        if ERROR_LINE.search(lines[index]):
            if head_budget - costs[index] < 0:
                break
            errors.append(index)
            head_budget -= costs[index]
    kept: list[str] = []
    previous = -1
    for index in errors:
        if index > previous + 1:
            kept.append(f"... {plural(index - previous - 1, 'line')} skipped ...")
        kept.append(lines[index])
        previous = index
    if tail_start > previous + 1:
        kept.append(f"... {plural(tail_start - previous - 1, 'line')} skipped ...")
    kept += lines[tail_start:]
    return LogSelection(kept, len(lines), len(errors) + len(lines) - tail_start)


def read_log_lines(
    kube: KubeAccess,
    namespace: str,
    pod: str,
    container: str,
    previous: bool,
    tail: int | None,
    since_seconds: int | None,
) -> list[str]:
    try:
        text = kube.read_log(
            namespace,
            pod,
            container=container,
            previous=previous,
            tail_lines=tail or FETCH_LINES,
            since_seconds=since_seconds,
            limit_bytes=FETCH_BYTES,
        )
    except KubeError as exc:
        if previous and exc.status == 400:
            raise ToolError(
                f"container {container} of pod {pod} has no previous instance (it has not restarted); "
                "read it with previous=false"
            ) from None
        raise
    return [cut_text(line) for line in text.splitlines()]  # a real API server sends any length


def restart_note(pod: dict[str, Any], container: str) -> str | None:
    """Say when the crash that matters is in the previous instance's log."""
    for status in ((pod.get("status") or {}).get("containerStatuses") or []) + (
        (pod.get("status") or {}).get("initContainerStatuses") or []
    ):
        if status.get("name") != container or not status.get("restartCount"):
            continue
        last = (status.get("lastState") or {}).get("terminated") or {}
        detail = f"; last exit: {last.get('reason', '?')} (exit code {last.get('exitCode')})" if last else ""
        return (
            f"note: container {container} restarted {plural(status['restartCount'], 'time')}{detail}; "
            "previous=true shows the log of the instance that crashed"
        )
    return None


def render_log_text(
    out: BoundedText, header: str, selection: LogSelection, grep: str | None, hint: str
) -> None:
    out.add(header)
    if not selection.lines:
        out.add("(no log lines" + (f" match grep={grep!r})" if grep else ")"))
        return
    for line in selection.lines:
        if not out.add(line):
            break
    if selection.shown < selection.total:
        out.omit(selection.total - selection.shown, "log line", hint)
