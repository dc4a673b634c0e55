"""Command `ramp forecast ...`: the backtest of projected proficiency on generated hires."""

from __future__ import annotations

import click

from ramp.forecast.backtest import CHECKPOINTS, backtest, report
from ramp.metrics.display import STARTER_TARGETS
from ramp.metrics.targets import TargetsFileError, load_targets_file

forecast = click.Group("forecast", help="Ramp curves and projected proficiency: the backtest.")


@forecast.command("backtest")
@click.option(
    "--cohorts",
    type=click.IntRange(2, 20),
    default=3,
    show_default=True,
    help="Cohorts generated; the last is projected, the others are the history.",
)
@click.option(
    "--per-placement",
    type=click.IntRange(5, 500),
    default=50,
    show_default=True,
    help="Hires per cohort in each of the two placements.",
)
@click.option("--seed", type=int, default=17, show_default=True, help="The data set's seed.")
@click.option(
    "--targets",
    "targets_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A targets file (default: the shipped targets).",
)
def backtest_command(cohorts: int, per_placement: int, seed: int, targets_path: str | None):
    """Replay generated hires whose proficiency week is known: project at tenure weeks 4, 6
    and 8 with the figures up to then; print MAE in weeks and the interval's coverage beside
    the cohort-median and placement-curve baselines."""
    try:
        spec = load_targets_file(targets_path or str(STARTER_TARGETS))
    except TargetsFileError as error:
        raise click.ClickException(str(error)) from error
    scores = backtest(spec, cohorts, per_placement, seed)
    click.echo(report(scores))
    at = {s.method: s for s in scores if s.week == 6}
    ramp = at["ramp"]
    beaten = all(ramp.mae < s.mae for m, s in at.items() if m != "ramp")
    click.echo(
        f"week 6: ramp {'beats' if beaten else 'does not beat'} both baselines "
        f"(checkpoints {', '.join(map(str, CHECKPOINTS))})"
    )
