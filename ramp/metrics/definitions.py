"""The metrics ramp knows: name, label, direction, unit, default minimum sample, formatting.

Plain Python: no Flask, no database. The formulas live with the metric math; this registry
says how a figure is compared with a threshold and how it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: how it is named, compared with a threshold and shown."""

    name: str
    label: str
    higher_is_better: bool
    unit: str  # "%" or "s"
    default_min_sample: int

    def meets(self, value: float, threshold: float) -> bool:
        """Whether `value` meets `threshold`: >= when higher is better, <= otherwise."""
        return value >= threshold if self.higher_is_better else value <= threshold

    def format(self, value: float) -> str:
        """The value as people read it: "86.5%", "45s", "12m 30s", "1h 05m"."""
        if self.unit == "%":
            return f"{value:.1f}%"
        return format_seconds(value)


def format_seconds(value: float) -> str:
    """A duration in seconds as "45s", "12m 30s" or "1h 05m" (rounded to the second)."""
    total = round(value)
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {seconds:02d}s"
    return f"{sign}{seconds}s"


METRICS: dict[str, MetricDefinition] = {
    m.name: m
    for m in (
        MetricDefinition("qa_score", "QA score", True, "%", 10),
        MetricDefinition("fcr", "FCR", True, "%", 10),
        MetricDefinition("aht", "AHT", False, "s", 10),
        MetricDefinition("resolution_time", "Resolution time", False, "s", 10),
        MetricDefinition("first_response_time", "First response time", False, "s", 10),
        MetricDefinition("csat", "CSAT", True, "%", 30),
        MetricDefinition("sla_compliance", "SLA compliance", True, "%", 10),
    )
}
