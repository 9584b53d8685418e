"""The warehouse's root keys (R21): they wrap each resource's data key, never touch data.

The default key management is a local key file (owner-readable only) holding numbered AES-256
root keys, the newest of which wraps new keys. Rotation adds a root key and re-wraps the resource
keys with it (exchange.store_encryption.rotate): the data files, whose own keys are wrapped by the
resource keys, are not rewritten. A KMS takes the file's place by implementing :class:`RootKeys`.
"""

import base64
import binascii
import json
import os
import secrets
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from exchange.errors import DomainError
from exchange.settings import Settings


class KeyUnavailable(DomainError):
    code = "key_unavailable"


class RootKeys(Protocol):
    @property
    def identity(self) -> str:
        """Names this key set in the master key identifiers written into data files."""

    def wrap(self, key: bytes, context: str) -> str: ...

    def unwrap(self, wrapped: str, context: str) -> bytes: ...

    def rotate(self) -> int:
        """Add a root key that wraps from now on; return its number."""


@dataclass
class KeyFile:
    """Root keys in a JSON file: ``{"identity": …, "current": n, "keys": {"n": base64}}``."""

    path: Path

    @property
    def identity(self) -> str:
        return str(self._load()["identity"])

    def wrap(self, key: bytes, context: str) -> str:
        content = self._load()
        number = str(content["current"])
        nonce = os.urandom(12)
        sealed = AESGCM(_root(content, number)).encrypt(nonce, key, context.encode("utf-8"))
        return f"{number}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def unwrap(self, wrapped: str, context: str) -> bytes:
        number, _, text = wrapped.partition(":")
        raw = base64.b64decode(text)
        try:
            return AESGCM(_root(self._load(), number)).decrypt(
                raw[:12], raw[12:], context.encode("utf-8")
            )
        except InvalidTag as error:
            raise KeyUnavailable(
                "a warehouse key does not match the key file: was the key file replaced?"
            ) from error

    def rotate(self) -> int:
        content = self._load()
        number = max(int(n) for n in content["keys"]) + 1
        content["keys"][str(number)] = _new_root()
        content["current"] = number
        _write(self.path, content, replace=True)
        return number

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            content = {"identity": secrets.token_hex(8), "current": 1, "keys": {"1": _new_root()}}
            with suppress(FileExistsError):  # another process created it first: use theirs
                _write(self.path, content, replace=False)
        loaded: dict[str, Any] = json.loads(self.path.read_text("utf-8"))
        return loaded


def _new_root() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _root(content: dict[str, Any], number: str) -> bytes:
    keys = content["keys"]
    assert isinstance(keys, dict)
    if number not in keys:
        raise KeyUnavailable("root key {number} is not in the key file", number=number)
    try:
        return base64.b64decode(keys[number], validate=True)
    except binascii.Error as error:
        raise KeyUnavailable(
            "root key {number} in the key file is damaged", number=number
        ) from error


def _write(path: Path, content: dict[str, Any], *, replace: bool) -> None:
    """Write the key file readable by its owner only; a replacement is written beside it and
    renamed over it, so that a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_suffix(".new") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    descriptor = os.open(target, flags, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(content, handle)
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(target, path)


def root_keys(settings: Settings) -> RootKeys:
    return _key_file(settings.resolved_warehouse_key_file.resolve())


@cache
def _key_file(path: Path) -> KeyFile:
    return KeyFile(path)
