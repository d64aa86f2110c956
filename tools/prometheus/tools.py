"""The Prometheus tools a model, the diagnostician and runbooks call (source "prometheus").

Every tool returns the PromQL it ran, in ``data`` and in ``text``, so the evidence shows exactly what was
asked. Range results reach the model as summaries (last/min/max/mean, trend, jumps) within the token
budget; ``data`` keeps the points for charts.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from tools.budget import count_tokens, fit_lines
from tools.contracts.kube.time import parse_duration
from tools.contracts.tool import ToolContext, ToolError, ToolOutput, ToolParams
from tools.contracts.wording import noun_for, plural
from tools.patterns import PatternError, outside_pattern
from tools.prometheus.client import PrometheusAccess
from tools.prometheus.queries import CHECKS, Check, get_check
from tools.prometheus.summary import (
    SeriesSummary,
    Window,
    format_labels,
    format_time,
    format_value,
    render_summaries,
    summarize_matrix,
)
from tools.prometheus.window import format_duration, pick_step
from tools.registry import tool, tool_family

K8S_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
MAX_DATA_SERIES = 200
NARROW = "narrow with label filters"
WindowField = Field("1h", description="e.g. 6h")


def _prometheus(ctx: ToolContext) -> PrometheusAccess:
    if ctx.prometheus is None:
        raise ToolError(
            "Prometheus not configured: set KUBEWHY_PROMETHEUS_URL, or use a snapshot with metrics/"
        )
    return ctx.prometheus


def _now(ctx: ToolContext, prom: PrometheusAccess) -> datetime:
    """The snapshot's capturedAt in snapshot mode, else the wall clock."""
    return ctx.fixed_now or prom.evaluation_time()


def _window(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ToolError(f"window: {exc}") from None
    if seconds > 31 * 86400:
        raise ToolError(f"window: {text!r} is longer than 31d; use a shorter window")
    return seconds


def _body_budget(ctx: ToolContext, header: list[str]) -> int:
    return max(ctx.token_budget - count_tokens("\n".join(header)) - 4, 50)


# --- prom_query --------------------------------------------------------------------------------------


class PromQueryParams(ToolParams):
    query: str = Field(..., min_length=1, max_length=4000, description="PromQL")


@tool("prom_query", "prometheus", PromQueryParams)
def prom_query(ctx: ToolContext, params: PromQueryParams) -> ToolOutput:
    """PromQL now, per series, largest first."""
    prom = _prometheus(ctx)
    at = _now(ctx, prom)
    result = prom.query(params.query, at=at)
    rows = [(item.get("metric", {}), _float(item.get("value", [0, "nan"])[1])) for item in result]
    rows.sort(key=lambda row: (-_sort_value(row[1]), format_labels(row[0])))
    header = [f"PromQL: {params.query}", f"evaluated at {format_time(at.timestamp())}: {len(rows)} series"]
    lines = [f"{format_labels(labels)} {format_value(value)}" for labels, value in rows]
    if not rows:
        lines = ["empty result: no series matched (check names with prom_metrics)"]
    body, truncated = fit_lines(lines, _body_budget(ctx, header), NARROW)
    data = {
        "promql": params.query,
        "time": at.isoformat(),
        "series": [{"labels": labels, "value": _json(value)} for labels, value in rows[:MAX_DATA_SERIES]],
        "series_total": len(rows),
    }
    return ToolOutput("\n".join([*header, body]), data, truncated)


# --- prom_query_range --------------------------------------------------------------------------------


class PromQueryRangeParams(ToolParams):
    query: str = Field(..., min_length=1, max_length=4000, description="PromQL")
    window: str = WindowField
    step: str | None = Field(None, description="e.g. 30s")


@tool("prom_query_range", "prometheus", PromQueryRangeParams)
def prom_query_range(ctx: ToolContext, params: PromQueryRangeParams) -> ToolOutput:
    """PromQL over a window: since when, how much."""
    prom = _prometheus(ctx)
    window_s = _window(params.window)
    step_s = _window(params.step) if params.step else pick_step(window_s)
    if window_s / step_s > 11000:
        raise ToolError(f"step: {params.step!r} gives more than 11,000 points over {params.window}")
    header, summaries, data = _range(ctx, prom, params.query, window_s, step_s)
    lines, truncated = render_summaries(summaries, _body_budget(ctx, header), window=_covered(data))
    if not summaries:
        lines = ["empty result: no series matched (check names with prom_metrics)"]
    return ToolOutput("\n".join([*header, *lines]), data, truncated)


def _range(
    ctx: ToolContext, prom: PrometheusAccess, promql: str, window_s: float, step_s: float
) -> tuple[list[str], list[SeriesSummary], dict[str, Any]]:
    end = _now(ctx, prom)
    start = end - timedelta(seconds=window_s)
    result = prom.query_range(promql, start, end, step_s)
    summaries = summarize_matrix(result)
    header = [
        f"PromQL: {promql}",
        f"window {format_duration(window_s)} ending {format_time(end.timestamp())}, "
        f"step {format_duration(step_s)}: {len(summaries)} series",
    ]
    data = {
        "promql": promql,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "step_s": step_s,
        "series": [s.as_dict() for s in summaries[:MAX_DATA_SERIES]],
        "series_total": len(summaries),
    }
    return header, summaries, data


def _covered(data: dict[str, Any]) -> Window:
    start = datetime.fromisoformat(data["start"]).timestamp()
    return Window(start=start, end=datetime.fromisoformat(data["end"]).timestamp(), step=data["step_s"])


# --- prom_check --------------------------------------------------------------------------------------

CheckName = Literal[tuple(CHECKS)]  # type: ignore[valid-type]


class PromCheckParams(ToolParams):
    check: CheckName
    namespace: str | None = Field(None, pattern=K8S_NAME, max_length=253)
    workload: str | None = Field(None, pattern=K8S_NAME, max_length=253)
    pod: str | None = Field(None, pattern=K8S_NAME, max_length=253)
    node: str | None = Field(None, pattern=K8S_NAME, max_length=253)
    window: str = WindowField


@tool("prom_check", "prometheus", PromCheckParams)
def prom_check(ctx: ToolContext, params: PromCheckParams) -> ToolOutput:
    """A ready-made check; the best first metrics call."""
    prom = _prometheus(ctx)
    check = get_check(params.check)
    filters = params.model_dump(include={"namespace", "workload", "pod", "node"})
    promql, ignored = check.promql(filters)
    window_s = _window(params.window)
    header, summaries, data = _range(ctx, prom, promql, window_s, pick_step(window_s))
    header[0:0] = [f"check {check.name}: {check.title} [{check.unit}]"]
    data.update({"check": check.name, "unit": check.unit, "ignored_filters": ignored})
    footer = [f"note: {check.note}"] if check.note and summaries else []
    if ignored:
        footer.append(
            f"ignored {noun_for(len(ignored), 'filter')}: {', '.join(ignored)} (not labels of this "
            f"check's series)"
        )
    if check.order == "labels":
        summaries.sort(key=lambda s: format_labels({k: v for k, v in s.labels.items() if k != "__name__"}))
        data["series"] = [s.as_dict() for s in summaries[:MAX_DATA_SERIES]]
    if summaries:
        data["status"] = "ok"
        budget = _body_budget(ctx, header + footer)
        lines, truncated = render_summaries(summaries, budget, unit=check.unit, window=_covered(data))
    else:
        status, message = _explain_empty(ctx, prom, check, filters, window_s)
        data["status"] = status
        lines, truncated = [message], False
    return ToolOutput("\n".join([*header, *lines, *footer]), data, truncated)


def _explain_empty(
    ctx: ToolContext, prom: PrometheusAccess, check: Check, filters: dict[str, str | None], window_s: float
) -> tuple[str, str]:
    """Tell "the exporter is not scraped" and "nothing matches the filters" apart from "all healthy"."""
    at = _now(ctx, prom)
    lookback = format_duration(window_s)

    def exists(selector: str) -> bool:
        return bool(prom.query(f"count(last_over_time({selector}[{lookback}]))", at=at))

    missing = [m for m in check.metrics if not exists(m)]
    if missing:
        return "no_series", f"no series for {', '.join(missing)}: is {check.exporter} scraped?"
    matchers, _ = check.matchers(filters)
    if matchers:
        selector = "{" + ", ".join(matchers) + "}"
        unmatched = [m for m in check.metrics if not exists(m + selector)]
        if unmatched:
            return (
                "no_match",
                f"no series for {unmatched[0]}{selector} in the last {lookback}: nothing matches the "
                "filters (check the names, or list label values with prom_metrics)",
            )
    return "empty", f"{check.empty_means} in the last {lookback} (the series exist)"


# --- prom_metrics ------------------------------------------------------------------------------------


class PromMetricsParams(ToolParams):
    pattern: str | None = Field(None, max_length=200, description="regex")
    metric: str | None = Field(
        None,
        pattern=METRIC_NAME,
        max_length=200,
    )
    window: str = WindowField


@tool("prom_metrics", "prometheus", PromMetricsParams)
def prom_metrics(ctx: ToolContext, params: PromMetricsParams) -> ToolOutput:
    """Metric names by pattern, or a metric's labels."""
    prom = _prometheus(ctx)
    end = _now(ctx, prom)
    start = end - timedelta(seconds=_window(params.window))
    if params.metric:
        return _describe_metric(ctx, prom, params.metric, start, end)
    try:
        regex = outside_pattern(params.pattern or ".*", ignore_case=True)
    except PatternError as exc:
        raise ToolError(f"pattern: {exc}") from None
    names = sorted(n for n in prom.metric_names(start, end) if regex.search(n))
    wanted = f"matching /{params.pattern}/" if params.pattern else "in total"
    header = [f"{plural(len(names), 'metric name')} {wanted} with samples in the last {params.window}"]
    body, truncated = fit_lines(names, _body_budget(ctx, header), "narrow with a more specific pattern")
    data = {"pattern": params.pattern, "names": names}
    return ToolOutput("\n".join([*header, body]).rstrip(), data, truncated)


def _describe_metric(
    ctx: ToolContext, prom: PrometheusAccess, metric: str, start: datetime, end: datetime
) -> ToolOutput:
    series = prom.series(metric, start, end)
    if not series:
        names = prom.metric_names(start, end)
        close = difflib.get_close_matches(metric, names, n=5, cutoff=0.5)
        hint = f"; similar names: {', '.join(close)}" if close else ""
        text = f"no series named {metric} between {format_time(start.timestamp())} and now{hint}"
        return ToolOutput(text, {"metric": metric, "series_total": 0, "labels": {}, "similar": close})
    values: dict[str, set[str]] = defaultdict(set)
    for labels in series:
        for key, value in labels.items():
            if key != "__name__":
                values[key].add(value)
    meta = prom.metadata(metric)
    header = [f"{metric}: {len(series)} series"]
    if meta:
        header.append(f"type {meta[0].get('type', '?')}: {meta[0].get('help', '')}".rstrip(": "))
    lines = []
    for key in sorted(values):
        shown = sorted(values[key])
        more = f" ... {len(shown) - 15} more" if len(shown) > 15 else ""
        lines.append(f"{key} ({len(shown)}): {', '.join(shown[:15])}{more}")
    body, truncated = fit_lines(lines, _body_budget(ctx, header), "ask for a narrower metric")
    data = {
        "metric": metric,
        "series_total": len(series),
        "labels": {key: sorted(v) for key, v in sorted(values.items())},
        "metadata": meta[:1],
    }
    return ToolOutput("\n".join([*header, body]), data, truncated)


# --- prom_alerts -------------------------------------------------------------------------------------


class PromAlertsParams(ToolParams):
    include_pending: bool = True


@tool("prom_alerts", "prometheus", PromAlertsParams)
def prom_alerts(ctx: ToolContext, params: PromAlertsParams) -> ToolOutput:
    """Firing and pending alerts, rule health."""
    prom = _prometheus(ctx)
    alerts = [a for a in prom.alerts() if a.get("state") == "firing" or params.include_pending]
    groups = prom.rules()
    rules = [rule for group in groups for rule in group.get("rules", [])]
    broken = [r for r in rules if r.get("health") not in (None, "ok") or r.get("lastError")]
    source = "alerts API"
    promql = None
    if not alerts:
        promql = 'ALERTS{alertstate="firing"}' if not params.include_pending else "ALERTS"
        at = _now(ctx, prom)
        recorded = prom.query(promql, at=at)
        alerts = [_alert_from_series(item["metric"]) for item in recorded]
        source = f"ALERTS series at {format_time(at.timestamp())}"
    alerts.sort(key=lambda a: (a.get("state") != "firing", a["labels"].get("alertname", "")))
    header = [
        f"{sum(a.get('state') == 'firing' for a in alerts)} firing, "
        f"{plural(sum(a.get('state') == 'pending' for a in alerts), 'pending alert')} ({source}); "
        f"{plural(len(rules), 'rule')} loaded, {len(broken)} unhealthy"
    ]
    if promql:
        header.append(f"PromQL: {promql}")
    lines = [_alert_line(a) for a in alerts]
    lines += [f"unhealthy rule {r.get('name')}: {r.get('health')}: {r.get('lastError', '')}" for r in broken]
    if not rules:
        lines.append("no rules are loaded in this Prometheus (a snapshot Prometheus evaluates none)")
    body, truncated = fit_lines(lines, _body_budget(ctx, header), "filter with prom_query on ALERTS{...}")
    data = {"promql": promql, "alerts": alerts, "unhealthy_rules": broken, "rules_total": len(rules)}
    return ToolOutput("\n".join([*header, body]), data, truncated)


def _alert_from_series(labels: dict[str, str]) -> dict[str, Any]:
    rest = {k: v for k, v in labels.items() if k not in ("__name__", "alertstate")}
    return {"labels": rest, "annotations": {}, "state": labels.get("alertstate", "firing")}


def _alert_line(alert: dict[str, Any]) -> str:
    labels = dict(alert.get("labels", {}))
    name = labels.pop("alertname", "?")
    line = f"{alert.get('state', '?')} {name} {format_labels(labels)}"
    if alert.get("activeAt"):
        line += f" since {alert['activeAt']}"
    annotations = alert.get("annotations", {})
    text = annotations.get("summary") or annotations.get("description") or annotations.get("message")
    return f"{line}: {text}" if text else line


# --- prom_targets ------------------------------------------------------------------------------------


class PromTargetsParams(ToolParams):
    job: str | None = Field(None, max_length=200)


@tool("prom_targets", "prometheus", PromTargetsParams)
def prom_targets(ctx: ToolContext, params: PromTargetsParams) -> ToolOutput:
    """Scrape targets, when metrics are missing."""
    prom = _prometheus(ctx)
    targets = [
        {
            "job": t.get("labels", {}).get("job", t.get("scrapePool", "?")),
            "instance": t.get("labels", {}).get("instance", t.get("scrapeUrl", "?")),
            "health": t.get("health", "unknown"),
            "last_error": t.get("lastError", ""),
            "last_scrape": t.get("lastScrape"),
        }
        for t in prom.targets()
    ]
    source, promql = "targets API", None
    if not targets:
        at = _now(ctx, prom)
        promql = "up"
        targets = [
            {
                "job": item["metric"].get("job", "?"),
                "instance": item["metric"].get("instance", "?"),
                "health": "up" if _float(item["value"][1]) == 1 else "down",
                "last_error": "",
                "last_scrape": None,
            }
            for item in prom.query(promql, at=at)
        ]
        source = f"recorded `up` series at {format_time(at.timestamp())}"
    if params.job:
        targets = [t for t in targets if t["job"] == params.job]
    by_job: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for target in targets:
        by_job[target["job"]].append(target)
    down = [t for t in targets if t["health"] != "up"]
    header = [
        f"{plural(len(targets), 'target')} in {plural(len(by_job), 'job')}, {len(down)} not up ({source})"
    ]
    if promql:
        header.append(f"PromQL: {promql}")
    lines = [
        f"job {job}: {sum(t['health'] == 'up' for t in ts)}/{len(ts)} up"
        for job, ts in sorted(by_job.items())
    ]
    lines += [
        f"{t['health']} {t['job']} {t['instance']}" + (f": {t['last_error']}" if t["last_error"] else "")
        for t in sorted(down, key=lambda t: (t["job"], t["instance"]))
    ]
    if not targets:
        lines.append("no scrape targets and no recorded `up` series")
    body, truncated = fit_lines(lines, _body_budget(ctx, header), "pass job= to see one job")
    data = {"promql": promql, "targets": targets}
    return ToolOutput("\n".join([*header, body]), data, truncated)


# --- helpers -----------------------------------------------------------------------------------------


def _float(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def _sort_value(value: float) -> float:
    return value if value == value else float("-inf")


def _json(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


FAMILY = tool_family(
    "prom",
    "prometheus",
    "",  # the name says it
    {
        "check": prom_check,
        "query": prom_query,
        "query_range": prom_query_range,
        "metrics": prom_metrics,
        "alerts": prom_alerts,
        "targets": prom_targets,
    },
    hidden=frozenset({"step", "include_pending", "job"}),
)
