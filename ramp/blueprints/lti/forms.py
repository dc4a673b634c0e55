"""Forms for platform registrations and course links."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

ORIGINS_HINT = (
    "One a line, e.g. https://school.instructure.com (Canvas) or https://school.blackboard.com."
)
TRUST_LABEL = "Trust the e-mail addresses this platform sends"
TRUST_HINT = (
    "Only if the platform verifies its users' addresses: a first launch may then sign in as "
    "an existing password-less agent account with the same address."
)


class RegistrationForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    issuer = StringField("Issuer (iss)", validators=[DataRequired(), Length(max=500)])
    client_id = StringField("Client id", validators=[DataRequired(), Length(max=255)])
    login_url = URLField("OIDC authentication URL", validators=[DataRequired(), Length(max=1000)])
    token_url = URLField("Access token URL", validators=[DataRequired(), Length(max=1000)])
    key_set_url = URLField("Key set URL", validators=[DataRequired(), Length(max=1000)])
    token_audience = StringField(
        "Token audience (only if the platform asks for one)",
        validators=[Optional(), Length(max=1000)],
        description="Brightspace: https://api.brightspace.com/auth/token. Others: leave empty.",
    )
    deployments = TextAreaField(
        "Deployment ids",
        validators=[DataRequired(), Length(max=5000)],
        description="One a line, or separated by commas.",
    )
    lms_origins = TextAreaField(
        "LMS origins (where course pages are served, if not on the issuer's host)",
        validators=[Optional(), Length(max=5000)],
        description=ORIGINS_HINT,
    )
    trust_emails = BooleanField(TRUST_LABEL, description=TRUST_HINT)


class OptionsForm(FlaskForm):
    lms_origins = TextAreaField(
        "LMS origins", validators=[Optional(), Length(max=5000)], description=ORIGINS_HINT
    )
    trust_emails = BooleanField(TRUST_LABEL, description=TRUST_HINT)


class DeploymentForm(FlaskForm):
    deployments = StringField("Deployment ids", validators=[DataRequired(), Length(max=2000)])


class LinkCohortForm(FlaskForm):
    cohort = SelectField("Cohort", coerce=int, validators=[DataRequired()])
