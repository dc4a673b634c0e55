"""Curriculum, module, lesson and knowledge-check pages for learners."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ramp import clock
from ramp.blueprints.forms import EmptyForm
from ramp.blueprints.learner.blueprint import bp
from ramp.blueprints.learner.forms import parse_answers
from ramp.certificates.queries import certificates_of_user
from ramp.coaching import progress as coaching
from ramp.coaching import queries as coaching_queries
from ramp.coaching import wording as coaching_wording
from ramp.curricula import operations, queries
from ramp.curricula.models import Attempt, Enrollment
from ramp.curricula.rules import AnswerError, attempt_refusal
from ramp.errors import NotAllowed, NotFound
from ramp.extensions import db
from ramp.formatting import percent
from ramp.lti.grades import queue_scores, send_scores
from ramp.metrics.display import hire_metrics
from ramp.milestones.operations import evaluate_learner
from ramp.milestones.queries import hire_view, hires_of_agent, managed_hire_of
from ramp.webkit import render


@bp.before_request
@login_required
def require_login():
    """Every learner page needs a signed-in user."""


def _own_enrollment(enrollment_id: int) -> Enrollment:
    """The current user's enrollment, or 404: other people's progress does not exist here."""
    enrollment = queries.enrollment_with_version(enrollment_id)
    if enrollment is None or enrollment.user_id != current_user.id:
        raise NotFound(_("There is no such curriculum in your learning."))
    return enrollment


def _module_view(view, module_slug: str):
    mv = view.module(module_slug)
    if mv is None:
        raise NotFound(_("This curriculum has no such module."))
    if mv.locked:
        raise NotAllowed(
            _(
                "“%(module)s” is locked: finish %(modules)s first.",
                module=mv.module.title,
                modules=", ".join(f"“{t}”" for t in mv.locked_by),
            )
        )
    return mv


@bp.get("/")
def home():
    """The learner's curricula; straight to the only one when there is one."""
    enrollments = queries.enrollments_of(current_user.id)
    if len(enrollments) == 1:
        return redirect(url_for("learner.curriculum", enrollment_id=enrollments[0].id))
    return render("learner/home.html", enrollments=enrollments)


@bp.get("/<int:enrollment_id>/")
def curriculum(enrollment_id: int):
    """Modules in order, progress, what is next, locks and why."""
    view = queries.curriculum_view(_own_enrollment(enrollment_id))
    return render("learner/curriculum.html", view=view)


@bp.get("/<int:enrollment_id>/<module_slug>/")
def module(enrollment_id: int, module_slug: str):
    """A module's lessons and its knowledge check."""
    view = queries.curriculum_view(_own_enrollment(enrollment_id))
    mv = view.module(module_slug)
    if mv is None:
        raise NotFound(_("This curriculum has no such module."))
    return render("learner/module.html", view=view, mv=mv)


@bp.get("/<int:enrollment_id>/<module_slug>/lessons/<lesson_slug>")
def lesson(enrollment_id: int, module_slug: str, lesson_slug: str):
    """Read a lesson (the page then reports it read: lesson_seen)."""
    enrollment, view, mv, lesson = _lesson(enrollment_id, module_slug, lesson_slug)
    operations.ensure_open(enrollment, mv.module.id)
    return render(
        "learner/lesson.html",
        view=view,
        mv=mv,
        lesson=lesson,
        form=EmptyForm(),
        done=lesson.id in mv.lessons_done,
    )


def _lesson(enrollment_id: int, module_slug: str, lesson_slug: str):
    """The learner's own enrollment, its curriculum view, the module's view and the lesson."""
    enrollment = _own_enrollment(enrollment_id)
    view = queries.curriculum_view(enrollment)
    mv = _module_view(view, module_slug)
    lesson = next((le for le in mv.module.lessons if le.slug == lesson_slug), None)
    if lesson is None:
        raise NotFound(_("“%(module)s” has no such lesson.", module=mv.module.title))
    return enrollment, view, mv, lesson


@bp.post("/<int:enrollment_id>/<module_slug>/lessons/<lesson_slug>/seen")
def lesson_seen(enrollment_id: int, module_slug: str, lesson_slug: str):
    """Remember the lesson the learner has open, as where to resume (sent by the page)."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    enrollment, _view, _mv, lesson = _lesson(enrollment_id, module_slug, lesson_slug)
    operations.visit_lesson(enrollment, lesson)
    db.session.commit()
    return "", 204


@bp.post("/<int:enrollment_id>/<module_slug>/lessons/<lesson_slug>/complete")
def complete_lesson(enrollment_id: int, module_slug: str, lesson_slug: str):
    """Mark a lesson complete and go on to the next step."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    enrollment, _view, mv, lesson = _lesson(enrollment_id, module_slug, lesson_slug)
    if operations.complete_lesson(enrollment, lesson):
        evaluate_learner(enrollment.id)
    db.session.commit()
    lessons = mv.module.lessons
    index = lessons.index(lesson)
    if index + 1 < len(lessons):
        target = url_for(
            "learner.lesson",
            enrollment_id=enrollment_id,
            module_slug=module_slug,
            lesson_slug=lessons[index + 1].slug,
        )
    elif mv.module.assessment:
        target = url_for("learner.check", enrollment_id=enrollment_id, module_slug=module_slug)
    else:
        target = url_for("learner.curriculum", enrollment_id=enrollment_id)
    return redirect(target, 303)


@bp.route("/<int:enrollment_id>/<module_slug>/check", methods=["GET", "POST"])
def check(enrollment_id: int, module_slug: str):
    """Take a knowledge check; answers are scored with feedback per question."""
    enrollment = _own_enrollment(enrollment_id)
    view = queries.curriculum_view(enrollment)
    mv = _module_view(view, module_slug)
    assessment = mv.module.assessment
    if assessment is None:
        raise NotFound(_("“%(module)s” has no knowledge check.", module=mv.module.title))
    form = EmptyForm()
    context = dict(view=view, mv=mv, assessment=assessment, form=form)
    if request.method == "GET":
        refusal = attempt_refusal(assessment.max_attempts, mv.check.attempts_used, mv.check.passed)
        return render("learner/check.html", refusal=refusal, errors={}, chosen={}, **context)
    if not form.validate_on_submit():
        abort(400)
    answers = parse_answers(request.form)
    try:
        attempt = operations.submit_attempt(enrollment, assessment, answers)
        evaluate_learner(enrollment.id)
    except AnswerError as exc:
        db.session.rollback()
        return render(
            "learner/check.html",
            block="check_form",
            status=422,
            refusal=None,
            errors=exc.problems,
            chosen=answers,
            **context,
        )
    scores = queue_scores(attempt)
    db.session.commit()
    send_scores(scores)  # grade passback to the LMS the learner launched from, if any
    target = url_for("learner.attempt", attempt_id=attempt.id)
    if request.headers.get("HX-Request") == "true":
        # The result has its own address: the browser shows it, so a reload reads the
        # result again instead of sending the answers again.
        body, status, headers = _attempt_page(attempt, block="result")
        return body, status, {**headers, "HX-Push-Url": target}
    return redirect(target, 303)


def _attempt_page(attempt: Attempt, block: str | None = None, learner_hire=None):
    enrollment = attempt.enrollment
    view = queries.curriculum_view(enrollment)
    mv = next(m for m in view.modules if m.module.id == attempt.assessment.module_id)
    return render(
        "learner/attempt.html",
        block=block,
        view=view,
        mv=mv,
        attempt=attempt,
        assessment=attempt.assessment,
        learner_hire=learner_hire,
    )


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    """The result of one attempt, for its owner or their managers; reading it changes nothing."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(_("There is no such attempt among yours."))
    if attempt.enrollment.user_id == current_user.id:
        return _attempt_page(attempt)
    managed = managed_hire_of(current_user, attempt.enrollment.user_id)
    if managed is None:
        raise NotFound(_("There is no such attempt among yours."))
    return _attempt_page(attempt, learner_hire=managed)


@bp.get("/ramp")
def my_ramp():
    """The agent's own ramp: the one thing to do next, what comes later, and every milestone."""
    hires = hires_of_agent(current_user.id)
    views = [
        (
            hire_view(h),
            hire_metrics(h),
            queries.curriculum_view(h.enrollment) if h.enrollment else None,
        )
        for h in hires
    ]
    return render(
        "learner/ramp.html",
        views=views,
        certificates=certificates_of_user(current_user.id),
        refreshers=coaching_wording.shown(
            coaching_queries.open_refreshers_of_user(current_user.id), clock.today()
        ),
    )


def _own_refresher(assignment_id: int) -> coaching_queries.Refresher:
    """The current user's own refresher with its content, or 404 for anyone else's."""
    assignment = coaching_queries.own_assignment(current_user.id, assignment_id)
    if assignment is None:
        raise NotFound(_("There is no such refresher among yours."))
    return coaching_queries.refresher(assignment)


def _shown(found: coaching_queries.Refresher) -> coaching_wording.Shown:
    return coaching_wording.shown([found.assignment], clock.today())[0]


@bp.get("/refreshers/<int:assignment_id>")
def refresher(assignment_id: int):
    """A refresher: why it was assigned, the reviews behind it, what to read and pass."""
    found = _own_refresher(assignment_id)
    return render("learner/refresher.html", found=found, shown=_shown(found), form=EmptyForm())


@bp.route("/refreshers/<int:assignment_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
def refresher_lesson(assignment_id: int, lesson_id: int):
    """Read a lesson again; posting marks it reviewed and goes on to what is left."""
    found = _own_refresher(assignment_id)
    lesson = found.lesson(lesson_id)
    if lesson is None:
        raise NotFound(_("This lesson is not part of the refresher."))
    form = EmptyForm()
    if request.method == "GET":
        return render(
            "learner/refresher_lesson.html",
            found=found,
            shown=_shown(found),
            lesson=lesson,
            form=form,
        )
    if not form.validate_on_submit():
        abort(400)
    coaching.review_lesson(found.assignment, lesson, current_user, clock.today())
    db.session.commit()
    return redirect(_next_in_refresher(found.assignment.id, lesson_id), 303)


def _next_in_refresher(assignment_id: int, after_lesson_id: int | None = None) -> str:
    """Where to go after a step: the next lesson not yet reviewed, else the refresher page."""
    found = coaching_queries.refresher(
        coaching_queries.own_assignment(current_user.id, assignment_id)
    )
    if found.assignment.status == "open":
        ids = [le.id for le in found.lessons]
        start = ids.index(after_lesson_id) + 1 if after_lesson_id in ids else 0
        for lesson in found.lessons[start:]:
            if not found.reviewed(lesson):
                return url_for(
                    "learner.refresher_lesson", assignment_id=assignment_id, lesson_id=lesson.id
                )
    else:
        flash(_("You completed “%(title)s”. Well done.", title=found.assignment.title), "success")
    return url_for("learner.refresher", assignment_id=assignment_id)


@bp.route("/refreshers/<int:assignment_id>/checks/<int:module_id>", methods=["GET", "POST"])
def refresher_check(assignment_id: int, module_id: int):
    """A refresher's knowledge check: graded as the module's, without spending its attempts."""
    found = _own_refresher(assignment_id)
    module = found.check(module_id)
    if module is None:
        raise NotFound(_("This check is not part of the refresher."))
    form = EmptyForm()
    context = dict(found=found, shown=_shown(found), module=module, form=form)
    if request.method == "GET":
        return render("learner/refresher_check.html", errors={}, chosen={}, score=None, **context)
    if not form.validate_on_submit():
        abort(400)
    answers = parse_answers(request.form)
    try:
        score = coaching.submit_check(
            found.assignment, module, answers, current_user, clock.today()
        )
    except AnswerError as exc:
        db.session.rollback()
        return render(
            "learner/refresher_check.html",
            status=422,
            errors=exc.problems,
            chosen=answers,
            score=None,
            **context,
        )
    db.session.commit()
    if score.passed:
        flash(
            _(
                "You passed “%(check)s” with %(score)s.",
                check=module.assessment.title,
                score=percent(score.percent),
            ),
            "success",
        )
        return redirect(_next_in_refresher(assignment_id), 303)
    return render("learner/refresher_check.html", errors={}, chosen={}, score=score, **context)
