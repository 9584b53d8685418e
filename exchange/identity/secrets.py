"""Password hashing (argon2) and bearer-token secrets (random, stored only as SHA-256)."""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "exg_"  # noqa: S105 (a marker, not a secret)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token_secret() -> str:
    # 32 random bytes: guessing is hopeless, so a fast unsalted hash is the right lookup key.
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
