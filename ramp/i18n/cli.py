"""`ramp i18n extract|update|compile|check`: keep the translation catalogues."""

from __future__ import annotations

import click

from ramp.cli_support import fail
from ramp.i18n import LANGUAGES
from ramp.i18n.catalogues import (
    POT_FILE,
    SOURCE_ROOT,
    check_catalogues,
    compile_catalogues,
    extract,
    translated_languages,
    update,
)


@click.group("i18n")
def i18n() -> None:
    """Translations: extract, update, compile and check the catalogues."""


@i18n.command("extract")
def extract_command() -> None:
    """Collect the wrapped strings into ramp/translations/messages.pot."""
    extract()
    click.echo(f"wrote {POT_FILE.relative_to(SOURCE_ROOT)}")


@i18n.command("update")
def update_command() -> None:
    """Merge messages.pot into each language's .po."""
    update()
    click.echo("updated: " + ", ".join(translated_languages()))


@i18n.command("compile")
def compile_command() -> None:
    """Compile each language's .po into the .mo the app reads."""
    compile_catalogues()
    click.echo("compiled: " + ", ".join(translated_languages()))


@i18n.command("check")
def check_command() -> None:
    """Fail when a catalogue is stale, incomplete, fuzzy or breaks a placeholder."""
    problems = check_catalogues()
    if problems:
        fail([str(p) for p in problems])
    click.echo("catalogues up to date: " + ", ".join(LANGUAGES))
