"""A SAML 2.0 identity provider for the tests, built with pysaml2: keys and a self-signed
certificate made here with `cryptography`, metadata, and real signed assertions (xmlsec1).
It shares no code with ramp's service provider."""

from __future__ import annotations

import base64
import importlib
import shutil
import warnings
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import rndstr
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID

# pysaml2's server module names a cipher mode cryptography has moved (a warning, which the
# suite turns into an error); the identity provider never uses it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    Server = importlib.import_module("saml2.server").Server

ENTITY_ID = "https://idp.acme.example/saml/metadata"
SSO_URL = "https://idp.acme.example/saml/sso"


def make_key_pair(folder: Path, name: str = "idp") -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for it, written as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.acme.example")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2045, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class IdentityProvider:
    """The identity provider: its metadata for ramp, and responses to ramp's requests."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.key_file, self.cert_file = make_key_pair(folder)
        self.server = None

    def _config(self, sp_metadata: str | None) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": ENTITY_ID,
                "xmlsec_binary": shutil.which("xmlsec1"),
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
                "allow_unknown_attributes": True,
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(SSO_URL, BINDING_HTTP_REDIRECT)]},
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                    }
                },
            }
        )
        return config

    def metadata(self) -> str:
        """The identity provider's metadata, as an admin pastes it into ramp."""
        return str(entity_descriptor(self._config(None)))

    def trust(self, sp_metadata: str) -> None:
        """Know ramp as a service provider, from the metadata ramp publishes."""
        self.server = Server(config=self._config(sp_metadata))

    def read_request(self, location: str) -> tuple[str, str]:
        """The AuthnRequest's ID and the relay state, from ramp's redirect to SSO_URL."""
        query = parse_qs(urlsplit(location).query)
        request = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        return request.message.id, query["RelayState"][0]

    def respond(
        self,
        in_response_to: str,
        *,
        subject: str,
        email: str,
        name: str = "Sam Saml",
        groups: tuple[str, ...] = (),
        acs: str = "http://localhost/auth/saml/1/acs",
        audience: str | None = None,
        sign: bool = True,
    ) -> str:
        """A base64 SAMLResponse with one assertion, signed unless told not to."""
        sp_entity = audience or self.server.metadata.service_providers()[0]
        response = self.server.create_authn_response(
            identity={"mail": [email], "displayName": [name], "groups": list(groups)},
            in_response_to=in_response_to,
            destination=acs,
            sp_entity_id=sp_entity,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
                "authn_auth": ENTITY_ID,
            },
            sign_assertion=sign,
            sign_response=False,
            session_not_on_or_after=None,
        )
        return base64.b64encode(str(response).encode()).decode()


def new_id() -> str:
    return "id-" + rndstr(16)


__all__ = ["BINDING_HTTP_POST", "IdentityProvider", "new_id"]
