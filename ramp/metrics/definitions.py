"""The metrics ramp knows: name, label, direction, unit, default minimum sample, formatting.

Plain Python, no database. The formulas live with the metric math; this registry says how a
figure is compared with a threshold and how it is shown (through ramp.formatting).
"""

from __future__ import annotations

from dataclasses import dataclass

from ramp import formatting


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

    def format(self, value: float | None) -> str:
        """The value as people read it, in the reader's locale: "86.5%", "45s", "12m 30s",
        "1h 05m" (ramp.formatting)."""
        return formatting.metric(value, self.unit)


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
