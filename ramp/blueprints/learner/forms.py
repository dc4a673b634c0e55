"""Learner forms. Knowledge-check answers arrive as q-<question id> fields."""

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ramp.errors import ValidationError


def parse_answers(form: MultiDict) -> dict[int, frozenset[int]]:
    """Read q-<id> fields into {question id: chosen choice ids}; refuse anything not a number."""
    answers: dict[int, frozenset[int]] = {}
    for key in form:
        if not key.startswith("q-"):
            continue
        try:
            qid = int(key[2:])
            answers[qid] = frozenset(int(v) for v in form.getlist(key))
        except ValueError:
            raise ValidationError(
                _("The answers could not be read (the form was changed). Nothing was recorded.")
            ) from None
    return answers
