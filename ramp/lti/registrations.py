"""Platform registrations and their deployments; the platforms' key sets, cached."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
from sqlalchemy import select

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
) -> LtiRegistration:
    """Register a platform; refuse a taken (issuer, client id), bad URLs or no deployment."""
    problems: list[str] = []
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
        deployments=[LtiDeployment(deployment_id=d) for d in dict.fromkeys(deployments)],
    )
    db.session.add(registration)
    db.session.flush()
    forget_origins()
    return registration


def add_deployments(registration: LtiRegistration, deployments: list[str]) -> list[str]:
    """Add deployment ids a registration does not have yet; returns those added."""
    known = {d.deployment_id for d in registration.deployments}
    added = [d for d in dict.fromkeys(split_deployments(deployments)) if d not in known]
    if not added and not known:
        raise ValidationError("name at least one deployment id")
    for deployment_id in added:
        registration.deployments.append(LtiDeployment(deployment_id=deployment_id))
    db.session.flush()
    return added


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


def platform_origins() -> tuple[str, ...]:
    """The origins of registered platforms (issuer and login URL), cached for a few seconds."""
    global _origins
    now = time.monotonic()
    if _origins is not None and now - _origins[0] < ORIGINS_TTL:
        return _origins[1]
    rows = db.session.execute(select(LtiRegistration.issuer, LtiRegistration.login_url)).all()
    found = sorted({o for row in rows for o in map(_origin, row) if o})
    _origins = (now, tuple(found))
    return _origins[1]


# Platform key sets -----------------------------------------------------------------------


@dataclass
class _KeySet:
    url: str
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")


_key_sets: dict[int, _KeySet] = {}
_key_lock = threading.Lock()
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
    keys = {}
    for item in document.get("keys", []) if isinstance(document, dict) else []:
        kid = item.get("kid") if isinstance(item, dict) else None
        if not kid or item.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = jwt.PyJWK(item, algorithm="RS256")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, KeyError):
            continue  # a key ramp cannot use (another algorithm) is skipped, not fatal
    return keys


def platform_key(registration: LtiRegistration, kid: str) -> jwt.PyJWK:
    """The platform's public key `kid`, from the cache; fetched again when the kid is unknown.

    A key set is fetched again at most every KEY_SET_REFETCH_FLOOR seconds, so a stream of
    launches naming made-up kids cannot turn ramp into a load generator against the platform.
    """
    now = time.monotonic()
    with _key_lock:
        cached = _key_sets.get(registration.id)
        if cached is None or cached.url != registration.key_set_url:
            cached = _key_sets[registration.id] = _KeySet(registration.key_set_url)
        fresh = now - cached.fetched_at < KEY_SET_MAX_AGE
        if kid in cached.keys and fresh:
            return cached.keys[kid]
        if now - cached.fetched_at >= KEY_SET_REFETCH_FLOOR:
            cached.keys = _fetch(registration.key_set_url)
            cached.fetched_at = now
        if kid in cached.keys:
            return cached.keys[kid]
    raise LaunchError(
        "kid",
        f"the token was signed with key '{kid}', which is not in the platform's key set "
        f"({registration.key_set_url}), even after fetching it again",
    )
