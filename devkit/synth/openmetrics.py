"""OpenMetrics text as `promtool tsdb create-blocks-from openmetrics` wants it.

One `# TYPE` (and `# HELP`) per family, families never interleaved, every sample with a timestamp in
seconds, samples of a series in time order, histogram points grouped per timestamp, `# EOF` last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Labels = tuple[tuple[str, str], ...]


def labels_of(**labels: str | int | float) -> Labels:
    return tuple((k, str(v)) for k, v in labels.items())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _label_text(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def format_value(value: float) -> str:
    if value != value:  # NaN
        return "NaN"
    if value == float("inf"):
        return "+Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".9g")


@dataclass
class Family:
    name: str  # family name: for counters without the `_total` suffix
    type: str  # gauge | counter | histogram
    help: str
    series: dict[Labels, list[tuple[int, float]]] = field(default_factory=dict)
    histograms: dict[Labels, list[tuple[int, list[tuple[str, float]], float, float]]] = field(
        default_factory=dict
    )

    def add(self, labels: Labels, ts: int, value: float) -> None:
        points = self.series.setdefault(labels, [])
        if points and points[-1][0] >= ts:
            raise ValueError(f"{self.name}{_label_text(labels)}: sample at {ts} is not after {points[-1][0]}")
        points.append((ts, value))

    def add_histogram(
        self, labels: Labels, ts: int, buckets: list[tuple[str, float]], total: float, count: float
    ):
        points = self.histograms.setdefault(labels, [])
        if points and points[-1][0] >= ts:
            raise ValueError(f"{self.name}{_label_text(labels)}: sample at {ts} is not after {points[-1][0]}")
        points.append((ts, buckets, total, count))

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.type}"]
        suffix = "_total" if self.type == "counter" else ""
        for labels, points in self.series.items():
            head = self.name + suffix + _label_text(labels)
            out.extend(f"{head} {format_value(v)} {ts}" for ts, v in points)
        for labels, hpoints in self.histograms.items():
            bucket_heads = {}
            for ts, buckets, total, count in hpoints:
                for le, value in buckets:
                    head = bucket_heads.get(le)
                    if head is None:
                        head = bucket_heads[le] = f"{self.name}_bucket" + _label_text((*labels, ("le", le)))
                    out.append(f"{head} {format_value(value)} {ts}")
                out.append(f"{self.name}_count{_label_text(labels)} {format_value(count)} {ts}")
                out.append(f"{self.name}_sum{_label_text(labels)} {format_value(total)} {ts}")
        return out


class MetricsFile:
    """The families of one .om file, in the order they were declared."""

    def __init__(self) -> None:
        self.families: dict[str, Family] = {}

    def family(self, name: str, type: str, help: str) -> Family:
        if name.endswith("_total") and type == "counter":
            raise ValueError(f"counter family {name}: give the name without _total")
        existing = self.families.get(name)
        if existing is None:
            existing = self.families[name] = Family(name, type, help)
        return existing

    def render(self) -> str:
        lines: list[str] = []
        for family in self.families.values():
            if family.series or family.histograms:
                lines.extend(family.lines())
        lines.append("# EOF")
        return "\n".join(lines) + "\n"
