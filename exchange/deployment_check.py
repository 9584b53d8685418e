"""What a production deployment must not run with: the embedded defaults that suit one laptop.

``EXCHANGE_PRODUCTION=true`` turns these findings into a refusal to start (``exchange
check-config``, run by the container entry point before the API and the migrations). Outside
production they are only shown, since the quick start relies on exactly these defaults.
"""

from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from exchange.demo import DEMO_PASSWORD
from exchange.settings import Settings

# Passwords that ship in examples and images; a deployment that still uses one is not secured.
WELL_KNOWN_PASSWORDS = frozenset(
    {
        "admin",
        "airflow",
        "changeme",
        "minio123",
        "minioadmin",
        "password",
        "postgres",
        "secret",
        "test",
        DEMO_PASSWORD,
    }
)


def _weak(password: str | None) -> bool:
    return not password or password.lower() in WELL_KNOWN_PASSWORDS or len(password) < 12


# libpq's modes that encrypt the connection; "prefer" and "allow" fall back to plain text.
TLS_MODES = frozenset({"require", "verify-ca", "verify-full"})


def _plain_connections(settings: Settings) -> list[str]:
    """R21: with EXCHANGE_REQUIRE_TLS, each connection to the database or object storage that
    could travel in clear."""
    found = []
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "postgresql" and url.query.get("sslmode") not in TLS_MODES:
        found.append(
            "EXCHANGE_DATABASE_URL: EXCHANGE_REQUIRE_TLS is set, so the URL needs "
            "sslmode=require, verify-ca or verify-full"
        )
    if settings.s3_endpoint and not settings.s3_endpoint.startswith("https://"):
        found.append(
            "EXCHANGE_S3_ENDPOINT: EXCHANGE_REQUIRE_TLS is set, so object storage is reached "
            "over https://"
        )
    return found


def findings(settings: Settings) -> list[str]:
    """Each setting a production deployment must change, with why; empty when none."""
    found: list[str] = []
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        found.append(
            "EXCHANGE_DATABASE_URL: SQLite serves one process on one machine; "
            "a deployment with several replicas needs PostgreSQL"
        )
    elif _weak(url.password):
        found.append(
            "EXCHANGE_DATABASE_URL: the database password is missing, well known or "
            "shorter than 12 characters"
        )
    if not settings.secret_key:
        found.append(
            "EXCHANGE_SECRET_KEY: not set, so each machine would make its own key file and "
            "replicas could not read each other's stored source credentials"
        )
    else:
        try:
            Fernet(settings.secret_key.encode("ascii"))
        except ValueError:
            found.append("EXCHANGE_SECRET_KEY: not a Fernet key (32 url-safe base64-encoded bytes)")
    if (settings.warehouse_uri or "").startswith("s3://") and (
        not settings.s3_access_key_id or _weak(settings.s3_secret_access_key)
    ):
        found.append(
            "EXCHANGE_S3_SECRET_ACCESS_KEY: the object storage key is missing, well known or "
            "shorter than 12 characters"
        )
    if settings.smtp_username and _weak(settings.smtp_password):
        found.append("EXCHANGE_SMTP_PASSWORD: missing, well known or shorter than 12 characters")
    if settings.require_tls:
        found += _plain_connections(settings)
    if urlsplit(settings.public_base_url).hostname in {"127.0.0.1", "localhost", None}:
        found.append(
            "EXCHANGE_PUBLIC_BASE_URL: still the local address; set the address people and "
            "harvesters reach the platform at"
        )
    return found
