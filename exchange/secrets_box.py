"""Encrypting source credentials at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from ``EXCHANGE_SECRET_KEY``; without it, a key file is created once in the data
folder (readable by its owner only), which suits the embedded single-machine default.
"""

import hashlib
import hmac
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from exchange.errors import InvalidInput
from exchange.settings import Settings


def _key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode("ascii")
    return _key_file(settings.data_dir.resolve())


@cache
def _key_file(data_dir: Path) -> bytes:
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


def seal(settings: Settings, values: dict[str, Any]) -> str:
    return Fernet(_key(settings)).encrypt(json.dumps(values).encode("utf-8")).decode("ascii")


def unseal(settings: Settings, token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return dict(json.loads(Fernet(_key(settings)).decrypt(token.encode("ascii"))))
    except InvalidToken as error:
        raise InvalidInput(
            "stored credentials cannot be decrypted with the configured secret key"
        ) from error


def signing_key(settings: Settings, purpose: str) -> bytes:
    """A key for HMAC signatures of one ``purpose``, derived from the platform's secret key."""
    return hmac.new(_key(settings), purpose.encode("utf-8"), hashlib.sha256).digest()
