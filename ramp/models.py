"""Every model, imported in one place so Alembic and create_all see the whole schema."""

from ramp.accounts.models import Role, Team, User  # noqa: F401
from ramp.audit.models import AuditEvent  # noqa: F401
from ramp.certificates.models import Certificate, CertificateBatch, ReadinessSignOff  # noqa: F401
from ramp.coaching.models import CoachingAssignment, CoachingRulesVersion  # noqa: F401
from ramp.curricula.models import (  # noqa: F401
    Assessment,
    Attempt,
    Choice,
    Curriculum,
    CurriculumVersion,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
    Question,
)
from ramp.forecast.models import PlannedClass  # noqa: F401
from ramp.keys.models import SigningKey  # noqa: F401
from ramp.lti.models import (  # noqa: F401
    LtiContext,
    LtiContextMember,
    LtiDeepLink,
    LtiDeployment,
    LtiIdentity,
    LtiLineItem,
    LtiLoginState,
    LtiRegistration,
    LtiResourceLink,
    LtiScorePost,
)
from ramp.metrics.models import (  # noqa: F401
    AgentIdentity,
    ApiToken,
    Contact,
    HireWeekMetric,
    ImportRun,
    QAEvaluation,
    TargetsVersion,
)
from ramp.milestones.models import (  # noqa: F401
    Cohort,
    Hire,
    HireEvent,
    Placement,
    PlanMilestone,
    RampTemplate,
    RampTemplateVersion,
)
from ramp.notifications.models import (  # noqa: F401
    Notification,
    NotificationPreference,
    TeamChannel,
)
from ramp.scim.models import ScimGroup, ScimUser  # noqa: F401
from ramp.skills.models import SkillChange, SkillGrant, SkillWebhook  # noqa: F401
from ramp.sso.models import (  # noqa: F401
    IdentityProvider,
    SamlAssertionSeen,
    Setting,
    SsoLoginState,
    UserIdentity,
)
