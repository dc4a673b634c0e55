"""Configuration read from the environment, with defaults for the embedded setup."""

import os
import secrets
from pathlib import Path


def load_secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def database_url(instance_path: str) -> str:
    """DATABASE_URL when set (PostgreSQL in production), else SQLite in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return "sqlite:///" + str(Path(instance_path) / "ramp.sqlite")


def engine_options() -> dict:
    """SQLAlchemy engine options: connections checked before use, and the pool's size when
    RAMP_DB_POOL_SIZE / RAMP_DB_MAX_OVERFLOW set it (per process: see docs/production.md)."""
    options: dict = {"pool_pre_ping": True}
    for key, name in (("pool_size", "RAMP_DB_POOL_SIZE"), ("max_overflow", "RAMP_DB_MAX_OVERFLOW")):
        if value := os.environ.get(name):
            options[key] = int(value)
    return options


def build_config(instance_path: str) -> dict:
    """Everything create_app() needs, from the environment."""
    https = os.environ.get("RAMP_HTTPS", "0") == "1"
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        # Over HTTPS: Strict-Transport-Security, Secure cookies.
        "HTTPS": https,
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "ORGANIZATION_NAME": os.environ.get("RAMP_ORGANIZATION", "ramp"),
        # Managers see no pooled comparison figure over fewer hires than this (admins do).
        "COMPARE_MIN_HIRES": int(os.environ.get("RAMP_COMPARE_MIN_HIRES", "3")),
        # A PNG, SVG or JPEG file printed on certificates (inlined; never fetched at render).
        "ORGANIZATION_LOGO": os.environ.get("RAMP_ORGANIZATION_LOGO") or None,
        # The address people reach ramp at, printed in certificates and their QR codes.
        # Without it (or RAMP_TRUSTED_HOSTS), nothing that embeds ramp's address is signed:
        # the Host header of a request is anyone's to choose.
        "PUBLIC_URL": (os.environ.get("RAMP_PUBLIC_URL") or "").rstrip("/") or None,
        # Host names ramp answers to (comma-separated; ".acme.example" for its subdomains);
        # a request naming another host gets a 400. Without RAMP_PUBLIC_URL, these hosts
        # are the only ones ramp will put in certificates and LTI URLs.
        "TRUSTED_HOSTS": [
            h.strip() for h in os.environ.get("RAMP_TRUSTED_HOSTS", "").split(",") if h.strip()
        ]
        or None,
        "VERIFY_RATE_LIMIT": os.environ.get("RAMP_VERIFY_RATE_LIMIT", "30 per minute"),
        # How many proxies in front of ramp set X-Forwarded-For/-Proto/-Host (0: none).
        "PROXY_COUNT": int(os.environ.get("RAMP_PROXY_COUNT", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        # Over HTTPS ramp may run inside an LMS iframe (LTI), where its cookies are
        # third-party: SameSite=None lets them through; forms still carry CSRF tokens.
        "SESSION_COOKIE_SAMESITE": "None" if https else "Lax",
        "REMEMBER_COOKIE_SAMESITE": "None" if https else "Lax",
        # Partitioned (CHIPS): browsers that block third-party cookies keep one per LMS site.
        "SESSION_COOKIE_PARTITIONED": https,
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        # With a Redis URL, background jobs go to a Redis queue that `ramp worker` runs.
        "REDIS_URL": redis_url,
        # Counts must be shared by every worker (gunicorn runs several): Redis when there is
        # one; memory:// counts per process.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or redis_url
        or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("RAMP_LOGIN_RATE_LIMIT", "10 per minute"),
        # Uploads larger than this import in the background queue, with progress on the page.
        "IMPORT_BACKGROUND_BYTES": int(os.environ.get("RAMP_IMPORT_BACKGROUND_BYTES", 1_000_000)),
        # Imports of files this large read them in a second process while the first writes
        # (two cores at work; starting it costs about half a second); 0: always one process.
        "IMPORT_READER_PROCESS_BYTES": int(
            os.environ.get("RAMP_IMPORT_READER_PROCESS_BYTES", 16 * 1024 * 1024)
        ),
        # Grade passback: tries per score, and the first wait (doubled after each failure).
        "LTI_SCORE_TRIES": int(os.environ.get("RAMP_LTI_SCORE_TRIES", 5)),
        "LTI_RETRY_BASE_SECONDS": float(os.environ.get("RAMP_LTI_RETRY_BASE_SECONDS", 2)),
        # Platform URLs ramp calls must be https and on public addresses; these let it call
        # plain http and private or loopback addresses (a platform on the same network).
        "LTI_ALLOW_HTTP": os.environ.get("RAMP_LTI_ALLOW_HTTP", "0") == "1",
        "LTI_ALLOW_PRIVATE_URLS": os.environ.get("RAMP_LTI_ALLOW_PRIVATE_URLS", "0") == "1",
        # Login initiations per visitor address (each one writes a launch state).
        "LTI_LOGIN_RATE_LIMIT": os.environ.get("RAMP_LTI_LOGIN_RATE_LIMIT", "60 per minute"),
        # Notifications (docs/notifications.md). E-mail through this SMTP server: security
        # "starttls" (default), "ssl" or "none"; messages come from SMTP_FROM.
        "SMTP_HOST": os.environ.get("RAMP_SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("RAMP_SMTP_PORT", 587)),
        "SMTP_SECURITY": os.environ.get("RAMP_SMTP_SECURITY", "starttls"),
        "SMTP_USER": os.environ.get("RAMP_SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("RAMP_SMTP_PASSWORD") or None,
        "SMTP_FROM": os.environ.get("RAMP_SMTP_FROM", "ramp@localhost"),
        # Tries per message, the first wait (doubled after each failure), each try's timeout.
        "NOTIFY_TRIES": int(os.environ.get("RAMP_NOTIFY_TRIES", 5)),
        "NOTIFY_RETRY_BASE_SECONDS": float(os.environ.get("RAMP_NOTIFY_RETRY_BASE_SECONDS", 60)),
        "NOTIFY_TIMEOUT_SECONDS": float(os.environ.get("RAMP_NOTIFY_TIMEOUT_SECONDS", 10)),
        # A sign-off waiting this many days is notified (daily run).
        "NOTIFY_SIGNOFF_DAYS": int(os.environ.get("RAMP_NOTIFY_SIGNOFF_DAYS", 3)),
        # The language of messages posted to team channels.
        "NOTIFY_CHANNEL_LOCALE": os.environ.get("RAMP_NOTIFY_CHANNEL_LOCALE", "en"),
        # The hour (UTC) from which the scheduled job (Redis) runs the daily digests.
        "NOTIFY_DIGEST_HOUR": int(os.environ.get("RAMP_NOTIFY_DIGEST_HOUR", 7)),
        # Send in the background queue right after a commit that queued messages.
        "NOTIFY_SEND_AFTER_COMMIT": os.environ.get("RAMP_NOTIFY_SEND_AFTER_COMMIT", "1") == "1",
        # Webhooks must be https and on public addresses (outside development and tests).
        "NOTIFY_ALLOW_HTTP": os.environ.get("RAMP_NOTIFY_ALLOW_HTTP", "0") == "1",
        "NOTIFY_ALLOW_PRIVATE_URLS": os.environ.get("RAMP_NOTIFY_ALLOW_PRIVATE_URLS", "0") == "1",
        "MAX_CONTENT_LENGTH": int(os.environ.get("RAMP_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)),
    }
