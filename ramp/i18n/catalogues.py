"""The catalogues: extract the wrapped strings, merge them into each language, compile, and
check that nothing is stale, missing, fuzzy or breaks a placeholder (pybabel underneath)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from ramp import PACKAGE_DIR
from ramp.cli_support import fail
from ramp.i18n import DEFAULT_LOCALE, LANGUAGES, TRANSLATIONS_DIR

SOURCE_ROOT = PACKAGE_DIR.parent  # the checkout: babel.cfg, ramp/ and templates/
BABEL_CFG = SOURCE_ROOT / "babel.cfg"
POT_FILE = TRANSLATIONS_DIR / "messages.pot"
# Besides pybabel's own (_, gettext, ngettext, ...): Flask-Babel's lazy forms.
KEYWORDS = ("lazy_gettext", "_l", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")

PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcoa%]")


def placeholders(text: str) -> list[str]:
    """The printf placeholders of a message, by name (`%(name)s` -> "name", `%s` -> "%s")."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            continue
        found.append(match.group(1) or "%" + match.group(0)[-1])
    return sorted(found)


def _catalogue_path(language: str, suffix: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"messages.{suffix}"


def translated_languages() -> list[str]:
    """The shipped languages that have a catalogue (all but English, the source language)."""
    return [language for language in LANGUAGES if language != DEFAULT_LOCALE]


def _run_pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = POT_FILE) -> None:
    """Collect every wrapped string of ramp/ and templates/ into a template catalogue."""
    if not BABEL_CFG.is_file():
        fail(f"{BABEL_CFG} is missing: the catalogues are extracted from a checkout of ramp.")
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _run_pybabel(
        "extract",
        "-F",
        str(BABEL_CFG),
        *keywords,
        "--no-wrap",
        "--sort-by-file",
        "--project",
        "ramp",
        "--copyright-holder",
        "ramp",
        "-o",
        str(output),
        str(SOURCE_ROOT),
    )
    # Paths relative to the checkout, whoever runs it and wherever.
    text = output.read_text(encoding="utf-8").replace(f"{SOURCE_ROOT}/", "")
    output.write_text(text, encoding="utf-8")


def update() -> None:
    """Merge the template catalogue into each language's .po (new strings come in empty)."""
    for language in translated_languages():
        po = _catalogue_path(language, "po")
        command = "update" if po.is_file() else "init"
        _run_pybabel(
            command, "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR), "-l", language, "--no-wrap"
        )


def compile_catalogues() -> None:
    """Compile each language's .po into the .mo the app reads (fuzzy entries left out)."""
    for language in translated_languages():
        with _catalogue_path(language, "po").open("rb") as po:
            catalog = read_po(po, locale=language)
        with _catalogue_path(language, "mo").open("wb") as mo:
            write_mo(mo, catalog)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the catalogues: where, and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _key(message: Message) -> tuple:
    return (_ids(message), message.context)


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (list, tuple)) else (string,)


def placeholder_problem(message: Message) -> str | None:
    """Why a translation's placeholders do not fit its source, or None when they do: each
    form names exactly the source's placeholders (a plural's one form may drop the count)."""
    ids, strings = _ids(message), _strings(message)
    if len(ids) == 1:
        if placeholders(strings[0]) != placeholders(ids[0]):
            return (
                f"the translation has placeholders {placeholders(strings[0])}, "
                f"the source {placeholders(ids[0])}"
            )
        return None
    allowed = set(placeholders(ids[0])) | set(placeholders(ids[1]))
    for form in strings:
        unknown = set(placeholders(form)) - allowed
        if unknown:
            return f"a plural form names {sorted(unknown)}, which the source does not"
    if set(placeholders(strings[-1])) != set(placeholders(ids[1])):
        return f"the last plural form must name {placeholders(ids[1])}"
    return None


def check_catalogues(source_pot: Path | None = None) -> list[Problem]:
    """Every way the catalogues are stale or broken: the template catalogue differs from what
    the code wraps now; a language lacks a string, leaves one empty or fuzzy, or breaks a
    placeholder; its .mo differs from its .po. `source_pot`: a catalogue extracted now (by
    default, extracted here into a temporary file)."""
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory() as tmp:
        if source_pot is None:
            source_pot = Path(tmp) / "now.pot"
            extract(source_pot)
        with source_pot.open("rb") as f:
            now = {_key(m) for m in read_po(f) if m.id}
    if not POT_FILE.is_file():
        return [Problem(str(POT_FILE), "missing: run `ramp i18n extract`")]
    with POT_FILE.open("rb") as f:
        kept = {_key(m) for m in read_po(f) if m.id}
    for ids, _context in sorted(now - kept, key=str):
        problems.append(Problem("messages.pot", f"missing {ids[0]!r}: run `ramp i18n extract`"))
    for ids, _context in sorted(kept - now, key=str):
        problems.append(
            Problem("messages.pot", f"no longer used {ids[0]!r}: run `ramp i18n extract`")
        )
    for language in translated_languages():
        problems.extend(_check_language(language, now))
    return problems


def _check_language(language: str, wanted: set[tuple]) -> list[Problem]:
    po_path, mo_path = _catalogue_path(language, "po"), _catalogue_path(language, "mo")
    where = f"{language}/messages.po"
    if not po_path.is_file():
        return [Problem(where, "missing: run `ramp i18n update`")]
    with po_path.open("rb") as f:
        catalog: Catalog = read_po(f, locale=language)
    problems = []
    messages = {_key(m): m for m in catalog if m.id}
    for key in sorted(wanted, key=str):
        message = messages.get(key)
        source = key[0][0]
        if message is None:
            problems.append(Problem(where, f"missing {source!r}: run `ramp i18n update`"))
        elif message.fuzzy:
            problems.append(Problem(where, f"fuzzy {source!r}: check the translation"))
        elif not all(_strings(message)):
            problems.append(Problem(where, f"untranslated {source!r}"))
        elif (why := placeholder_problem(message)) is not None:
            problems.append(Problem(where, f"{source!r}: {why}"))
    if not mo_path.is_file():
        problems.append(Problem(f"{language}/messages.mo", "missing: run `ramp i18n compile`"))
    else:
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        with mo_path.open("rb") as f:
            if _mo_messages(read_mo(f)) != _mo_messages(read_mo(compiled)):
                problems.append(
                    Problem(
                        f"{language}/messages.mo", "older than its .po: run `ramp i18n compile`"
                    )
                )
    return problems


def _mo_messages(catalog: Catalog) -> dict:
    return {_key(m): _strings(m) for m in catalog if m.id}
