"""Admin forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


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
