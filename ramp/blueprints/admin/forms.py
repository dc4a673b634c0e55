"""Admin forms."""

from flask_wtf import FlaskForm
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
