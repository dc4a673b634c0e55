"""Admin forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ramp.metrics.api import SCOPES


class TemplateForm(FlaskForm):
    document = TextAreaField(
        "Template (YAML)",
        validators=[DataRequired(message="Paste or write the template."), Length(max=200_000)],
    )


class CohortForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    start_date = DateField("Start date", validators=[DataRequired()])
    template = SelectField("Ramp template", coerce=int, validators=[DataRequired()])
    team = SelectField("Team", coerce=int)


class ImportForm(FlaskForm):
    export = FileField(
        "Export file (CSV or JSON lines)", validators=[FileRequired("Choose the export file.")]
    )
    preset = SelectField("Preset")
    mapping = FileField("Or your own mapping (YAML)")


ROLE_CHOICES = [
    SelectChoice("agent", "Agent"),
    SelectChoice("manager", "Manager"),
    SelectChoice("admin", "Admin"),
]


class NewUserForm(FlaskForm):
    name = StringField(
        "Full name", validators=[DataRequired("Give the person's name."), Length(max=120)]
    )
    email = EmailField(
        "E-mail", validators=[DataRequired("Give an e-mail address."), Length(max=254)]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="agent")
    # Choices are the teams' names; an unknown one is refused by the operation, with its name.
    team = SelectField("Team", validate_choice=False)
    password = PasswordField(
        "Initial password",
        validators=[Optional(), Length(max=200)],
        description="At least 8 characters. Leave empty to generate one, shown once.",
    )


class EditUserForm(FlaskForm):
    name = StringField(
        "Full name", validators=[DataRequired("Give the person's name."), Length(max=120)]
    )
    role = SelectField("Role", choices=ROLE_CHOICES)
    team = SelectField("Team", validate_choice=False)


class ReasonForm(FlaskForm):
    reason = StringField("Reason (kept in the audit log)", validators=[Optional(), Length(max=500)])


class TransferForm(FlaskForm):
    cohort = SelectField("Into cohort", coerce=int, validators=[DataRequired("Choose a cohort.")])
    manager = SelectField("New manager", coerce=int, validators=[DataRequired("Choose a manager.")])
    start_date = DateField("Start date (empty: as before)", validators=[Optional()])
    reason = StringField("Reason (kept in the audit log)", validators=[Optional(), Length(max=500)])


class TeamForm(FlaskForm):
    name = StringField(
        "Team name", validators=[DataRequired("Give the team a name."), Length(max=120)]
    )
    manager = SelectField("Manager", validate_choice=False)


class MemberForm(FlaskForm):
    email = SelectField(
        "Person", validate_choice=False, validators=[DataRequired("Choose a person.")]
    )


class TokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Give the token a name (the system that will use it)."),
            Length(max=120),
        ],
        description="The system that will use it, e.g. MaestroQA export job.",
    )
    # Checked in ramp.metrics.api.create_token, which names unknown scopes and asks for one.
    scopes = SelectMultipleField(
        "What it may do",
        choices=[SelectChoice(name, name) for name in SCOPES],
        validate_choice=False,
    )  # shown as checkboxes by templates/admin/tokens.html
    expires_on = DateField(
        "Expires on (optional)",
        validators=[Optional()],
        description="The API refuses the token from this day on (UTC). Empty: until revoked.",
    )


class CurriculumForm(FlaskForm):
    upload = FileField("Curriculum file (YAML)")
    document = TextAreaField("Or paste the YAML", validators=[Length(max=2_000_000)])

    def validate(self, extra_validators=None) -> bool:
        """One of the two is needed."""
        if not super().validate(extra_validators):
            return False
        if not self.upload.data and not (self.document.data or "").strip():
            self.form_errors.append("Choose a curriculum file or paste its YAML.")
            return False
        return True


class EnrollForm(FlaskForm):
    version = SelectField("Curriculum version", coerce=int, validators=[DataRequired()])
    people = SelectMultipleField("People to enroll", validate_choice=False)


class UndoImportForm(FlaskForm):
    reason = StringField("Why (kept in the audit log)", validators=[Length(max=500)])


class AgentIdForm(FlaskForm):
    source = StringField(
        "Tool (source)", validators=[DataRequired(message="Name the tool."), Length(max=64)]
    )
    external_id = StringField(
        "The agent's id in that tool",
        validators=[DataRequired(message="Give the agent's id in that tool."), Length(max=200)],
    )
    user = SelectField("Ramp user", coerce=int)
