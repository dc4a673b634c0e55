"""A simulated LTI 1.3 platform (an LMS), written from the 1EdTech specifications.

It runs as a real HTTP server on 127.0.0.1 and shares no code with the tool: JOSE work is
done with joserfc (the tool uses PyJWT). It serves its OIDC authentication endpoint (which
signs id_tokens), its key set, an OAuth 2 token endpoint that checks the tool's client
assertion against the tool's own key set, Assignment and Grade Services line items and
scores, a Names and Role Provisioning Services membership container with paging, a
deep-linking return URL that verifies the tool's signed response, and the OpenID
configuration and registration endpoints of Dynamic Registration.

Switches for tests: `fail_scores` (answer the next N score posts with a 503), per-launch
`changes` to any claim (DROP removes one), `kid`, `sign_with` and `tamper`.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER, INSTRUCTOR = ROLE + "Learner", ROLE + "Instructor"
ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
SCOPES = {
    "lineitem": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "lineitem.readonly": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "score": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "result": "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "nrps": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
DROP = object()


_keys: dict[str, RSAKey] = {}


def new_key(kid: str) -> RSAKey:
    """An RSA signing key of the platform (made once per kid in a test run: they are slow)."""
    if kid not in _keys:
        _keys[kid] = RSAKey.generate_key(
            2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}
        )
    return _keys[kid]


@dataclass
class LaunchSpec:
    """What the next id_token for a login hint says, and how it is spoiled for negative tests."""

    sub: str = "learner-1"
    name: str | None = "Lee Learner"
    email: str | None = "lee@lms.example"
    roles: list = field(default_factory=lambda: [LEARNER])
    message_type: str = "LtiResourceLinkRequest"
    context_id: str | None = "course-1"
    context_title: str = "Support onboarding, spring"
    resource_link_id: str = "link-1"
    custom: dict | None = None
    lineitem: str | None = None
    ags: bool = True
    nrps: bool = True
    changes: dict = field(default_factory=dict)
    kid: str | None = None
    sign_with: RSAKey | None = None
    tamper: bool = False
    alg: str = "RS256"  # "none" or "HS256" for tokens a tool must refuse
    no_kid: bool = False


class Platform:
    """The simulated LMS. start() serves it; `url` is its issuer."""

    def __init__(self) -> None:
        self.key = new_key("platform-1")
        self.published: list[RSAKey] = [self.key]
        self.client_id = "ramp-client-1"
        self.deployment_id = "deployment-1"
        self.url = ""
        self.auth_origin = ""  # the authentication endpoint's origin, when not the issuer's
        self.tool_url = ""
        self.pending: dict[str, LaunchSpec] = {}
        self.line_items: dict[str, list[dict]] = {}
        self.score_posts: list[dict] = []
        self.score_attempts: list[float] = []
        self.fail_scores = 0
        self.members: dict[str, list[dict]] = {}
        self.page_size = 2
        self.membership_pages: list[str] = []
        self.deep_link_returns: list[dict] = []
        self.tokens: dict[str, set[str]] = {}
        self.token_requests: list[dict] = []
        self.registration_token = "registration-token-1"
        self.registrations: list[dict] = []
        self.key_set_requests = 0
        self.key_set_body: bytes | None = None  # served instead of the key set when set
        self.config_changes: dict = {}  # merged into the OpenID configuration
        self.config_requests = 0
        self.token_body: dict | None = None  # merged into token answers when set
        # What the token endpoint issues: a request for anything else is refused.
        self.grantable = {
            SCOPES["lineitem"],
            SCOPES["lineitem.readonly"],
            SCOPES["score"],
            SCOPES["nrps"],
        }
        self.ags_scopes = [SCOPES["lineitem"], SCOPES["score"]]  # granted in launches
        self.user_agents: list[str] = []
        # Message hints are single use here, as some platforms treat them.
        self.used_message_hints: set[str] = set()  # the User-Agent of every request received
        self.lock = threading.Lock()
        self._server = None

    # Running ---------------------------------------------------------------------------

    def start(self) -> Platform:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def auth_url(self) -> str:
        return (self.auth_origin or self.url) + "/auth"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def key_set_url(self) -> str:
        return self.url + "/jwks"

    def prepare(self, **spec) -> str:
        """Remember what the next launch with the returned login hint will say."""
        hint = secrets.token_hex(8)
        self.pending[hint] = LaunchSpec(**spec)
        return hint

    def rotate(self, kid: str) -> RSAKey:
        """Sign with a new key from now on; the old one stays published."""
        self.key = new_key(kid)
        self.published.append(self.key)
        return self.key

    # HTTP ------------------------------------------------------------------------------

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.user_agents.append(request.headers.get("User-Agent", ""))
        path = request.path
        routes = [
            ("/auth", self.authenticate),
            ("/jwks", self.jwks),
            ("/token", self.token),
            ("/deep-link-return", self.deep_link_return),
            ("/.well-known/openid-configuration", self.openid_configuration),
            ("/register", self.register),
            ("/course-page", self.course_page),
            ("/redirect", lambda r: Response("", 302, {"Location": r.args["to"]})),
            (
                "/echo-auth",
                lambda r: Response(
                    json.dumps({"authorization": r.headers.get("Authorization")}),
                    mimetype="application/json",
                ),
            ),
        ]
        handler = dict(routes).get(path)
        if handler is None and path.startswith("/courses/"):
            handler = self.course_service
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    def jwks(self, request: Request) -> Response:
        self.key_set_requests += 1
        if self.key_set_body is not None:
            return Response(self.key_set_body, mimetype="application/json")
        keys = [k.as_dict(private=False) for k in self.published]
        return Response(json.dumps({"keys": keys}), mimetype="application/json")

    def _claims(self, spec: LaunchSpec, nonce: str) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": spec.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            LTI + "version": "1.3.0",
            LTI + "message_type": spec.message_type,
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": self.tool_url + "/lti/launch",
            LTI + "roles": spec.roles,
        }
        if spec.name:
            claims["name"] = spec.name
        if spec.email:
            claims["email"] = spec.email
        if spec.context_id:
            claims[LTI + "context"] = {
                "id": spec.context_id,
                "title": spec.context_title,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            }
            if spec.ags:
                ags = {
                    "scope": list(self.ags_scopes),
                    "lineitems": f"{self.url}/courses/{spec.context_id}/lineitems",
                }
                if spec.lineitem:
                    ags["lineitem"] = spec.lineitem
                claims[AGS] = ags
            if spec.nrps:
                claims[NRPS] = {
                    "context_memberships_url": f"{self.url}/courses/{spec.context_id}/memberships",
                    "service_versions": ["2.0"],
                }
        if spec.message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": spec.resource_link_id, "title": "ramp"}
        else:
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": self.url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "accept_lineitem": True,
                "data": "platform-opaque-data",
            }
        if spec.custom:
            claims[LTI + "custom"] = spec.custom
        for name, value in spec.changes.items():
            if value is DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def authenticate(self, request: Request) -> Response:
        """The OIDC authentication endpoint: check the request, answer with a signed id_token."""
        params = request.values
        problems = []
        if params.get("scope") != "openid":
            problems.append("scope")
        if params.get("response_type") != "id_token":
            problems.append("response_type")
        if params.get("response_mode") != "form_post":
            problems.append("response_mode")
        if params.get("prompt") != "none":
            problems.append("prompt")
        if params.get("client_id") != self.client_id:
            problems.append("client_id")
        if params.get("redirect_uri") != self.tool_url + "/lti/launch":
            problems.append("redirect_uri")
        if not params.get("nonce") or not params.get("state"):
            problems.append("nonce/state")
        spec = self.pending.get(params.get("login_hint", ""))
        if spec is None:
            problems.append("login_hint")
        message_hint = params.get("lti_message_hint")
        if message_hint is not None:
            with self.lock:
                if (
                    message_hint != params.get("login_hint")
                    or message_hint in self.used_message_hints
                ):
                    problems.append("lti_message_hint")
                self.used_message_hints.add(message_hint)
        if problems:
            return Response("invalid authentication request: " + ", ".join(problems), 400)
        claims = self._claims(spec, params["nonce"])
        key = spec.sign_with or self.key
        header = {"alg": spec.alg, "kid": spec.kid or key.kid, "typ": "JWT"}
        if spec.no_kid:
            del header["kid"]
        if spec.alg == "RS256":
            token = jwt.encode(header, claims, key)
        elif spec.alg == "HS256":
            secret = OctKey.import_key(b"a-shared-secret-nobody-registered-32b")
            token = jwt.encode(header, claims, secret)
        else:  # "none": unsigned
            part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
            token = f"{part(header)}.{part(claims)}."
        if spec.tamper:
            head, body, signature = token.split(".")
            signature = ("A" if signature[0] != "A" else "B") + signature[1:]
            token = ".".join((head, body, signature))
        page = (
            "<!doctype html><title>Launching</title>"
            f'<form id="launch" method="post" action="{html.escape(params["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
            f'<input type="hidden" name="state" value="{html.escape(params["state"])}">'
            '<noscript><button type="submit">Continue</button></noscript></form>'
            "<script>document.getElementById('launch').submit()</script>"
        )
        return Response(page, mimetype="text/html")

    def course_page(self, request: Request) -> Response:
        """A course page that frames the tool, as an LMS does."""
        params = {
            "iss": self.issuer,
            "login_hint": request.args["hint"],
            "lti_message_hint": request.args["hint"],
            "target_link_uri": self.tool_url + "/lti/launch",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        storage = ""
        if request.args.get("storage"):
            # Platform storage (LTI Client Side postMessages): this page answers lti.put_data
            # and lti.get_data from the tool's frame, keeping the values per tool origin.
            params["lti_storage_target"] = "_parent"
            storage = (
                "<script>window.storageLog = []; const store = {};"
                "window.addEventListener('message', function (e) {"
                " const d = e.data || {}; const key = e.origin + ' ' + d.key;"
                " if (d.subject === 'lti.put_data') { store[key] = d.value;"
                "  window.storageLog.push('put ' + d.key);"
                "  e.source.postMessage({subject: 'lti.put_data.response',"
                "   message_id: d.message_id, key: d.key, value: d.value}, e.origin); }"
                " if (d.subject === 'lti.get_data') { window.storageLog.push('get ' + d.key);"
                "  e.source.postMessage({subject: 'lti.get_data.response',"
                "   message_id: d.message_id, key: d.key, value: store[key]}, e.origin); }"
                "});</script>"
            )
        query = urlencode(params)
        page = (
            f"<!doctype html><title>Course</title><h1>LMS course</h1>{storage}"
            f'<iframe name="tool" title="ramp" width="1000" height="700" '
            f'src="{html.escape(self.tool_url)}/lti/login?{html.escape(query)}"></iframe>'
        )
        return Response(page, mimetype="text/html")

    # The tool's key set and OAuth 2 ----------------------------------------------------

    def tool_keys(self) -> KeySet:
        with urllib.request.urlopen(self.tool_url + "/lti/jwks", timeout=5) as response:
            return KeySet.import_key_set(json.loads(response.read()))

    def _verify_tool_jwt(self, token: str, audience: str) -> dict:
        decoded = jwt.decode(token, self.tool_keys(), algorithms=["RS256"])
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.client_id},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
        )
        registry.validate(decoded.claims)
        return {"header": decoded.header, "claims": decoded.claims}

    def token(self, request: Request) -> Response:
        form = request.form
        self.token_requests.append(dict(form))
        if form.get("grant_type") != "client_credentials":
            return self._oauth_error("unsupported_grant_type")
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return self._oauth_error("invalid_request")
        try:
            checked = self._verify_tool_jwt(form.get("client_assertion", ""), self.token_url)
        except (JoseError, ValueError) as exc:
            return self._oauth_error("invalid_client", 401, str(exc))
        if checked["claims"].get("sub") != self.client_id or not checked["claims"].get("jti"):
            return self._oauth_error("invalid_client", 401, "sub or jti")
        asked = set(form.get("scope", "").split())
        if not asked or asked - self.grantable:
            return self._oauth_error("invalid_scope", 400, " ".join(sorted(asked - self.grantable)))
        granted = asked
        access = secrets.token_urlsafe(16)
        self.tokens[access] = granted
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(sorted(granted)),
        }
        body.update(self.token_body or {})
        return Response(json.dumps(body), mimetype="application/json")

    @staticmethod
    def _oauth_error(error: str, status: int = 400, detail: str = "") -> Response:
        body = json.dumps({"error": error, "error_description": detail})
        return Response(body, status, mimetype="application/json")

    def _scopes(self, request: Request) -> set[str]:
        auth = request.headers.get("Authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer "), set())

    # AGS and NRPS ----------------------------------------------------------------------

    def course_service(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")  # courses/<ctx>/<service>[/<n>[/scores]]
        if len(parts) < 3:
            return Response("not found", 404)
        context, service, rest = parts[1], parts[2], parts[3:]
        scopes = self._scopes(request)
        if not scopes:
            return Response("no or unknown access token", 401)
        if service == "memberships":
            return self.memberships(request, context, scopes)
        if service != "lineitems":
            return Response("not found", 404)
        if not rest:
            return self.line_item_container(request, context, scopes)
        if len(rest) == 2 and rest[1] == "scores":
            return self.scores(request, context, rest[0], scopes)
        return Response("not found", 404)

    def line_item_container(self, request: Request, context: str, scopes) -> Response:
        items = self.line_items.setdefault(context, [])
        if request.method == "GET":
            if not scopes & {SCOPES["lineitem"], SCOPES["lineitem.readonly"]}:
                return Response("scope", 403)
            found = [
                i
                for i in items
                if request.args.get("resource_id") in (None, i.get("resourceId"))
                and request.args.get("resource_link_id") in (None, i.get("resourceLinkId"))
            ]
            return Response(
                json.dumps(found), mimetype="application/vnd.ims.lis.v2.lineitemcontainer+json"
            )
        if SCOPES["lineitem"] not in scopes:
            return Response("scope", 403)
        if request.mimetype != "application/vnd.ims.lis.v2.lineitem+json":
            return Response("media type", 415)
        body = request.get_json(force=True)
        if not isinstance(body.get("scoreMaximum"), int | float) or body["scoreMaximum"] <= 0:
            return Response("scoreMaximum", 400)
        if not body.get("label"):
            return Response("label", 400)
        with self.lock:
            item = dict(body, id=f"{self.url}/courses/{context}/lineitems/{len(items) + 1}")
            items.append(item)
        return Response(json.dumps(item), 201, mimetype="application/vnd.ims.lis.v2.lineitem+json")

    def add_line_item(self, context: str, label: str, resource_id: str) -> str:
        """A line item made by the platform (as deep linking does); returns its URL."""
        items = self.line_items.setdefault(context, [])
        url = f"{self.url}/courses/{context}/lineitems/{len(items) + 1}"
        items.append({"id": url, "label": label, "resourceId": resource_id, "scoreMaximum": 100})
        return url

    def scores(self, request: Request, context: str, number: str, scopes) -> Response:
        self.score_attempts.append(time.monotonic())
        if SCOPES["score"] not in scopes:
            return Response("scope", 403)
        if request.mimetype != "application/vnd.ims.lis.v1.score+json":
            return Response("media type", 415)
        with self.lock:
            if self.fail_scores > 0:
                self.fail_scores -= 1
                return Response("gradebook is down", 503)
        item_url = f"{self.url}/courses/{context}/lineitems/{number}"
        if not any(i["id"] == item_url for i in self.line_items.get(context, [])):
            return Response("no such line item", 404)
        body = request.get_json(force=True)
        required = ("userId", "activityProgress", "gradingProgress", "timestamp")
        if any(not body.get(k) for k in required):
            return Response("missing fields", 400)
        if body["activityProgress"] not in (
            "Initialized",
            "Started",
            "InProgress",
            "Submitted",
            "Completed",
        ):
            return Response("activityProgress", 400)
        if body["gradingProgress"] not in (
            "FullyGraded",
            "Pending",
            "PendingManual",
            "Failed",
            "NotReady",
        ):
            return Response("gradingProgress", 400)
        if "scoreGiven" in body and "scoreMaximum" not in body:
            return Response("scoreMaximum", 400)
        try:  # ISO 8601 with sub-second precision and a time zone (AGS 2.0, score timestamp)
            stamp = datetime.fromisoformat(str(body["timestamp"]).replace("Z", "+00:00"))
        except ValueError:
            return Response("timestamp is not ISO 8601", 400)
        if stamp.tzinfo is None or "T" not in body["timestamp"]:
            return Response("timestamp has no time zone", 400)
        self.score_posts.append(dict(body, lineitem=item_url))
        return Response("", 204)

    def memberships(self, request: Request, context: str, scopes) -> Response:
        if SCOPES["nrps"] not in scopes:
            return Response("scope", 403)
        if "application/vnd.ims.lti-nrps.v2.membershipcontainer+json" not in request.headers.get(
            "Accept", ""
        ):
            return Response("media type", 406)
        self.membership_pages.append(request.full_path)
        page = int(request.args.get("page", 1))
        members = self.members.get(context, [])
        chunk = members[(page - 1) * self.page_size : page * self.page_size]
        url = f"{self.url}/courses/{context}/memberships"
        body = {"id": url, "context": {"id": context}, "members": chunk}
        headers = {}
        if page * self.page_size < len(members):
            headers["Link"] = f'<{url}?page={page + 1}>; rel="next"'
        return Response(
            json.dumps(body),
            headers=headers,
            mimetype="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        )

    # Deep linking return and dynamic registration --------------------------------------

    def deep_link_return(self, request: Request) -> Response:
        try:
            checked = self._verify_tool_jwt(request.form.get("JWT", ""), self.issuer)
        except (JoseError, ValueError) as exc:
            return Response(f"deep linking response refused: {exc}", 400)
        claims = checked["claims"]
        problems = []
        if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
            problems.append("message_type")
        if claims.get(LTI + "version") != "1.3.0":
            problems.append("version")
        if claims.get(LTI + "deployment_id") != self.deployment_id:
            problems.append("deployment_id")
        if not claims.get("nonce"):
            problems.append("nonce")
        if problems:
            return Response("deep linking response refused: " + ", ".join(problems), 400)
        self.deep_link_returns.append(checked)
        return Response(
            "<!doctype html><title>Placed</title><p>Content placed.", mimetype="text/html"
        )

    def openid_configuration(self, request: Request) -> Response:
        self.config_requests += 1
        config = {
            "issuer": self.issuer,
            "authorization_endpoint": self.auth_url,
            "token_endpoint": self.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.key_set_url,
            "registration_endpoint": self.url + "/register",
            "scopes_supported": ["openid", *SCOPES.values()],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "simulated-lms",
                "version": "1.0",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
        }
        config.update(self.config_changes)
        return Response(json.dumps(config), mimetype="application/json")

    def register(self, request: Request) -> Response:
        if request.headers.get("Authorization") != "Bearer " + self.registration_token:
            return Response(json.dumps({"error": "invalid registration token"}), 401)
        body = request.get_json(force=True)
        self.registrations.append(body)
        needed = ("initiate_login_uri", "redirect_uris", "jwks_uri", "client_name")
        if any(not body.get(k) for k in needed) or body.get("token_endpoint_auth_method") != (
            "private_key_jwt"
        ):
            return Response(json.dumps({"error": "invalid_client_metadata"}), 400)
        tool = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {})
        if urlsplit(body["initiate_login_uri"]).netloc != tool.get("domain"):
            return Response(json.dumps({"error": "invalid_client_metadata"}), 400)
        answer = dict(body, client_id="dynamic-client-1")
        answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = dict(
            tool, deployment_id="dynamic-deployment-1"
        )
        return Response(json.dumps(answer), mimetype="application/json")


def login_params(platform: Platform, hint: str, **extra) -> dict:
    """The query of the LMS's login initiation for a prepared launch, at platform.tool_url."""
    params = {
        "iss": platform.issuer,
        "login_hint": hint,
        "lti_message_hint": hint,
        "target_link_uri": platform.tool_url + "/lti/launch",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
    params.update(extra)
    return params
