"""Charts: axes inside the metric's domain with units, legends never cut, a target that reads
without colour, a text alternative and the numbers of every chart."""

import itertools
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import ImageFont

from ramp.metrics import charts
from ramp.metrics.definitions import METRICS

SVG = "{http://www.w3.org/2000/svg}"
LONG_NAME = "September wave · Email Tier 2"
GLIDE = [(w, 75.0 if w < 7 else 80.0 if w < 11 else 85.0) for w in range(1, 19)]


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def texts(root: ElementTree.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def value_ticks(root: ElementTree.Element) -> list[str]:
    """The value axis's tick labels: the text anchored at the end, left of the plot."""
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]


def csat_chart(values, **kw) -> charts.Chart:
    return charts.line_chart(
        "csat",
        "CSAT, pooled by cohort",
        [charts.Series("August wave · Chat", values)],
        weeks=18,
        kind=charts.PERCENT,
        target=GLIDE,
        fmt=METRICS["csat"].format,
        axis_title="CSAT",
        **kw,
    )


def test_a_percentage_axis_never_runs_past_100_for_values_near_100():
    chart = csat_chart(
        [
            (w, v)
            for w, v in zip(
                range(4, 12), [96.0, 98.5, 99.2, 100.0, 99.9, 97.0, 100.0, 99.6], strict=True
            )
        ]
    )
    for svg in (chart.svg, chart.svg_compact):
        ticks = value_ticks(parse(svg))
        assert ticks and all(t.endswith("%") for t in ticks)
        numbers = [float(t.rstrip("%")) for t in ticks]
        assert max(numbers) == 100 and min(numbers) >= 0
        assert numbers == sorted(numbers)  # drawn from the axis up
        assert "CSAT (%)" in texts(parse(svg))  # the axis title carries the unit


@pytest.mark.parametrize(
    ("values", "kind", "lo", "hi_at_most"),
    [
        ([97.0, 99.5, 100.0], charts.PERCENT, 0, 100),
        ([2.0, 3.0, 101.5, 104.0], charts.PERCENT, 0, 100),  # bad data cannot stretch the axis
        ([61.0, 88.0], charts.PERCENT, 0, 100),
        ([512.0, 930.0], charts.DURATION, 0, 1200),
        ([3.0, 17.0], charts.COUNT, 0, 20),
    ],
)
def test_axes_stay_in_the_domain_with_round_ticks(values, kind, lo, hi_at_most):
    ticks = charts.nice_axis(values, kind)
    assert ticks[0] >= lo and ticks[-1] <= hi_at_most
    assert 3 <= len(ticks) <= 6
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1  # evenly spaced
    if kind != charts.PERCENT:
        assert ticks[0] == 0  # durations and counts are read from zero
    if kind == charts.COUNT:
        assert all(t == int(t) for t in ticks)
    assert ticks[-1] >= min(max(values), 100 if kind == charts.PERCENT else max(values))


def test_duration_axes_are_in_minutes_or_hours_from_zero():
    aht = charts.line_chart(
        "aht",
        "AHT of Ana",
        [charts.Series("Ana", [(w, 880.0 - 25 * w) for w in range(1, 13)])],
        weeks=12,
        kind=charts.DURATION,
        target=[(w, 900.0 if w < 7 else 600.0) for w in range(1, 13)],
        higher_is_better=False,
        fmt=METRICS["aht"].format,
        axis_title="AHT",
    )
    root = parse(aht.svg)
    assert value_ticks(root) == ["0", "5m", "10m", "15m"]
    assert "AHT (minutes)" in texts(root) and "Tenure week" in texts(root)
    assert "hatched: at or below target" in texts(root)
    resolution = charts.line_chart(
        "res",
        "Resolution time",
        [charts.Series("Ana", [(1, 5400.0), (2, 30000.0), (3, 80000.0)])],
        weeks=3,
        kind=charts.DURATION,
    )
    ticks = value_ticks(parse(resolution.svg))
    assert ticks[0] == "0" and all(t.endswith("h") for t in ticks[1:])
    assert "Resolution time (hours)" in texts(parse(resolution.svg))


def test_a_long_cohort_name_is_whole_in_the_legend_and_inside_the_chart():
    names = [LONG_NAME, "August wave · Chat", "October wave · Email"]
    very_long = "Onboarding class of the Lisbon and Kraków sites · Billing disputes Tier 2 (Portuguese, Polish)"
    chart = charts.line_chart(
        "cmp",
        "QA score, pooled by cohort",
        [charts.Series(n, [(w, 70.0 + w) for w in range(4, 11)]) for n in [*names, very_long]],
        weeks=10,
        target=GLIDE[:10],
    )
    for svg in (chart.svg, chart.svg_compact):
        root = parse(svg)
        width = float(root.get("viewBox").split()[2])
        labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "legend-label"]
        shown = [" ".join(s.text for s in t.iter(f"{SVG}tspan")) for t in labels]
        assert shown[:3] == names  # whole: no "September wave · Em"
        assert shown[3] == very_long  # wrapped onto lines of its own, every word kept
        for t in labels:
            size = float(root.get("font-size"))
            for span in t.iter(f"{SVG}tspan"):
                assert float(span.get("x")) + charts.text_width(span.text, size) <= width
        # The legend sits below the plot: under the week axis title.
        week_title = next(
            t for t in root.iter(f"{SVG}text") if "".join(t.itertext()) == "Tenure week"
        )
        assert all(float(t.get("y")) > float(week_title.get("y")) for t in labels)
        assert float(root.get("viewBox").split()[3]) > max(float(t.get("y")) for t in labels)
    # On a phone the longest name wraps onto lines of its own.
    compact = parse(chart.svg_compact)
    longest = [t for t in compact.iter(f"{SVG}text") if t.get("class") == "legend-label"][3]
    assert len(list(longest.iter(f"{SVG}tspan"))) > 1


@pytest.mark.parametrize(
    "font",
    [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path(__file__).parents[2] / "static" / "fonts" / "inter-400-normal.ttf",
    ],
)
def test_measured_text_is_never_narrower_than_drawn(font):
    if not font.exists():
        pytest.skip(f"{font} is not installed")
    face = ImageFont.truetype(str(font), 100)
    for text in [LONG_NAME, "Tomás Rivera", "Bogotá · Kraków", "WWW mmm 100%", "il.,;:", "Łódź"]:
        assert charts.text_width(text, 100) >= face.getlength(text) - 0.5, text


def test_the_target_is_the_one_dashed_line_over_a_hatched_band():
    chart = charts.line_chart(
        "qa",
        "QA score",
        [charts.Series(n, [(w, 70.0 + w + i) for w in range(4, 12)]) for i, n in enumerate("ABC")],
        weeks=18,
        target=GLIDE,
    )
    root = parse(chart.svg)
    [target] = [p for p in root.iter(f"{SVG}path") if p.get("class") == "target-line"]
    assert target.get("stroke-dasharray")
    assert all(not p.get("stroke-dasharray") for p in root.iter(f"{SVG}polyline"))
    legend_target = [e for e in root.iter(f"{SVG}line") if e.get("class") == "legend-target"]
    assert legend_target and legend_target[0].get("stroke-dasharray")
    # Labelled on the plot and in the legend, not told by colour alone.
    assert texts(root).count("target") == 2
    assert "target" in [
        "".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class") == "legend-label"
    ]
    band = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "target-band"]
    pattern = root.find(f".//{SVG}pattern")
    assert band and all(r.get("fill") == f"url(#{pattern.get('id')})" for r in band)
    assert "hatched: at or above target" in texts(root)
    # Series differ by marker shape as well as colour.
    assert root.find(f".//{SVG}circle") is not None
    assert root.find(f".//{SVG}polygon") is not None
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") is None]) > 0


def test_every_chart_has_a_text_alternative_and_its_numbers():
    chart = csat_chart([(4, 80.0), (5, 68.2), (6, 83.9), (7, None), (8, 84.8)])
    root = parse(chart.svg)
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert [title.get("id"), desc.get("id")] == ids
    assert title.text == "CSAT, pooled by cohort"
    assert "August wave · Chat: 80.0% in week 4, 84.8% in week 8" in desc.text
    assert "lowest 68.2% (week 5)" in desc.text
    assert "Target: 75.0% in week 1, 80.0% from week 7, 85.0% from week 11." in desc.text
    assert [c.name for c in chart.columns] == ["August wave · Chat", "Target"]
    assert chart.rows == [
        (4, ["80.0%", "75.0%"]),
        (5, ["68.2%", "75.0%"]),
        (6, ["83.9%", "75.0%"]),
        (8, ["84.8%", "80.0%"]),
    ]
    # The wide and the phone-sized drawings name their parts apart.
    compact_ids = parse(chart.svg_compact).get("aria-labelledby").split()
    assert not set(ids) & set(compact_ids)


def test_charts_on_one_page_have_their_own_ids_and_no_data_says_so():
    a = csat_chart([(4, 80.0)])
    b = charts.line_chart("hire-7-csat", "CSAT of Ana", [charts.Series("Ana", [(4, 81.0)])], 5)
    assert a.key != b.key and parse(a.svg).get("aria-labelledby") != parse(b.svg).get(
        "aria-labelledby"
    )
    empty = charts.line_chart("none", "FCR", [charts.Series("Ana", [(1, None)])], 4)
    assert "No data yet" in texts(parse(empty.svg)) and empty.rows == []
    assert parse(empty.svg).get("role") == "img"
