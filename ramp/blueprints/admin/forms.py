"""Admin forms."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
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
        _l("Template (YAML)"),
        validators=[DataRequired(message=_l("Paste or write the template.")), Length(max=200_000)],
    )


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    template = SelectField(_l("Ramp template"), coerce=int, validators=[DataRequired()])
    team = SelectField(_l("Team"), coerce=int)


class ImportForm(FlaskForm):
    export = FileField(
        _l("Export file (CSV or JSON lines)"),
        validators=[FileRequired(_l("Choose the export file."))],
    )
    preset = SelectField(_l("Preset"))
    mapping = FileField(_l("Or your own mapping (YAML)"))


# A role as a sentence names it ("Added Ana as agent.").
ROLE_NAMES = {"agent": _l("agent"), "manager": _l("manager"), "admin": _l("admin")}

ROLE_CHOICES = [
    SelectChoice("agent", _l("Agent")),
    SelectChoice("manager", _l("Manager")),
    SelectChoice("admin", lazy_pgettext("role", "Admin")),  # the menu's "Admin" is a place
]


class NewUserForm(FlaskForm):
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Give the person's name.")), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Give an e-mail address.")), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="agent")
    # Choices are the teams' names; an unknown one is refused by the operation, with its name.
    team = SelectField(_l("Team"), validate_choice=False)
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), Length(max=200)],
        description=_l("At least 8 characters. Leave empty to generate one, shown once."),
    )


class EditUserForm(FlaskForm):
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Give the person's name.")), Length(max=120)]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    team = SelectField(_l("Team"), validate_choice=False)


class ReasonForm(FlaskForm):
    reason = StringField(
        _l("Reason (kept in the audit log)"), validators=[Optional(), Length(max=500)]
    )


class TransferForm(FlaskForm):
    cohort = SelectField(
        _l("Into cohort"), coerce=int, validators=[DataRequired(_l("Choose a cohort."))]
    )
    manager = SelectField(
        _l("New manager"), coerce=int, validators=[DataRequired(_l("Choose a manager."))]
    )
    start_date = DateField(_l("Start date (empty: as before)"), validators=[Optional()])
    reason = StringField(
        _l("Reason (kept in the audit log)"), validators=[Optional(), Length(max=500)]
    )


class TeamForm(FlaskForm):
    name = StringField(
        _l("Team name"), validators=[DataRequired(_l("Give the team a name.")), Length(max=120)]
    )
    manager = SelectField(_l("Manager"), validate_choice=False)


class MemberForm(FlaskForm):
    email = SelectField(
        _l("Person"), validate_choice=False, validators=[DataRequired(_l("Choose a person."))]
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the token a name (the system that will use it).")),
            Length(max=120),
        ],
        description=_l("The system that will use it, e.g. MaestroQA export job."),
    )
    # Checked in ramp.metrics.api.create_token, which names unknown scopes and asks for one.
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=[SelectChoice(name, name) for name in SCOPES],
        validate_choice=False,
    )  # shown as checkboxes by templates/admin/tokens.html
    expires_on = DateField(
        _l("Expires on (optional)"),
        validators=[Optional()],
        description=_l("The API refuses the token from this day on (UTC). Empty: until revoked."),
    )


class CurriculumForm(FlaskForm):
    upload = FileField(_l("Curriculum file (YAML)"))
    document = TextAreaField(_l("Or paste the YAML"), validators=[Length(max=2_000_000)])

    def validate(self, extra_validators=None) -> bool:
        """One of the two is needed."""
        if not super().validate(extra_validators):
            return False
        if not self.upload.data and not (self.document.data or "").strip():
            self.form_errors.append(_("Choose a curriculum file or paste its YAML."))
            return False
        return True


class EnrollForm(FlaskForm):
    version = SelectField(_l("Curriculum version"), coerce=int, validators=[DataRequired()])
    people = SelectMultipleField(_l("People to enroll"), validate_choice=False)


class UndoImportForm(FlaskForm):
    reason = StringField(_l("Why (kept in the audit log)"), validators=[Length(max=500)])


class AgentIdForm(FlaskForm):
    source = StringField(
        _l("Tool (source)"), validators=[DataRequired(message=_l("Name the tool.")), Length(max=64)]
    )
    external_id = StringField(
        _l("The agent's id in that tool"),
        validators=[DataRequired(message=_l("Give the agent's id in that tool.")), Length(max=200)],
    )
    user = SelectField(_l("Ramp user"), coerce=int)


class CoachingRulesForm(FlaskForm):
    upload = FileField(_l("Coaching rules file (YAML)"))
    document = TextAreaField(_l("Or paste the YAML"), validators=[Length(max=200_000)])

    def validate(self, extra_validators=None) -> bool:
        """One of the two is needed."""
        if not super().validate(extra_validators):
            return False
        if not self.upload.data and not (self.document.data or "").strip():
            self.form_errors.append(_("Choose a coaching rules file or paste its YAML."))
            return False
        return True


class HelpdeskUsersForm(FlaskForm):
    helpdesk = SelectField(_l("Helpdesk"))
    export = FileField(
        _l("Users export (CSV)"), validators=[FileRequired(_l("Choose the users export."))]
    )


class HelpdeskLinksForm(FlaskForm):
    """The links a preview showed, sent back to be made: all of them or none."""

    helpdesk = StringField(validators=[DataRequired(), Length(max=64)])
    links = TextAreaField(validators=[DataRequired(), Length(max=4_000_000)])


class ProviderForm(FlaskForm):
    name = StringField(
        _l("Name on the sign-in button"),
        validators=[DataRequired(_l("Give the provider a name.")), Length(max=120)],
        description=_l("e.g. Okta, Microsoft, Google, Keycloak."),
    )
    enabled = BooleanField(_l("Offer it on the sign-in page"), default=True)
    issuer = StringField(
        _l("Issuer (OpenID Connect)"),
        validators=[Length(max=500)],
        description=_l("ramp reads the rest from its /.well-known/openid-configuration."),
    )
    client_id = StringField(_l("Client id"), validators=[Length(max=255)])
    client_secret = PasswordField(
        _l("Client secret"),
        validators=[Length(max=1000)],
        description=_l("Kept encrypted and never shown again; leave empty to keep the saved one."),
    )
    scopes = StringField(_l("Scopes"), default="openid email profile", validators=[Length(max=500)])
    saml_metadata = TextAreaField(
        _l("Identity provider metadata (SAML, XML)"), validators=[Length(max=500_000)]
    )
    email_claim = StringField(
        _l("E-mail claim or attribute"), default="email", validators=[Length(max=120)]
    )
    name_claim = StringField(
        _l("Name claim or attribute"), default="name", validators=[Length(max=120)]
    )
    groups_claim = StringField(
        _l("Groups claim or attribute"), default="groups", validators=[Length(max=120)]
    )
    group_mapping = TextAreaField(
        _l("Groups to roles and teams"),
        validators=[Length(max=20_000)],
        description=_l("One per line: group: role[, team], e.g. support-leads: manager, Tier 1."),
    )
    allow_jit = BooleanField(_l("Create a ramp account on first sign-in"))
    allow_email_match = BooleanField(_l("Link an existing account with the same e-mail address"))
    require_verified_email = BooleanField(
        _l("Only when the provider says the e-mail address is verified"), default=True
    )
    sign_out_at_provider = BooleanField(
        _l("Signing out of ramp also signs out at the provider"),
        description=_l(
            "For shared desks: the next person cannot sign in as the last. The provider must "
            "list the sign-out return address above and name an end-session endpoint."
        ),
    )


class PasswordPolicyForm(FlaskForm):
    mode = RadioField(
        _l("Password sign-in"),
        choices=[
            SelectChoice("allowed", _l("Everyone may sign in with a ramp password")),
            SelectChoice(
                "break_glass", _l("Single sign-on for everyone but one break-glass admin")
            ),
            SelectChoice("off", _l("Single sign-on only: no password sign-in")),
        ],
        default="allowed",
        validate_choice=True,
    )
    break_glass = EmailField(
        _l("Break-glass admin's e-mail"),
        validators=[Optional(), Length(max=254)],
        description=_l(
            "An admin with a ramp password who can still sign in if single sign-on fails."
        ),
    )
