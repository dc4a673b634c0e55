"""Every route, as every role and as a user who does not own the record.

The table below must name every route the app has: a new route without an entry fails the
test, so no page ships without its access rule being decided and checked.
"""

import re

import pytest
from sqlalchemy import func, select

from ramp.accounts.models import User
from ramp.audit.models import AuditEvent
from ramp.certificates.models import Certificate, CertificateBatch, ReadinessSignOff
from ramp.certificates.operations import issue_certificate
from ramp.coaching.models import CoachingAssignment
from ramp.coaching.operations import publish_rules_text
from ramp.curricula import queries as cq
from ramp.curricula.models import Attempt, LessonCompletion
from ramp.forecast.models import PlannedClass
from ramp.lti.models import LtiContext, LtiContextMember, LtiDeployment, LtiRegistration
from ramp.metrics.models import AgentIdentity, ImportRun, QAEvaluation, TargetsVersion
from ramp.milestones.models import Hire, HireEvent, Placement, PlanMilestone
from ramp.notifications.models import Notification, TeamChannel
from ramp.skills.models import SkillWebhook
from tests.coaching_factory import make_assignment
from tests.conftest import csrf_token, lms_platform, login

# role -> expected status; "owner" is the agent whose records the URLs name (their own).
# anonymous requests are always sent to the sign-in page.
OK, FORBIDDEN, MISSING, REDIRECT = 200, 403, 404, 302
ADMIN_ONLY = {
    "agent": FORBIDDEN,
    "owner": FORBIDDEN,
    "other_manager": FORBIDDEN,
    "manager": FORBIDDEN,
    "admin": OK,
}
RULES = {
    "auth.language": {
        "agent": OK,
        "owner": OK,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "main.home": {
        "agent": REDIRECT,
        "owner": REDIRECT,
        "other_manager": REDIRECT,
        "manager": REDIRECT,
        "admin": REDIRECT,
    },
    "main.team": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "admin.cohorts": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.imports": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.import_preview": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": MISSING,
    },
    "admin.import_job": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": MISSING,
    },
    "admin.import_rejects": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": MISSING,
    },
    "admin.agent_ids": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.agent_sync": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.import_undo": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": MISSING,
    },
    "admin.targets": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.coaching": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.people": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.person": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.teams": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.team": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.tokens": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.outbox_page": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.team_channels": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    # Every signed-in user chooses what they hear about.
    "main.notifications": {
        "agent": OK,
        "owner": OK,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "admin.audit": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.curricula": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.curriculum_yaml": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.enroll": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "admin.templates": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    "board.compare": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    # Capacity of the hires the viewer sees: another manager's cohort does not exist for them.
    "board.capacity_download": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    # The manager's own team; the other manager leads another: refused with a message (422).
    "board.team_performance": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": 422,
        "manager": OK,
        "admin": OK,
    },
    "board.index": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "board.hire": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    "board.new_hire": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "board.roster": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "learner.home": {
        "agent": OK,
        "owner": REDIRECT,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "learner.curriculum": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "learner.module": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "learner.lesson": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "learner.check": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    # The result of a knowledge check: its owner and the managers of their hire.
    "learner.attempt": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    # Confirmation pages (read only: the Confirm button posts to the action itself).
    "board.confirm_waive": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    "board.confirm_re_place": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    "board.confirm_revoke": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    "learner.my_ramp": {"agent": OK, "owner": OK, "other_manager": OK, "manager": OK, "admin": OK},
    "admin.sign_in": ADMIN_ONLY,
    "admin.new_provider": ADMIN_ONLY,
    # No provider with that id: the admin gets a 404.
    "admin.provider": {**ADMIN_ONLY, "admin": MISSING},
    "lti.registrations_page": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
    # Without a platform's configuration URL there is nothing to register.
    "lti.register": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": 400,
    },
    "lti.deep_link": {
        "agent": MISSING,
        "owner": MISSING,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "lti.context": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    "lti.grades_page": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "board.batch": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "verify.download": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": OK,
        "admin": OK,
    },
    "board.certificate_list": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    # Refreshers: the agent's own only; the Coaching page lists each viewer's own hires.
    "learner.refresher": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "learner.refresher_lesson": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "learner.refresher_check": {
        "agent": MISSING,
        "owner": OK,
        "other_manager": MISSING,
        "manager": MISSING,
        "admin": MISSING,
    },
    "board.coaching_page": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "board.coaching_csv": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    # The skills of the agents each manager sees (the other manager's file has none of ours).
    "board.skills_csv": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": OK,
        "manager": OK,
        "admin": OK,
    },
    "admin.skills_webhook": {
        "agent": FORBIDDEN,
        "owner": FORBIDDEN,
        "other_manager": FORBIDDEN,
        "manager": FORBIDDEN,
        "admin": OK,
    },
}
# POST-only actions that change a record: who may, and what everyone else gets.
ACTIONS = {
    "admin.import_run": ({}, QAEvaluation),
    "admin.deactivate_person": ({"reason": "r"}, AuditEvent),
    "admin.reactivate_person": ({}, AuditEvent),
    "admin.transfer_person": ({"cohort": "1", "manager": "1", "reason": "r"}, Hire),
    "admin.add_member": ({"email": "manager1@example.com"}, AuditEvent),
    "admin.remove_member": ({}, AuditEvent),
    "admin.revoke_token_page": ({"reason": "r"}, AuditEvent),
    "admin.targets_table": (
        {"tables": "1", "t0-rows": "1", "t0-from-0": "1", "t0-csat-0": "1"},
        TargetsVersion,
    ),
    "admin.import_undo_confirmed": ({"reason": "r"}, ImportRun),
    "admin.coaching_run": ({}, AuditEvent),
    "admin.import_link_agents": ({"agent-1": "Ana", "link-1": "1"}, AgentIdentity),
    "admin.import_create_agents": (
        {"create-1": "1", "name-1": "N", "email-1": "n@example.com"},
        User,
    ),
    "admin.agent_id_remove": ({}, AgentIdentity),
    "admin.agent_sync_confirm": (
        {"helpdesk": "zendesk", "links": '[["Agent 77", "hire1@example.com"]]'},
        AgentIdentity,
    ),
    "admin.outbox_retry": ({}, Notification),
    "admin.remove_team_channel": ({}, TeamChannel),
    "admin.remove_skills_webhook_page": ({}, SkillWebhook),
    "board.sign_off": ({"milestone": "classroom"}, PlanMilestone),
    "board.waive": ({"milestone": "basics-done", "reason": "r"}, PlanMilestone),
    "board.extend": (
        {"milestone": "basics-done", "due": "2099-01-01", "reason": "r"},
        PlanMilestone,
    ),
    "board.re_place": ({"effective_from": "2099-01-01", "queue": "q", "reason": "r"}, Placement),
    "board.note": ({"body": "n"}, HireEvent),
    "board.dismiss_refresher": ({"reason": "r"}, AuditEvent),
    "board.one_to_one": ({"note": "n"}, AuditEvent),
    "board.mark_left": ({"left_on": "2026-03-17", "reason": "personal"}, AuditEvent),
    "board.undo_left": ({"reason": "r"}, AuditEvent),
    "board.add_planned_class": (
        {"name": "N", "team": "1", "channel": "chat", "start_date": "2026-04-06", "heads": "3"},
        PlannedClass,
    ),
    "board.remove_planned_class": ({}, PlannedClass),
    "learner.complete_lesson": ({}, LessonCompletion),
    "learner.lesson_seen": ({}, LessonCompletion),
    "board.ready": ({"note": "n"}, ReadinessSignOff),
    "board.issue": ({}, Certificate),
    "board.revoke": ({"reason": "r"}, Certificate),
    "board.issue_batch": ({}, CertificateBatch),
    "lti.add_deployment": ({"deployments": "d9"}, LtiDeployment),
    "lti.registration_options": ({"lms_origins": "https://evil.example"}, LtiRegistration),
    "lti.link_cohort": ({"cohort": "0"}, Hire),
    "lti.sync": ({}, LtiContextMember),
}
# Public by design: the verify pages and the documents a credential points to.
PUBLIC = {
    "static",
    "auth.login",
    "auth.logout",
    "auth.setup",
    # Single sign-on: begun by anyone, answered by the identity provider (tests/sso/ checks them).
    "auth.sso_start",
    "auth.oidc_callback",
    "auth.saml_metadata",
    "auth.saml_acs",
    "api.openapi",
    "verify.verify_form",
    "verify.certificate",
    "verify.issuer",
    "verify.achievement_document",
    "verify.issuer_keys",
    "verify.status_list",
    "verify.issuer_key",
}
# LTI endpoints the platform calls: protected by signed tokens (tests/lti/ checks them).
LTI_SIGNED = {"lti.login", "lti.launch", "lti.jwks"}
# The JSON API answers bearer tokens, not sessions: tests/web/test_api.py checks it.
TOKEN_ONLY = {
    "api.contacts",
    "api.qa",
    "api.hires",
    "api.certificates",
    "api.certificate",
    "api.undo_import",
    "api.revoke_current_token",
    "api.hire",
    "api.hire_metrics",
    "api.comparison",
    "api.metric_periods",
    "api.capacity",
    "api.attrition",
    "api.users",
    "api.teams",
    "api.cohorts",
    "api.import_run",
    "api.start_import",
    "api.import_job",
    "api.skills",
    "api.skills_export",
}
# SCIM answers a bearer token with the scim scope, never a session: tests/scim/ checks it.
SCIM_TOKEN = {
    "scim.service_provider_config",
    "scim.schemas",
    "scim.schema",
    "scim.resource_types",
    "scim.resource_type",
    "scim.search",
    "scim.users",
    "scim.search_users",
    "scim.create_user",
    "scim.user",
    "scim.replace_user",
    "scim.patch_user",
    "scim.delete_user",
    "scim.groups",
    "scim.search_groups",
    "scim.create_group",
    "scim.group",
    "scim.replace_group",
    "scim.patch_group",
    "scim.delete_group",
    "scim.unknown_endpoint",
}
ROLES = ("agent", "owner", "other_manager", "manager", "admin")


@pytest.fixture
def scene(ramp_world, make_user, db):
    w = ramp_world
    hire = w.hire(name="Owner Agent")
    enrollment = hire.enrollment
    loaded = cq.load_version(enrollment.version_id)
    basics = next(m for m in loaded.modules if m.slug == "basics")
    key = cq.answer_key(basics.assessment)
    from ramp.curricula.operations import submit_attempt

    attempt = submit_attempt(enrollment, basics.assessment, {q.id: q.correct_ids for q in key})
    cert = issue_certificate(hire, w.admin, "http://localhost", override_reason="Transferred in")
    platform = lms_platform("LMS")
    course = LtiContext(registration=platform, deployment_id="d1", context_id="course-1")
    db.session.add(course)
    db.session.flush()
    db.session.add(
        LtiContextMember(
            context_id=course.id,
            user_id=w.lead.id,
            subject="t1",
            roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        )
    )
    # Rules in force (none), so that running them is an action that leaves a trace.
    publish_rules_text("version: 1\nrules: []\n")
    channel = TeamChannel(
        team_id=w.cohort.team.id, kind="slack", url="https://hooks.slack.com/services/T/B/x"
    )
    db.session.add(channel)
    db.session.flush()
    failed = Notification(
        event="import.failed",
        dedupe_key="auth-test",
        kind="slack",
        channel_id=channel.id,
        subject="s",
        status="failed",
        last_error="the webhook answered 404",
    )
    db.session.add(failed)
    db.session.add(SkillWebhook(url="https://hooks.example.com/skills", secret="s" * 32))
    link = AgentIdentity(source="zendesk", external_id="Owner Agent", user_id=hire.user.id)
    db.session.add(link)
    planned = PlannedClass(
        name="May class", team_id=w.cohort.team.id, channel="chat", start_date=w.start, heads=4
    )
    db.session.add(planned)
    db.session.commit()
    refresher = make_assignment(hire, fired_on=hire.start_date, one_to_one=True)
    tone = next(m for m in cq.version_content(enrollment.version).modules if m.slug == "tone")
    users = {
        "agent": make_user("agent", team="Chat"),
        "owner": hire.user,
        "other_manager": w.other_lead,
        "manager": w.lead,
        "admin": w.admin,
    }
    urls = {
        "auth.language": "/auth/language",
        "main.home": "/",
        "main.team": "/team",
        "admin.cohorts": "/admin/cohorts",
        "admin.templates": "/admin/templates",
        "admin.imports": "/admin/imports",
        "admin.targets": "/admin/targets",
        "admin.people": "/admin/people",
        "admin.person": f"/admin/people/{hire.user.id}",
        "admin.tokens": "/admin/tokens",
        "admin.sign_in": "/admin/sign-in",
        "admin.new_provider": "/admin/sign-in/providers/new/saml",
        "admin.provider": "/admin/sign-in/providers/999999",
        "admin.audit": "/admin/audit",
        "admin.outbox_page": "/admin/outbox",
        "admin.outbox_retry": f"/admin/outbox/{failed.id}/retry",
        "admin.team_channels": f"/admin/teams/{w.cohort.team.id}/channels",
        "admin.remove_team_channel": f"/admin/teams/{w.cohort.team.id}/channels/slack/remove",
        "main.notifications": "/notifications",
        "admin.revoke_token_page": "/admin/tokens/999/revoke",
        "admin.targets_table": "/admin/targets/table",
        "admin.coaching": "/admin/coaching",
        "admin.coaching_run": "/admin/coaching/run",
        "admin.curricula": "/admin/curricula",
        "admin.enroll": "/admin/curricula/enroll",
        "admin.curriculum_yaml": "/admin/curricula/mini-onboarding/v1.yaml",
        "admin.teams": "/admin/teams",
        "admin.team": f"/admin/teams/{w.cohort.team.id}",
        "admin.deactivate_person": f"/admin/people/{hire.user.id}/deactivate",
        "admin.reactivate_person": f"/admin/people/{hire.user.id}/reactivate",
        "admin.transfer_person": f"/admin/people/{hire.user.id}/transfer",
        "admin.add_member": f"/admin/teams/{w.other_cohort.team.id}/members",
        "admin.remove_member": f"/admin/teams/{w.cohort.team.id}/members/{hire.user.id}/remove",
        "admin.import_preview": "/admin/imports/" + "0" * 32,
        "admin.import_job": "/admin/imports/jobs/nope",
        "admin.import_rejects": "/admin/imports/" + "0" * 32 + "/rejects.csv",
        "board.index": "/board/",
        "board.compare": "/board/compare",
        "board.capacity_download": f"/board/compare/capacity.csv?cohort={w.cohort.id}",
        "board.mark_left": f"/board/hires/{hire.id}/left",
        "board.undo_left": f"/board/hires/{hire.id}/left/undo",
        "board.add_planned_class": "/board/planned-classes",
        "board.remove_planned_class": f"/board/planned-classes/{planned.id}/remove",
        "board.team_performance": f"/board/team-performance?team={w.cohort.team.id}",
        "board.hire": f"/board/hires/{hire.id}",
        "board.new_hire": "/board/hires/new",
        "board.roster": "/board/roster",
        "learner.home": "/learn/",
        "learner.curriculum": f"/learn/{enrollment.id}/",
        "learner.module": f"/learn/{enrollment.id}/basics/",
        "learner.lesson": f"/learn/{enrollment.id}/basics/lessons/lifecycle",
        "learner.check": f"/learn/{enrollment.id}/basics/check",
        "learner.attempt": f"/learn/attempts/{attempt.id}",
        "learner.my_ramp": "/learn/ramp",
        "board.sign_off": f"/board/hires/{hire.id}/sign-off",
        "board.waive": f"/board/hires/{hire.id}/waive",
        "board.extend": f"/board/hires/{hire.id}/extend",
        "board.re_place": f"/board/hires/{hire.id}/re-place",
        "board.confirm_waive": f"/board/hires/{hire.id}/waive/confirm?milestone=basics-done&reason=r",
        "board.confirm_re_place": (
            f"/board/hires/{hire.id}/re-place/confirm?effective_from={hire.start_date}&queue=q&reason=r"
        ),
        "board.confirm_revoke": f"/board/hires/{hire.id}/certificates/{cert.id}/revoke/confirm?reason=r",
        "board.note": f"/board/hires/{hire.id}/notes",
        "learner.complete_lesson": f"/learn/{enrollment.id}/basics/lessons/lifecycle/complete",
        "learner.lesson_seen": f"/learn/{enrollment.id}/basics/lessons/lifecycle/seen",
        "admin.import_run": "/admin/imports/" + "0" * 32 + "/run",
        "admin.import_undo": "/admin/imports/runs/999/undo",
        "admin.agent_ids": "/admin/agent-ids",
        "admin.import_link_agents": "/admin/imports/" + "0" * 32 + "/link",
        "admin.import_create_agents": "/admin/imports/" + "0" * 32 + "/agents",
        "admin.agent_id_remove": f"/admin/agent-ids/{link.id}/remove",
        "admin.agent_sync": "/admin/agent-ids/sync",
        "admin.agent_sync_confirm": "/admin/agent-ids/sync/confirm",
        "admin.import_undo_confirmed": "/admin/imports/runs/999/undo",
        "board.certificate_list": "/board/certificates",
        "learner.refresher": f"/learn/refreshers/{refresher.id}",
        "learner.refresher_lesson": f"/learn/refreshers/{refresher.id}/lessons/{tone.lessons[0].id}",
        "learner.refresher_check": f"/learn/refreshers/{refresher.id}/checks/{tone.id}",
        "board.coaching_page": "/board/coaching",
        "board.coaching_csv": "/board/coaching.csv",
        "board.skills_csv": "/board/skills.csv?format=nice",
        "admin.skills_webhook": "/admin/skills-webhook",
        "admin.remove_skills_webhook_page": "/admin/skills-webhook/remove",
        "board.dismiss_refresher": f"/board/hires/{hire.id}/refreshers/{refresher.id}/dismiss",
        "board.one_to_one": f"/board/hires/{hire.id}/refreshers/{refresher.id}/one-to-one",
        "board.batch": "/board/certificate-batches/999",
        "verify.download": f"/certificates/{cert.id}.pdf",
        "board.ready": f"/board/hires/{hire.id}/ready",
        "board.issue": f"/board/hires/{hire.id}/certificates",
        "board.revoke": f"/board/hires/{hire.id}/certificates/{cert.id}/revoke",
        "board.issue_batch": f"/board/cohorts/{w.cohort.id}/certificates",
        "lti.registrations_page": "/lti/registrations",
        "lti.register": "/lti/register",
        "lti.deep_link": "/lti/deep-link/nope",
        "lti.context": f"/lti/courses/{course.id}",
        "lti.grades_page": "/lti/grades",
        "lti.add_deployment": f"/lti/registrations/{platform.id}/deployments",
        "lti.registration_options": f"/lti/registrations/{platform.id}/options",
        "lti.link_cohort": f"/lti/courses/{course.id}/cohort",
        "lti.sync": f"/lti/courses/{course.id}/sync",
    }
    return users, urls


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    rest = endpoints - PUBLIC - TOKEN_ONLY - LTI_SIGNED - SCIM_TOKEN
    assert rest == set(RULES) | set(ACTIONS)


# An attribute only htmx acts on (the body's hx-headers is inert without it).
HX_ATTRIBUTE = re.compile(r"\shx-(?!headers=)[a-z-]+=")
HTMX_SCRIPT = re.compile(r'<script src="/static/vendor/htmx-[0-9.]+\.min\.js\?v=[0-9a-f]+" defer>')


@pytest.mark.parametrize("role", ROLES)
def test_pages_as_each_role(client, scene, role):
    users, urls = scene
    login(client, users[role].email)
    for endpoint, expected in RULES.items():
        answer = client.get(urls[endpoint])
        assert answer.status_code == expected[role], (endpoint, role, answer.status_code)
        if answer.mimetype == "text/html":
            page = answer.get_data(as_text=True)
            # Pages that leave htmx out (the LTI landing pages) must not need it.
            assert HTMX_SCRIPT.search(page) or not HX_ATTRIBUTE.search(page), endpoint


def test_pages_need_sign_in(client, scene):
    _, urls = scene
    for endpoint in RULES:
        response = client.get(urls[endpoint])
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], (
            endpoint
        )


ALLOWED_ACTIONS = {
    "admin.deactivate_person": {"admin"},
    "admin.reactivate_person": {"admin"},
    "admin.transfer_person": {"admin"},
    "admin.add_member": {"admin"},
    "admin.remove_member": {"admin"},
    "admin.revoke_token_page": {"admin"},
    "admin.targets_table": {"admin"},
    "admin.import_run": {"admin"},
    "admin.import_undo_confirmed": {"admin"},
    "admin.coaching_run": {"admin"},
    "admin.import_link_agents": {"admin"},
    "admin.import_create_agents": {"admin"},
    "admin.agent_id_remove": {"admin"},
    "admin.agent_sync_confirm": {"admin"},
    "admin.outbox_retry": {"admin"},
    "admin.remove_team_channel": {"admin"},
    "admin.remove_skills_webhook_page": {"admin"},
    "board.sign_off": {"manager", "admin"},
    "board.waive": {"manager", "admin"},
    "board.extend": {"manager", "admin"},
    "board.re_place": {"manager", "admin"},
    "board.note": {"manager", "admin"},
    "board.dismiss_refresher": {"manager", "admin"},
    "board.one_to_one": {"manager", "admin"},
    "board.mark_left": {"manager", "admin"},
    "board.undo_left": {"manager", "admin"},
    # Any manager plans classes, for their own teams (tests/web/test_capacity_pages.py).
    "board.add_planned_class": {"manager", "other_manager", "admin"},
    "board.remove_planned_class": {"manager", "admin"},
    "learner.complete_lesson": {"owner"},
    "learner.lesson_seen": {"owner"},
    "board.ready": {"manager", "admin"},
    "board.issue": {"manager", "admin"},
    "board.revoke": {"manager", "admin"},
    "board.issue_batch": {"manager", "admin"},
    "lti.add_deployment": {"admin"},
    "lti.registration_options": {"admin"},
    "lti.link_cohort": {"manager", "admin"},
    "lti.sync": {"manager", "admin"},
}


def rows(db, model) -> int:
    db.session.remove()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("role", ROLES)
def test_actions_as_each_role_change_nothing_unless_allowed(client, scene, db, role):
    users, urls = scene
    login(client, users[role].email)
    token = csrf_token(client, "/learn/ramp")
    for endpoint, (data, model) in ACTIONS.items():
        if role in ALLOWED_ACTIONS[endpoint]:
            continue
        before = rows(db, model)
        events = rows(db, HireEvent)
        response = client.post(urls[endpoint], data={"csrf_token": token, **data})
        assert response.status_code in (403, 404), (endpoint, role, response.status_code)
        assert rows(db, model) == before and rows(db, HireEvent) == events, (endpoint, role)
        waived = db.session.execute(
            select(func.count()).where(PlanMilestone.waived.is_(True))
        ).scalar_one()
        assert waived == 0


@pytest.mark.parametrize("role", ROLES)
def test_refresher_work_is_the_owners_alone(client, scene, db, role):
    """Posting to someone else's refresher (a lesson review, a check) changes nothing."""
    users, urls = scene
    if role == "owner":
        return
    login(client, users[role].email)
    token = csrf_token(client, "/learn/ramp")
    for endpoint in ("learner.refresher_lesson", "learner.refresher_check"):
        response = client.post(urls[endpoint], data={"csrf_token": token, "q-1": "1"})
        assert response.status_code == 404, (endpoint, role)
    db.session.remove()
    assert db.session.execute(select(CoachingAssignment.done)).scalar_one() == []


def test_attempts_of_others_stay_hidden(client, scene, db):
    users, urls = scene
    login(client, users["agent"].email)
    assert client.get(urls["learner.attempt"]).status_code == 404
    assert rows(db, Attempt) == 1


@pytest.mark.parametrize("role", ROLES)
def test_confirmation_pages_change_nothing(client, scene, db, role):
    users, urls = scene
    login(client, users[role].email)
    token = csrf_token(client, "/learn/ramp")
    before = [rows(db, model) for model in (HireEvent, Placement, Certificate)]
    for endpoint in ("board.confirm_waive", "board.confirm_re_place", "board.confirm_revoke"):
        path, _, query = urls[endpoint].partition("?")
        data = dict(pair.split("=") for pair in query.split("&"))
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == RULES[endpoint][role], (endpoint, role)
    assert [rows(db, model) for model in (HireEvent, Placement, Certificate)] == before
    revoked = select(func.count()).where(Certificate.revoked_at.is_not(None))
    assert db.session.execute(revoked).scalar_one() == 0
