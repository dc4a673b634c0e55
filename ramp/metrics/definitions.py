"""The metrics ramp knows: name, label, direction, unit, default minimum sample, formatting.

Plain Python, no database. The formulas live with the metric math; this registry says how a
figure is compared with a threshold and how it is shown (through ramp.formatting).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from ramp import formatting


def N_(text: str) -> str:
    """Marks a name for the catalogue; `MetricDefinition.label` translates it when shown."""
    return text


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: how it is named, compared with a threshold and shown."""

    name: str
    english: str  # its name in English: the JSON API's, and the message id of `label`
    higher_is_better: bool
    unit: str  # "%" or "s"
    default_min_sample: int

    @property
    def label(self) -> str:
        """The metric's name in the reader's language (English outside a request)."""
        return gettext(self.english)

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
        MetricDefinition("qa_score", N_("QA score"), True, "%", 10),
        MetricDefinition("fcr", N_("FCR"), True, "%", 10),
        MetricDefinition("aht", N_("AHT"), False, "s", 10),
        MetricDefinition("resolution_time", N_("Resolution time"), False, "s", 10),
        MetricDefinition("first_response_time", N_("First response time"), False, "s", 10),
        MetricDefinition("csat", N_("CSAT"), True, "%", 30),
        MetricDefinition("sla_compliance", N_("SLA compliance"), True, "%", 10),
    )
}
