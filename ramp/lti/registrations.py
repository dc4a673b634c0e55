"""Platform registrations and their deployments; the platforms' key sets, cached."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
from sqlalchemy import bindparam, select

from ramp.accounts.models import User
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.lti.errors import LaunchError, PlatformError
from ramp.lti.http import call
from ramp.lti.models import LtiDeployment, LtiRegistration

# A key set is fetched again at most this often, however many unknown kids arrive.
KEY_SET_REFETCH_FLOOR = 30.0
# A cached key set is trusted this long before the next launch refreshes it.
KEY_SET_MAX_AGE = 24 * 3600.0


def _check_url(name: str, url: str, problems: list[str]) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"the {name} must be an http(s) URL")
    return url


def split_origins(text: str | list[str] | None, problems: list[str]) -> list[str]:
    """LMS origins (scheme and host, e.g. https://school.instructure.com), one a line or
    separated by commas or spaces; anything else is a problem."""
    items = text if isinstance(text, list) else [text or ""]
    found = []
    for item in items:
        for word in (item or "").replace(",", " ").split():
            parts = urlsplit(word.strip())
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path not in ("", "/")
            ):
                problems.append(f"{word} is not an origin like https://school.example.com")
                continue
            found.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return list(dict.fromkeys(found))


def split_deployments(text: str | list[str]) -> list[str]:
    """Deployment ids from a list or from text, one a line or separated by commas."""
    items = text if isinstance(text, list) else [text]
    found = [d.strip() for item in items for d in (item or "").replace(",", "\n").splitlines()]
    return [d for d in found if d]


def find_registration(issuer: str, client_id: str | None) -> LtiRegistration | None:
    """The registration of (issuer, client id); by issuer alone only when there is just one."""
    query = select(LtiRegistration).where(LtiRegistration.issuer == issuer)
    if client_id:
        return db.session.execute(
            query.where(LtiRegistration.client_id == client_id)
        ).scalar_one_or_none()
    found = db.session.execute(query.limit(2)).scalars().all()
    return found[0] if len(found) == 1 else None


_registrations = LtiRegistration.__table__
_deployments = LtiDeployment.__table__
# The statements of every launch, built once: SQLAlchemy keeps a built statement's cache key,
# so running one costs its round trip and little else.
_LOGIN_COLUMNS = (_registrations.c.id, _registrations.c.client_id, _registrations.c.login_url)
_LOGIN_BY_CLIENT = select(*_LOGIN_COLUMNS).where(
    _registrations.c.issuer == bindparam("issuer"),
    _registrations.c.client_id == bindparam("client_id"),
)
_LOGIN_BY_ISSUER = (
    select(*_LOGIN_COLUMNS).where(_registrations.c.issuer == bindparam("issuer")).limit(2)
)
_LAUNCH_PLATFORM = select(
    _registrations.c.id,
    _registrations.c.name,
    _registrations.c.issuer,
    _registrations.c.client_id,
    _registrations.c.login_url,
    _registrations.c.token_url,
    _registrations.c.key_set_url,
    _registrations.c.lms_origins,
    _registrations.c.trust_emails,
    select(_deployments.c.id)
    .where(
        _deployments.c.registration_id == _registrations.c.id,
        _deployments.c.deployment_id == bindparam("deployment_id"),
    )
    .exists()
    .label("deployed"),
).where(_registrations.c.id == bindparam("id"))


@dataclass(frozen=True)
class LoginPlatform:
    """What a login initiation needs of a registration."""

    id: int
    client_id: str
    login_url: str


def login_platform(issuer: str, client_id: str | None) -> LoginPlatform | None:
    """find_registration's answer for a login initiation, as plain values in one query."""
    if client_id:
        row = db.session.execute(
            _LOGIN_BY_CLIENT, {"issuer": issuer, "client_id": client_id}
        ).first()
    else:
        rows = db.session.execute(_LOGIN_BY_ISSUER, {"issuer": issuer}).all()
        row = rows[0] if len(rows) == 1 else None
    return None if row is None else LoginPlatform(*row)


@dataclass(frozen=True)
class LaunchPlatform:
    """What a launch reads of its registration, as plain values (the attributes it shares
    with LtiRegistration), and `deployment_id`: the deployment it was read with, when that
    deployment is registered (else None)."""

    id: int
    name: str
    issuer: str
    client_id: str
    login_url: str
    token_url: str
    key_set_url: str
    lms_origins: list
    trust_emails: bool
    deployment_id: str | None


def launch_platform(registration_id: int, deployment_id: str) -> LaunchPlatform | None:
    """The registration of a launch and whether it knows `deployment_id`, in one query."""
    row = db.session.execute(
        _LAUNCH_PLATFORM, {"id": registration_id, "deployment_id": deployment_id}
    ).first()
    if row is None:
        return None
    *values, deployed = row
    return LaunchPlatform(*values, deployment_id if deployed else None)


def register_platform(
    name: str,
    issuer: str,
    client_id: str,
    login_url: str,
    token_url: str,
    key_set_url: str,
    deployments: list[str],
    deployment_required: bool = True,
    token_audience: str | None = None,
    lms_origins: str | list[str] | None = None,
    trust_emails: bool = False,
    actor: User | None = None,
) -> LtiRegistration:
    """Register a platform; refuse a taken (issuer, client id), bad URLs or no deployment."""
    problems: list[str] = []
    origins = split_origins(lms_origins, problems)
    issuer = (issuer or "").strip()
    client_id = (client_id or "").strip()
    if not issuer:
        problems.append("the issuer is empty")
    if not client_id:
        problems.append("the client id is empty")
    urls = {
        "login URL": login_url,
        "token URL": token_url,
        "key set URL": key_set_url,
    }
    login_url, token_url, key_set_url = (_check_url(k, v, problems) for k, v in urls.items())
    deployments = split_deployments(deployments)
    if not deployments and deployment_required:
        problems.append("name at least one deployment id")
    if issuer and client_id and find_registration(issuer, client_id):
        problems.append(f"{issuer} with client id {client_id} is already registered")
    if problems:
        raise ValidationError(problems)
    registration = LtiRegistration(
        name=(name or "").strip() or urlsplit(issuer).netloc or issuer,
        issuer=issuer,
        client_id=client_id,
        login_url=login_url,
        token_url=token_url,
        key_set_url=key_set_url,
        token_audience=(token_audience or "").strip() or None,
        lms_origins=origins,
        trust_emails=bool(trust_emails),
        deployments=[LtiDeployment(deployment_id=d) for d in dict.fromkeys(deployments)],
    )
    db.session.add(registration)
    db.session.flush()
    record(
        actor,
        "lti.register",
        f"lti:{registration.id}",
        issuer=issuer,
        client_id=client_id,
        deployments=[d.deployment_id for d in registration.deployments],
    )
    forget_origins()
    return registration


def add_deployments(
    registration: LtiRegistration, deployments: list[str], actor: User | None = None
) -> list[str]:
    """Add deployment ids a registration does not have yet; returns those added."""
    known = {d.deployment_id for d in registration.deployments}
    added = [d for d in dict.fromkeys(split_deployments(deployments)) if d not in known]
    if not added and not known:
        raise ValidationError("name at least one deployment id")
    for deployment_id in added:
        registration.deployments.append(LtiDeployment(deployment_id=deployment_id))
    db.session.flush()
    if added:
        record(actor, "lti.add_deployments", f"lti:{registration.id}", deployments=added)
    return added


def set_options(
    registration: LtiRegistration,
    lms_origins: str | list[str] | None,
    trust_emails: bool,
    actor: User | None = None,
) -> None:
    """Set where a platform's course pages live and whether its e-mail addresses are trusted."""
    problems: list[str] = []
    origins = split_origins(lms_origins, problems)
    if problems:
        raise ValidationError(problems)
    registration.lms_origins, registration.trust_emails = origins, bool(trust_emails)
    db.session.flush()
    record(
        actor,
        "lti.options",
        f"lti:{registration.id}",
        lms_origins=origins,
        trust_emails=bool(trust_emails),
    )
    forget_origins()


def has_deployment(registration: LtiRegistration, deployment_id: str) -> bool:
    """True when the registration knows this deployment id."""
    return (
        db.session.execute(
            select(LtiDeployment.id).where(
                LtiDeployment.registration_id == registration.id,
                LtiDeployment.deployment_id == deployment_id,
            )
        ).first()
        is not None
    )


def list_registrations() -> list[LtiRegistration]:
    """Every registration, by name."""
    return list(
        db.session.execute(select(LtiRegistration).order_by(LtiRegistration.name)).scalars()
    )


# Origins that may frame ramp -------------------------------------------------------------

_origins: tuple[float, tuple[str, ...]] | None = None
ORIGINS_TTL = 30.0


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def forget_origins() -> None:
    """Drop the cached platform origins (after a registration changed)."""
    global _origins
    _origins = None


def platform_hosts(registration: LtiRegistration) -> frozenset[str]:
    """The hosts (with port) a platform serves from: its registered URLs and LMS origins.

    Services named in launches (grades, rosters, deep-linking returns) must be on one of them.
    """
    urls = (
        registration.issuer,
        registration.login_url,
        registration.token_url,
        registration.key_set_url,
        *(registration.lms_origins or []),
    )
    return frozenset(urlsplit(u).netloc.lower() for u in urls if u and urlsplit(u).netloc)


def platform_origins() -> tuple[str, ...]:
    """The origins that may frame ramp: each platform's issuer, login URL and LMS origins,
    cached for a few seconds."""
    global _origins
    now = time.monotonic()
    if _origins is not None and now - _origins[0] < ORIGINS_TTL:
        return _origins[1]
    rows = db.session.execute(
        select(LtiRegistration.issuer, LtiRegistration.login_url, LtiRegistration.lms_origins)
    ).all()
    found = sorted(
        {o for issuer, login, lms in rows for o in map(_origin, [issuer, login, *(lms or [])]) if o}
    )
    _origins = (now, tuple(found))
    return _origins[1]


# Platform key sets -----------------------------------------------------------------------


@dataclass
class _KeySet:
    url: str
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    error: str | None = None  # why the last fetch failed, while it waits out the floor
    # Launches of one platform wait for its key set while it is fetched; other platforms' do not.
    lock: threading.Lock = field(default_factory=threading.Lock)


_key_sets: dict[int, _KeySet] = {}
_key_lock = threading.Lock()  # guards _key_sets only, never held over the network
key_set_fetches: list[str] = []  # URLs fetched, newest last (read by tests and the benchmark)


def forget_key_sets() -> None:
    """Empty the key set cache."""
    with _key_lock:
        _key_sets.clear()


def _fetch(url: str) -> dict[str, jwt.PyJWK]:
    key_set_fetches.append(url)
    del key_set_fetches[:-100]
    try:
        document = call("GET", url, headers={"Accept": "application/json"}).json()
    except PlatformError as exc:
        raise LaunchError(
            "kid",
            f"the platform's key set could not be read, so no signature can be checked: {exc}",
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise LaunchError(
            "kid",
            f"the platform's key set at {url} is not a JSON Web Key Set (no list of keys), "
            "so no signature can be checked",
        )
    keys = {}
    for item in document["keys"]:
        kid = item.get("kid") if isinstance(item, dict) else None
        if not isinstance(kid, str) or not kid or item.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = jwt.PyJWK(item, algorithm="RS256")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, KeyError, TypeError):
            continue  # a key ramp cannot use (another algorithm, bad numbers) is skipped
    return keys


def platform_key(registration: LtiRegistration, kid: str) -> jwt.PyJWK:
    """The platform's public key `kid`, from the cache; fetched again when the kid is unknown.

    A key set is fetched again at most every KEY_SET_REFETCH_FLOOR seconds, failed fetches
    included, so a stream of launches naming made-up kids cannot turn ramp into a load
    generator against the platform.
    """
    with _key_lock:
        cached = _key_sets.get(registration.id)
        if cached is None or cached.url != registration.key_set_url:
            cached = _key_sets[registration.id] = _KeySet(registration.key_set_url)
    with cached.lock:
        now = time.monotonic()
        fresh = now - cached.fetched_at < KEY_SET_MAX_AGE
        if kid in cached.keys and fresh:
            return cached.keys[kid]
        if now - cached.fetched_at >= KEY_SET_REFETCH_FLOOR:
            cached.fetched_at = now  # counted before the fetch: a failure waits out the floor
            try:
                cached.keys, cached.error = _fetch(cached.url), None
            except LaunchError as exc:
                cached.error = exc.message
                raise
        if kid in cached.keys:
            return cached.keys[kid]
        if cached.error:
            raise LaunchError(
                "kid",
                f"{cached.error} (ramp tries again at most every "
                f"{KEY_SET_REFETCH_FLOOR:.0f} seconds)",
            )
    raise LaunchError(
        "kid",
        f"the token was signed with key '{kid}', which is not in the platform's key set "
        f"({registration.key_set_url}), even after fetching it again",
    )
