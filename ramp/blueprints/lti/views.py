"""LTI pages: the platform-facing endpoints, and the pages instructors and admins use."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user

from ramp.blueprints.forms import EmptyForm
from ramp.blueprints.lti.blueprint import bp
from ramp.blueprints.lti.forms import DeploymentForm, LinkCohortForm, OptionsForm, RegistrationForm
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.i18n import LTI_LOCALE
from ramp.jobs import jobs
from ramp.keys.operations import jwks as tool_jwks
from ramp.lti import claims as c
from ramp.lti import deep_linking, dynamic, grades, identity, registrations, roster
from ramp.lti.errors import CookiesBlocked, LaunchError, PlatformError
from ramp.lti.launch import (
    MAX_LAUNCH_BODY,
    STATE_COOKIE,
    STATE_LIFETIME,
    begin_login,
    use_state,
    validate_id_token,
)
from ramp.lti.models import LtiContext, LtiRegistration
from ramp.lti.queries import course_and_roles
from ramp.milestones.models import Cohort
from ramp.milestones.queries import assignable_cohorts, visible_hires
from ramp.webkit import CSP, csrf, external_url, limiter, render


@bp.errorhandler(LaunchError)
def launch_refused(exc: LaunchError):
    """A refused launch: a 4xx page naming the check that failed."""
    db.session.rollback()
    if isinstance(exc, CookiesBlocked):
        # A fresh login in the new window: a new state and nonce, and no lti_message_hint,
        # which platforms may treat as single use (it was spent on the framed attempt).
        fresh = {k: v for k, v in exc.login_params.items() if k != "lti_message_hint"}
        again = url_for("lti.login", _external=True) + "?" + urlencode(fresh)
        return render_template("lti/new_window.html", error=exc, again=again), exc.status
    return render_template("lti/refused.html", error=exc), exc.status


def _cookie_kwargs() -> dict:
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure
    # Inside the LMS iframe the cookie is third-party: over HTTPS it must be SameSite=None,
    # and partitioned so that browsers blocking third-party cookies still keep it.
    return {
        "secure": secure,
        "httponly": True,
        "samesite": "None" if secure else "Lax",
        "partitioned": secure,
    }


def _tool_origin() -> str:
    return request.host_url.rstrip("/")


def _login_limit() -> str:
    return current_app.config["LTI_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(_login_limit)
def login():
    """Third-party login initiation (GET or POST): answer with the OIDC authentication request."""
    begun = begin_login(
        request.values.to_dict(), url_for("lti.launch", _external=True), _tool_origin()
    )
    db.session.commit()
    response = redirect(begun.url, 302)
    response.set_cookie(
        STATE_COOKIE + begun.state,
        begun.state,
        max_age=int(STATE_LIFETIME.total_seconds()),
        **_cookie_kwargs(),
    )
    return response


def _landing_url(landing: identity.Landing) -> str:
    """The address of the page a launch lands on: the page itself, never one that redirects."""
    if landing.page == "module":
        return url_for(
            "learner.module", enrollment_id=landing.enrollment_id, module_slug=landing.module
        )
    if landing.page == "curriculum":
        return url_for("learner.curriculum", enrollment_id=landing.enrollment_id)
    if landing.page == "learning":
        return url_for("learner.home")
    if landing.page == "my_ramp":
        return url_for("learner.my_ramp")
    if landing.page == "board":
        cohort = landing.cohort_id
        return url_for("board.index", cohort=cohort) if cohort else url_for("board.index")
    return url_for("lti.context", context_id=landing.context_id)


@bp.post("/launch")
@csrf.exempt
def launch():
    """The launch: check the id_token, sign the user in, and redirect once, straight to the
    page the link opens (or to the deep-linking page)."""
    request.max_content_length = MAX_LAUNCH_BODY  # before the body is read: a 413 past it
    form = request.form
    state, id_token = form.get("state"), form.get("id_token")
    cookie = request.cookies.get(STATE_COOKIE + state) if state else None
    login_state = use_state(state, id_token, cookie)
    db.session.commit()  # the state is used up whatever the token turns out to be
    checked = validate_id_token(id_token, login_state)
    admission = identity.admit(checked)
    if checked.message_type == c.DEEP_LINKING_REQUEST:
        pending = deep_linking.begin(checked, admission.user)
        target = url_for("lti.deep_link", token=pending.token)
    else:
        target = _landing_url(admission.landing)
    context_id = admission.context.id
    sync = admission.instructor and admission.context.memberships_url
    # Signing in reads the user's id, activity and session version, all loaded: detached,
    # the user is not expired by the commit and read again for them.
    db.session.expunge(admission.user)
    db.session.commit()
    login_user(admission.user)
    session["lti"] = True
    # The LMS's language for the learner, for this session; a saved preference still wins.
    if admission.locale:
        session[LTI_LOCALE] = admission.locale
    else:
        session.pop(LTI_LOCALE, None)
    if sync:
        jobs.submit("roster sync", "ramp.lti.roster.sync_roster", context_id)
    response = redirect(target, 303)
    response.delete_cookie(
        STATE_COOKIE + state, **{k: v for k, v in _cookie_kwargs().items() if k != "httponly"}
    )
    return response


@bp.get("/jwks")
def jwks():
    """The tool's public keys (the active one and any still in their overlap)."""
    keys = tool_jwks("lti")
    db.session.commit()
    return keys, 200, {"Cache-Control": "public, max-age=300"}


# Deep linking ----------------------------------------------------------------------------


@bp.route("/deep-link/<token>", methods=["GET", "POST"])
@login_required
def deep_link(token: str):
    """Choose what to place in the course; answer the platform with signed content items."""
    pending = deep_linking.pending(token, current_user)
    form = EmptyForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            jwt, return_url = deep_linking.respond(
                pending, request.form.getlist("item"), external_url("lti.launch")
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
            body = render_template("lti/deep_link_return.html", jwt=jwt, return_url=return_url)
            csp = CSP.replace("form-action 'self'", f"form-action 'self' {origin}")
            return body, 200, {"Content-Security-Policy": csp}
    settings = pending.settings
    return render(
        "lti/deep_link.html",
        choices=deep_linking.choices(),
        form=form,
        errors=errors,
        multiple=settings.get("accept_multiple", True) is not False,
        title=settings.get("title"),
        status=422 if errors else 200,
    )


# Dynamic registration --------------------------------------------------------------------


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403, _("Only admins can register platforms."))


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    """Dynamic registration: an admin confirms, ramp reads the platform's configuration (only
    then: a link alone never makes ramp fetch anything), the admin checks it, ramp registers."""
    _require_admin()
    config_url = request.values.get("openid_configuration", "")
    token = request.values.get("registration_token") or None
    form = EmptyForm()
    page = {"config_url": config_url, "token": token, "form": form, "config": None}
    try:
        page["origin"] = dynamic.configuration_origin(config_url)
    except ValidationError as exc:
        return render("lti/register.html", problems=exc.problems, **page, status=400)
    if not form.validate_on_submit():
        return render("lti/register.html", problems=[], **page)
    try:
        config = dynamic.read_configuration(config_url)
    except ValidationError as exc:
        return render("lti/register.html", problems=exc.problems, **page, status=400)
    if request.form.get("step") != "register":
        return render("lti/register.html", problems=[], **dict(page, config=config))
    tool = dynamic.ToolUrls(
        external_url("lti.login"), external_url("lti.launch"), external_url("lti.jwks")
    )
    registration = dynamic.register_with(
        config, token, tool, current_app.config["ORGANIZATION_NAME"], config_url, current_user
    )
    db.session.commit()
    return render("lti/registered.html", registration=registration)


# Admin: registrations --------------------------------------------------------------------


@bp.route("/registrations", methods=["GET", "POST"])
@login_required
def registrations_page():
    """Registered platforms and their deployments; register another by hand."""
    _require_admin()
    form = RegistrationForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            reg = registrations.register_platform(
                form.name.data,
                form.issuer.data,
                form.client_id.data,
                form.login_url.data,
                form.token_url.data,
                form.key_set_url.data,
                form.deployments.data,
                token_audience=form.token_audience.data,
                lms_origins=form.lms_origins.data,
                trust_emails=form.trust_emails.data,
                actor=current_user,
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            flash(_("%(name)s is registered.", name=reg.name), "success")
            return redirect(url_for("lti.registrations_page"), 303)
    tool = {name: external_url(f"lti.{name}") for name in ("login", "launch", "jwks", "register")}
    return render(
        "lti/registrations.html",
        registrations=registrations.list_registrations(),
        form=form,
        errors=errors,
        tool=tool,
        deployment_form=DeploymentForm(formdata=None),
        options_form=OptionsForm(formdata=None),
        status=422 if errors or form.errors else 200,
    )


@bp.post("/registrations/<int:registration_id>/deployments")
@login_required
def add_deployment(registration_id: int):
    """Add deployment ids to a registration."""
    _require_admin()
    registration = db.get_or_404(LtiRegistration, registration_id)
    form = DeploymentForm()
    if not form.validate_on_submit():
        abort(400, _("Name the deployment ids to add."))
    added = registrations.add_deployments(registration, [form.deployments.data], current_user)
    db.session.commit()
    flash(
        ngettext(
            "Added %(num)d deployment to %(name)s.",
            "Added %(num)d deployments to %(name)s.",
            len(added),
            name=registration.name,
        ),
        "success",
    )
    return redirect(url_for("lti.registrations_page"), 303)


@bp.post("/registrations/<int:registration_id>/options")
@login_required
def registration_options(registration_id: int):
    """Set a registration's LMS origins and whether its e-mail addresses are trusted."""
    _require_admin()
    registration = db.get_or_404(LtiRegistration, registration_id)
    form = OptionsForm()
    if not form.validate_on_submit():
        abort(400, _("The LMS origins could not be read."))
    registrations.set_options(
        registration, form.lms_origins.data, form.trust_emails.data, current_user
    )
    db.session.commit()
    flash(_("%(name)s is updated.", name=registration.name), "success")
    return redirect(url_for("lti.registrations_page"), 303)


# Courses: cohort link and roster ---------------------------------------------------------


def _course(context_id: int) -> LtiContext:
    """A course the viewer teaches (or any, for admins); others are told it does not exist."""
    if not (current_user.is_manager or current_user.is_admin):
        abort(403, _("Only instructors and admins can manage a course's link to ramp."))
    found = course_and_roles(context_id, current_user.id)
    if found is None:
        raise NotFound(_("There is no such course."))
    context, roles = found
    if not current_user.is_admin and (
        roles is None or identity.platform_role(roles).value == "agent"
    ):
        raise NotFound(_("There is no such course among yours."))
    return context


def _cohort_form(context: LtiContext) -> LinkCohortForm:
    form = LinkCohortForm()
    form.cohort.choices = [(ch.id, ch.name) for ch in assignable_cohorts(current_user)]
    if request.method == "GET" and context.cohort_id:
        form.cohort.data = context.cohort_id
    return form


@bp.get("/courses/<int:context_id>")
@login_required
def context(context_id: int):
    """A course: its cohort (link another), its roster sync."""
    course = _course(context_id)
    return render(
        "lti/context.html", course=course, form=_cohort_form(course), sync_form=EmptyForm()
    )


@bp.post("/courses/<int:context_id>/cohort")
@login_required
def link_cohort(context_id: int):
    """Link the course to one of the viewer's cohorts."""
    course = _course(context_id)
    form = _cohort_form(course)
    if not form.validate_on_submit():
        abort(400, _("Choose one of your cohorts."))
    added = identity.link_cohort(course, db.session.get(Cohort, form.cohort.data))
    db.session.commit()
    flash(
        ngettext(
            "The course is linked to %(cohort)s; %(num)d learner added.",
            "The course is linked to %(cohort)s; %(num)d learners added.",
            added,
            cohort=course.cohort.name,
        ),
        "success",
    )
    return redirect(url_for("lti.context", context_id=course.id), 303)


@bp.post("/courses/<int:context_id>/sync")
@login_required
def sync(context_id: int):
    """Sync the course roster now."""
    course = _course(context_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        summary = roster.sync_roster(course.id)
    except (PlatformError, ValidationError) as exc:
        db.session.rollback()
        flash(_("The roster could not be synced: %(reason)s", reason=exc), "error")
    else:
        flash(_("Roster synced: %(summary)s.", summary=summary), "success")
    return redirect(url_for("lti.context", context_id=course.id), 303)


@bp.get("/grades")
@login_required
def grades_page():
    """Grade passback per hire: what was sent to the LMS gradebook, what is retrying or failed."""
    if not (current_user.is_manager or current_user.is_admin):
        abort(403, _("Only managers and admins see grade passback."))
    return render("lti/grades.html", rows=grades.passback_rows(visible_hires(current_user)))
