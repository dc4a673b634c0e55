"""Words people read must reach the catalogue: the extractor sees `_()` calls and
`{{ _("...") }}` in templates, never a gettext call inside an f-string or an English
attribute written out in a template. These checks fail on either, so a string cannot
stay English in Spanish pages by slipping past `ramp i18n extract`."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GETTEXT_CALL = re.compile(r"\b(_|gettext|ngettext|lazy_gettext|lazy_ngettext)\(")
# Attributes a person reads or hears (hints are the form macro's help text).
READ_ATTRIBUTE = re.compile(r'\b(hint|aria-label|title|placeholder|alt)="([^"]*)"')


def _fstring_gettext(source: str) -> list[int]:
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower()
        if "f" in prefix and GETTEXT_CALL.search(token.string):
            lines.append(token.start[0])
    return lines


def test_no_gettext_call_hides_inside_an_f_string():
    found = []
    for path in sorted((ROOT / "ramp").rglob("*.py")):
        for line in _fstring_gettext(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == [], f"gettext inside an f-string is never extracted: {found}"


def test_the_f_string_check_finds_one():
    assert _fstring_gettext("x = f\"{a} ({_('no team')})\"\n") == [1]
    assert _fstring_gettext("no_team = _('no team')\nx = f'{a} ({no_team})'\n") == []


def _english_attributes(text: str) -> list[str]:
    return [
        f"{name}={value!r}"
        for name, value in READ_ATTRIBUTE.findall(text)
        if re.search(r"[a-z]{2}", value) and "{{" not in value and "{%" not in value
    ]


def test_no_template_writes_a_read_attribute_in_english():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for attribute in _english_attributes(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT)}: {attribute}")
    assert found == [], f"attributes people read, not through gettext: {found}"


def test_the_attribute_check_finds_one():
    assert _english_attributes('<div aria-label="Audit events">') == ["aria-label='Audit events'"]
    assert _english_attributes('{{ field(f, hint="Exactly as written") }}') == [
        "hint='Exactly as written'"
    ]
    assert _english_attributes('<div aria-label="{{ _("Audit events") }}">') == []
    assert _english_attributes('<input placeholder="XXXX-XXXX">') == []
