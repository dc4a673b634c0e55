"""Forms for signing in and out."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class FirstAdminForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired("Give your name."), Length(max=120)])
    email = EmailField(
        "E-mail", validators=[DataRequired("Give your e-mail address."), Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Choose a password."), Length(min=8, max=200)],
        description="At least 8 characters.",
    )
    submit = SubmitField("Create the admin account")
