"""Forms that pages of several blueprints share."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with no fields, so POST buttons still carry a CSRF token."""
