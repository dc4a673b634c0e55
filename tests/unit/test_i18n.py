"""ramp.i18n: which locale a request gets, and the catalogue check."""

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from ramp.i18n import catalogues, negotiate, supported


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("es", "es"),
        ("es-CO", "es"),
        ("es_MX", "es"),
        ("ES-ar", "es"),
        ("en-US", "en"),
        ("fr", None),  # not shipped
        ("", None),
        (None, None),
        ("../../etc", None),
        ("x" * 100, None),
        (42, None),
        ("es-", None),
    ],
)
def test_a_tag_names_a_shipped_language_or_none(tag, language):
    assert supported(tag) == language


def test_the_saved_preference_wins():
    assert negotiate("es", "en", [("en", 1.0)]) == "es"
    assert negotiate("en", "es-CO", [("es", 1.0)]) == "en"


def test_then_the_lti_launch_then_the_browser():
    assert negotiate(None, "es-419", [("en", 1.0)]) == "es"
    assert negotiate(None, None, [("fr", 1.0), ("es-CO", 0.8), ("en", 0.5)]) == "es"
    assert negotiate(None, None, [("en", 0.4), ("es", 0.9)]) == "es"  # by quality


def test_unknown_or_missing_locales_fall_back_to_english():
    assert negotiate(None, None, []) == "en"
    assert negotiate("klingon", "zz-ZZ", [("fr", 1.0), ("de", 0.9)]) == "en"
    assert negotiate(None, None, [("es", 0.0)]) == "en"  # q=0: "not this one"


def test_placeholders_are_read_by_name():
    assert catalogues.placeholders("%(name)s has %(num)d of %(total).1f%%") == [
        "name",
        "num",
        "total",
    ]
    assert catalogues.placeholders("100%% done: %s") == ["%s"]


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    """The shipped catalogues, copied, with the check pointed at the copy."""
    copy = tmp_path / "translations"
    shutil.copytree(catalogues.TRANSLATIONS_DIR, copy)
    monkeypatch.setattr(catalogues, "TRANSLATIONS_DIR", copy)
    monkeypatch.setattr(catalogues, "POT_FILE", copy / "messages.pot")
    now = tmp_path / "now.pot"
    catalogues.extract(now)
    return copy, now


def _edit_po(copy: Path, change) -> None:
    path = copy / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale="es")
    change(catalog)
    with path.open("wb") as f:
        write_po(f, catalog, width=0)


def test_the_shipped_catalogues_are_up_to_date():
    # Extracts from the code as it is now: a wrapped string missing from messages.pot or
    # the Spanish catalogue, an empty or fuzzy translation, a broken placeholder or a stale
    # .mo fails here (fix with `ramp i18n extract|update|compile`, docs/i18n.md).
    assert [str(p) for p in catalogues.check_catalogues()] == []


def test_a_copy_of_the_shipped_catalogues_passes(catalogue_copy):
    _copy, now = catalogue_copy
    assert catalogues.check_catalogues(now) == []


def test_a_new_wrapped_string_makes_the_catalogues_stale(catalogue_copy, tmp_path):
    _copy, now = catalogue_copy
    text = now.read_text(encoding="utf-8")
    now.write_text(text + '\nmsgid "A string added since"\nmsgstr ""\n', encoding="utf-8")
    problems = [str(p) for p in catalogues.check_catalogues(now)]
    assert "messages.pot: missing 'A string added since': run `ramp i18n extract`" in problems
    assert "es/messages.po: missing 'A string added since': run `ramp i18n update`" in problems


def test_an_untranslated_or_fuzzy_spanish_entry_fails(catalogue_copy):
    copy, now = catalogue_copy

    def spoil(catalog):
        catalog["Sign in"].string = ""
        catalog["Save"].flags.add("fuzzy")

    _edit_po(copy, spoil)
    problems = [str(p) for p in catalogues.check_catalogues(now)]
    assert "es/messages.po: untranslated 'Sign in'" in problems
    assert "es/messages.po: fuzzy 'Save': check the translation" in problems
    assert any(p.startswith("es/messages.mo: older than its .po") for p in problems)


def test_a_broken_placeholder_fails_the_check_not_a_page(catalogue_copy):
    copy, now = catalogue_copy

    def spoil(catalog):
        catalog["Saved %(name)s."].string = "Se guardó %(nombre)s."
        plural = catalog[("%(num)d row", "%(num)d rows")]
        plural.string = ("%(num)d fila", "%(count)d filas", "%(num)d filas")

    _edit_po(copy, spoil)
    problems = [str(p) for p in catalogues.check_catalogues(now)]
    assert (
        "es/messages.po: 'Saved %(name)s.': the translation has placeholders ['nombre'], "
        "the source ['name']"
    ) in problems
    assert (
        "es/messages.po: '%(num)d row': a plural form names ['count'], which the source does not"
    ) in problems


def test_a_chart_speaks_the_request_language_and_english_outside_one(app):
    from datetime import date

    from flask_babel import force_locale

    from ramp.metrics import charts
    from ramp.metrics.periods import label

    series = [charts.Series("Wave A", [(1, 70.0), (2, 82.5)])]

    def draw():
        return charts.line_chart("qa", "QA score", series, 2, target=[(1, 75.0), (2, 80.0)])

    english = draw()
    assert "Tenure week" in english.svg and "Target" in [c.name for c in english.columns]
    assert "in week 1" in english.summary
    with app.test_request_context(), force_locale("es"):
        spanish = draw()
        assert (
            "Semana de antigüedad" in spanish.svg
            and "rayado: en la meta o por encima" in spanish.svg
        )
        assert "Meta" in [c.name for c in spanish.columns]
        assert (
            "Wave A: 70% en la semana 1" in spanish.summary or "en la semana 1" in spanish.summary
        )
        from datetime import date

        assert label(date(2026, 3, 16), "week") == "16 mar"
        assert label(date(2026, 3, 1), "month") == "mar 2026"
    assert label(date(2026, 3, 16), "week") == "Mar 16"


def test_the_pure_rules_speak_the_readers_language_and_english_outside_a_request():
    from flask import Flask
    from flask_babel import Babel, force_locale

    from ramp.certificates.readiness import ReadinessFacts, gaps
    from ramp.curricula.rules import attempt_refusal

    facts = ReadinessFacts(module_titles={"basics": "Basics"}, check_modules=())
    assert attempt_refusal(2, 2, False).startswith("You have used all 2 attempts")
    assert gaps(None, facts)[0] == "module “Basics” not complete"
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    with app.test_request_context(), force_locale("es"):
        assert attempt_refusal(2, 2, False).startswith("Ya usaste los 2 intentos")
        assert attempt_refusal(1, 1, False).startswith("Ya usaste tu único intento")
        assert gaps(None, facts) == [
            "módulo “Basics” sin completar",
            "ningún supervisor ha aprobado que el ingreso está listo",
        ]


def test_account_key_and_metric_refusals_speak_the_readers_language_and_english_outside_a_request():
    from datetime import timedelta

    from flask import Flask
    from flask_babel import Babel, force_locale

    from ramp.accounts.operations import set_language
    from ramp.errors import ValidationError
    from ramp.keys.operations import create_key, rotate_key
    from ramp.metrics.uploads import save_upload

    def refusal(call):
        with pytest.raises(ValidationError) as raised:
            call()
        return str(raised.value)

    def refusals():
        return (
            refusal(lambda: set_language(None, "xx")),
            refusal(lambda: create_key("nope")),
            refusal(lambda: rotate_key("lti", timedelta(days=-1))),
            refusal(lambda: save_upload(Path("unused"), None, "", None, None)),
        )

    assert refusals() == (
        "ramp does not ship the language 'xx'.",
        "unknown key purpose 'nope' (lti or credentials)",
        "the overlap cannot be negative",
        "Choose the export file to import.",
    )
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    with app.test_request_context(), force_locale("es"):
        assert refusals() == (
            "ramp no incluye el idioma 'xx'.",
            "propósito de clave desconocido 'nope' (lti o credentials)",
            "el solapamiento no puede ser negativo",
            "Elige el archivo exportado que quieres importar.",
        )


def test_chart_ticks_are_written_in_the_readers_locale():
    from flask import Flask
    from flask_babel import Babel, force_locale

    from ramp.metrics.charts import COUNT, PERCENT, format_tick

    def ticks():
        return [format_tick(75.0, PERCENT), format_tick(12.5, PERCENT), format_tick(1200.0, COUNT)]

    assert ticks() == ["75%", "12.5%", "1,200"]
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(catalogues.TRANSLATIONS_DIR))
    with app.test_request_context(), force_locale("es"):
        assert ticks() == ["75\xa0%", "12,5\xa0%", "1.200"]


def test_templates_follow_a_forced_locale_and_return_to_the_requests(app):
    """Templates remember the request's catalogue; force_locale and refresh still switch it."""
    from flask import render_template_string
    from flask_babel import force_locale, refresh

    page = "{{ _('Ramp board') }}|{{ ngettext('%(num)d row', '%(num)d rows', 2) }}"
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert render_template_string(page) == "Tablero de ramp-up|2 filas"
        with force_locale("en"):
            assert render_template_string(page) == "Ramp board|2 rows"
        assert render_template_string(page) == "Tablero de ramp-up|2 filas"
        with force_locale("en"):
            refresh()  # a forced locale survives a refresh inside the block
            assert render_template_string(page) == "Ramp board|2 rows"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # what every request starts with (the tests share one app context)
        assert render_template_string(page) == "Ramp board|2 rows"


def test_gettext_from_python_follows_a_forced_locale_and_returns_to_the_requests(app):
    """Python's gettext and lazy strings read the request's remembered catalogue too, and
    switch with force_locale and refresh exactly as the templates do."""
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    lazy = lazy_gettext("Ramp board")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert (gettext("Ramp board"), str(lazy)) == ("Tablero de ramp-up",) * 2
        with force_locale("en"):
            assert (gettext("Ramp board"), str(lazy)) == ("Ramp board",) * 2
        assert gettext("Ramp board") == "Tablero de ramp-up"
        with force_locale("en"):
            refresh()
            assert gettext("Ramp board") == "Ramp board"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert gettext("Ramp board") == "Ramp board"
    with app.app_context():
        assert gettext("Ramp board") == "Ramp board"  # outside a request: English
