"""Forms for signing in and out, and for the account's language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ramp.i18n import LANGUAGES

# The choice that saves no language: the LMS's or the browser's decides.
AUTOMATIC = "auto"


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class FirstAdminForm(FlaskForm):
    name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Give your name.")), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Give your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Choose a password.")), Length(min=8, max=200)],
        description=_l("At least 8 characters."),
    )
    submit = SubmitField(_l("Create the admin account"))


class LanguageForm(FlaskForm):
    language = RadioField(
        _l("Language"),
        choices=[
            SelectChoice(
                AUTOMATIC, _l("Automatic: your learning platform's or your browser's language")
            ),
            *(SelectChoice(code, name) for code, name in LANGUAGES.items()),
        ],
        default=AUTOMATIC,
        validate_choice=True,
    )
    submit = SubmitField(_l("Save"))
