"""Domain errors. Each says what was wrong and what to do; the API maps each kind to a status."""

from typing import Any


class DomainError(Exception):
    """Base class; ``code`` is a stable machine-readable identifier. ``audited`` is set by code
    that recorded the refusal itself, so the API does not record it twice."""

    code = "error"
    audited = False

    def __init__(self, message: str, *, detail: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if code is not None:
            self.code = code


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


def not_found(found: object, message: str) -> NotFound:
    """The 404 for a lookup that missed or is not the caller's to see: the same answer either way,
    but ``Hidden`` (recorded as a refusal) when ``found`` exists."""
    return NotFound(message) if found is None else Hidden(message)


def is_refusal(error: Exception) -> bool:
    """Refusals are on the record (R16) at every entry point; other errors (bad input, conflicts)
    are the caller's to fix."""
    return (
        isinstance(error, PermissionDenied | AuthenticationFailed | TooManyAttempts | Hidden)
        and error.code != "sign_in"  # the portal's redirect to its sign-in page
    )
