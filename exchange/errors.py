"""Domain errors. Each says what was wrong and what to do; the API maps each kind to a status.

The message is an English template with named values (``NotFound("no source {source}",
source=7)``), so that each reader gets it from the message catalogs in their language
(:mod:`exchange.i18n`); ``message`` is the English text, for logs and programs.
"""

from typing import Any

from exchange.i18n import Message


class Explained(Exception):
    """An exception whose message is for people: a :class:`Message` each reader gets in their
    language; ``message`` is its English."""

    def __init__(self, message: str | Message, **params: Any) -> None:
        self.text = message if isinstance(message, Message) else Message(message, **params)
        self.message = self.text.english
        super().__init__(self.message)

    def in_language(self, language: str) -> str:
        return self.text.in_language(language)


class DomainError(Explained):
    """Base class; ``code`` is a stable machine-readable identifier. ``audited`` is set by code
    that recorded the refusal itself, so the API does not record it twice."""

    code = "error"
    audited = False

    def __init__(
        self,
        message: str | Message,
        *,
        detail: Any = None,
        error_code: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, **params)
        self.detail = detail
        if error_code is not None:
            self.code = error_code


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class Hidden(NotFound):
    """Not found, to a caller who may not see it: answered like a missing object whatever the
    verb, so that its existence is not revealed, and recorded as a refusal."""


class PermissionDenied(DomainError):
    code = "forbidden"


class AuthenticationFailed(DomainError):
    code = "unauthenticated"


class Conflict(DomainError):
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class TooManyAttempts(DomainError):
    """Refused for now after repeated failures; ``detail["retry_after"]`` says for how long."""

    code = "too_many_attempts"


def not_found(found: object, message: str, **params: Any) -> NotFound:
    """The 404 for a lookup that missed or is not the caller's to see: the same answer either way,
    but ``Hidden`` (recorded as a refusal) when ``found`` exists."""
    return NotFound(message, **params) if found is None else Hidden(message, **params)


def is_refusal(error: Exception) -> bool:
    """Refusals are on the record (R16) at every entry point; other errors (bad input, conflicts)
    are the caller's to fix."""
    return (
        isinstance(error, PermissionDenied | AuthenticationFailed | TooManyAttempts | Hidden)
        and error.code != "sign_in"  # the portal's redirect to its sign-in page
    )
