"""Forms for the actions on a hire and for creating cohorts and hires."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

REASON = [
    DataRequired(message=_l("Give a reason; it is kept in the hire's record.")),
    Length(max=2000),
]


class SignOffForm(FlaskForm):
    milestone = StringField(validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class WaiveForm(FlaskForm):
    milestone = StringField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=REASON)


class ExtendForm(FlaskForm):
    milestone = StringField(validators=[DataRequired()])
    due = DateField(
        _l("New due date"), validators=[DataRequired(message=_l("Give the new due date."))]
    )
    reason = TextAreaField(_l("Reason"), validators=REASON)


PLACEMENT_KEYS = ("queue", "channel", "tier", "product_line", "language", "skills")


class PlacementFields:
    queue = StringField(_l("Queue"), validators=[Optional(), Length(max=120)])
    channel = SelectField(
        _l("Channel"),
        choices=[
            SelectChoice("", "—"),
            SelectChoice("phone", _l("Phone")),
            SelectChoice("chat", _l("Chat")),
            SelectChoice("email", _l("Email")),
            SelectChoice("social", _l("Social")),
        ],
        validators=[Optional()],
    )
    tier = StringField(_l("Tier"), validators=[Optional(), Length(max=40)])
    product_line = StringField(_l("Product line"), validators=[Optional(), Length(max=120)])
    language = StringField(_l("Language"), validators=[Optional(), Length(max=40)])
    skills = StringField(_l("Skills (comma-separated)"), validators=[Optional(), Length(max=500)])

    def placement(self, keep=None) -> dict:
        """The placement fields; with `keep` (a placement), a field the form did not send at all
        keeps that placement's value, so a partial form never drops the tier or language."""
        fields = {}
        for k in PLACEMENT_KEYS:
            field = getattr(self, k)
            if keep is not None and not field.raw_data:
                value = getattr(keep, k)
                fields[k] = ", ".join(value or []) if k == "skills" else value
            else:
                fields[k] = field.data
        return fields

    def fill_from(self, placement) -> None:
        """Start from an existing placement: every field shows what it is now."""
        for k in PLACEMENT_KEYS:
            value = getattr(placement, k)
            getattr(self, k).data = (", ".join(value or []) if k == "skills" else value) or ""


class ReplaceForm(PlacementFields, FlaskForm):
    effective_from = DateField(
        _l("From"), validators=[DataRequired(message=_l("Give the date the new placement starts."))]
    )
    reason = TextAreaField(_l("Reason"), validators=REASON)


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Note"), validators=[DataRequired(message=_l("The note is empty.")), Length(max=4000)]
    )


class HireForm(PlacementFields, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    cohort = SelectField(_l("Cohort"), coerce=int, validators=[DataRequired()])
    manager = SelectField(_l("Manager"), coerce=int, validators=[DataRequired()])


class RosterForm(FlaskForm):
    roster = FileField(_l("Roster CSV"), validators=[FileRequired(_l("Choose a CSV file."))])


class ReadyForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class IssueForm(FlaskForm):
    override_reason = TextAreaField(
        _l("Reason for issuing although the hire is not ready (admins only)"),
        validators=[Optional(), Length(max=2000)],
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown on the verify page)"), validators=REASON)


class DismissRefresherForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for dismissing"),
        validators=[
            DataRequired(
                message=_l("Give a reason to dismiss a refresher; it is kept in the hire's record.")
            ),
            Length(max=2000),
        ],
    )


class OneToOneForm(FlaskForm):
    note = TextAreaField(
        _l("Note on the 1:1"),
        validators=[
            DataRequired(message=_l("Write a note on the 1:1; it is kept in the hire's record.")),
            Length(max=2000),
        ],
    )


class LeftForm(FlaskForm):
    left_on = DateField(
        _l("Left on"), validators=[DataRequired(message=_l("Give the day the hire left."))]
    )
    reason = SelectField(
        _l("Why"),
        choices=[],
        validators=[DataRequired(message=_l("Choose why the hire left from the list."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class UndoLeftForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=REASON)


class PlannedClassForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the planned class a name.")), Length(max=120)],
    )
    team = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    queue = StringField(_l("Queue"), validators=[Optional(), Length(max=120)])
    channel = PlacementFields.channel
    start_date = DateField(
        _l("Start date"), validators=[DataRequired(message=_l("Give the day the class starts."))]
    )
    heads = IntegerField(
        _l("Heads"),
        validators=[
            DataRequired(message=_l("Give the number of hires planned.")),
            NumberRange(min=1, max=1000, message=_l("Heads must be from 1 to 1000.")),
        ],
    )
