"""Forms for platform registrations and course links."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

ORIGINS_HINT = _l(
    "One a line, e.g. https://school.instructure.com (Canvas) or https://school.blackboard.com."
)
TRUST_LABEL = _l("Trust the e-mail addresses this platform sends")
TRUST_HINT = _l(
    "Only if the platform verifies its users' addresses: a first launch may then sign in as "
    "an existing password-less agent account with the same address."
)


class RegistrationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    issuer = StringField(_l("Issuer (iss)"), validators=[DataRequired(), Length(max=500)])
    client_id = StringField(_l("Client id"), validators=[DataRequired(), Length(max=255)])
    login_url = URLField(
        _l("OIDC authentication URL"), validators=[DataRequired(), Length(max=1000)]
    )
    token_url = URLField(_l("Access token URL"), validators=[DataRequired(), Length(max=1000)])
    key_set_url = URLField(_l("Key set URL"), validators=[DataRequired(), Length(max=1000)])
    token_audience = StringField(
        _l("Token audience (only if the platform asks for one)"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Brightspace: https://api.brightspace.com/auth/token. Others: leave empty."),
    )
    deployments = TextAreaField(
        _l("Deployment ids"),
        validators=[DataRequired(), Length(max=5000)],
        description=_l("One a line, or separated by commas."),
    )
    lms_origins = TextAreaField(
        _l("LMS origins (where course pages are served, if not on the issuer's host)"),
        validators=[Optional(), Length(max=5000)],
        description=ORIGINS_HINT,
    )
    trust_emails = BooleanField(TRUST_LABEL, description=TRUST_HINT)


class OptionsForm(FlaskForm):
    lms_origins = TextAreaField(
        _l("LMS origins"), validators=[Optional(), Length(max=5000)], description=ORIGINS_HINT
    )
    trust_emails = BooleanField(TRUST_LABEL, description=TRUST_HINT)


class DeploymentForm(FlaskForm):
    deployments = StringField(_l("Deployment ids"), validators=[DataRequired(), Length(max=2000)])


class LinkCohortForm(FlaskForm):
    cohort = SelectField(_l("Cohort"), coerce=int, validators=[DataRequired()])
