"""LTI Dynamic Registration 1.0: read the platform's configuration, register ramp with it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ramp.accounts.models import User
from ramp.errors import ValidationError
from ramp.lti import claims as c
from ramp.lti.errors import PlatformError
from ramp.lti.http import call
from ramp.lti.models import LtiRegistration
from ramp.lti.registrations import add_deployments, find_registration, register_platform


@dataclass(frozen=True)
class ToolUrls:
    """ramp's own URLs as the platform must know them."""

    login: str
    launch: str
    jwks: str
    logo: str | None = None


def configuration_origin(url: str) -> str:
    """The origin of a platform's configuration URL (the platform asking to register ramp);
    a ValidationError when it is not an http(s) URL. Nothing is fetched."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise ValidationError("the openid_configuration parameter is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def read_configuration(url: str) -> dict:
    """The platform's OpenID configuration, checked for what registration needs."""
    configuration_origin(url)
    parts = urlsplit(url)
    try:
        config = call("GET", url, headers={"Accept": "application/json"}).json()
    except PlatformError as exc:
        raise ValidationError(f"the platform's configuration could not be read: {exc}") from None
    if not isinstance(config, dict):
        raise ValidationError("the platform's configuration is not a JSON object")
    if not isinstance(config.get(c.PLATFORM_CONFIGURATION), dict):
        config.pop(c.PLATFORM_CONFIGURATION, None)
    missing = [
        k
        for k in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
        if not isinstance(config.get(k), str)
    ]
    if missing:
        raise ValidationError(f"the platform's configuration lacks {', '.join(missing)}")
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if len(config[key]) > 500 or urlsplit(config[key]).scheme not in ("http", "https"):
            raise ValidationError(f"the platform's configuration gives {key} that is not a URL")
    issuer = urlsplit(config["issuer"])
    if (issuer.scheme, issuer.netloc) != (parts.scheme, parts.netloc):
        raise ValidationError(
            f"the configuration at {url} names issuer {config['issuer']}, on another host"
        )
    # The registration endpoint receives the registration token: it must be the platform's.
    endpoint = urlsplit(config["registration_endpoint"])
    if (endpoint.scheme, endpoint.netloc) != (parts.scheme, parts.netloc):
        raise ValidationError(
            f"the configuration at {url} sends the registration to another host ({endpoint.netloc})"
        )
    return config


def registration_request(config: dict, tool: ToolUrls, name: str) -> dict:
    """The client registration ramp sends (Dynamic Registration 1.0, section 3.5)."""
    platform = config.get(c.PLATFORM_CONFIGURATION) or {}  # a dict: read_configuration saw to it
    messages_supported = platform.get("messages_supported")
    supported = {
        m.get("type")
        for m in (messages_supported if isinstance(messages_supported, list) else [])
        if isinstance(m, dict)
    }
    messages = [{"type": c.RESOURCE_LINK_REQUEST, "target_link_uri": tool.launch, "label": name}]
    if not supported or c.DEEP_LINKING_REQUEST in supported:
        messages.append(
            {
                "type": c.DEEP_LINKING_REQUEST,
                "target_link_uri": tool.launch,
                "label": f"Add {name} content",
                "placements": ["ContentArea", "link_selection", "assignment_selection"],
                "supported_types": ["ltiResourceLink"],
            }
        )
    scopes = config.get("scopes_supported")
    offered = (
        {s for s in scopes if isinstance(s, str)}
        if isinstance(scopes, list)
        else set(c.TOOL_SCOPES)
    )
    request = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.login,
        "redirect_uris": [tool.launch],
        "client_name": name,
        "jwks_uri": tool.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(s for s in c.TOOL_SCOPES if s in offered),
        c.TOOL_CONFIGURATION: {
            "domain": urlsplit(tool.launch).netloc,
            "target_link_uri": tool.launch,
            "description": "Onboarding and ramp tracking for customer-support teams.",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": messages,
        },
    }
    if tool.logo:
        request["logo_uri"] = tool.logo
    return request


def register_with(
    config: dict,
    token: str | None,
    tool: ToolUrls,
    name: str,
    config_url: str = "",
    actor: User | None = None,
) -> LtiRegistration:
    """Send ramp's registration to the platform and record the platform it answers for."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        answer = call(
            "POST",
            config["registration_endpoint"],
            headers=headers,
            body=registration_request(config, tool, name),
        ).json()
    except PlatformError as exc:
        raise ValidationError(f"the platform refused the registration: {exc}") from None
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
        raise ValidationError("the platform's answer to the registration has no client_id")
    tool_config = answer.get(c.TOOL_CONFIGURATION)
    deployment = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    deployment = deployment if isinstance(deployment, str) and len(deployment) <= 255 else None
    platform = config.get(c.PLATFORM_CONFIGURATION) or {}
    existing = find_registration(config["issuer"], client_id)
    if existing is not None:
        add_deployments(existing, [deployment] if deployment else [], actor)
        return existing
    return register_platform(
        name=str(platform.get("product_family_code") or "")[:200]
        or urlsplit(config["issuer"]).netloc,
        issuer=config["issuer"],
        client_id=client_id,
        login_url=config["authorization_endpoint"],
        token_url=config["token_endpoint"],
        key_set_url=config["jwks_uri"],
        deployments=[deployment] if deployment else [],
        deployment_required=False,  # some platforms name it only at the first launch
        # The LMS that opened the registration serves its course pages from there (Canvas:
        # the school's host, while the issuer is canvas.instructure.com).
        lms_origins=[configuration_origin(config_url)] if config_url else [],
        actor=actor,
    )
