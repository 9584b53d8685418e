"""One error body for every failure: ``{"code", "message", "detail"}``.

Refusals (401, 403) are audited here, once, whatever raised them.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from exchange.audit import refusals
from exchange.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    is_refusal,
)
from exchange.principal import Principal
from exchange.runtime import Platform

log = logging.getLogger("exchange.api")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 400,
    TooManyAttempts: 429,
}


class ErrorBody(BaseModel):
    code: str = Field(
        description="Stable machine-readable error code.", examples=["illegal_transition"]
    )
    message: str = Field(description="What was wrong and what to do, for people.")
    detail: Any = Field(None, description="Specifics: the field, the rule, the allowed actions…")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Invalid input",
        401: "Missing, wrong, expired or revoked token",
        403: "Not allowed for this caller",
        404: "Not found",
        409: "Conflicts with the current state",
        413: "Request body too large",
        422: "Request does not match the schema",
        429: "Too many failed attempts: wait the seconds in Retry-After",
    }.items()
}


def documented_as(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose success is a file or a page: errors stay JSON."""
    return {200: {"description": "The document", "content": {t: {} for t in media_types}}}


def error_response(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429 and isinstance(detail, dict) and "retry_after" in detail:
        headers = {"Retry-After": str(detail["retry_after"])}
    body = ErrorBody(code=code, message=message, detail=detail).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=headers)


def _status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[kind]
    return 400


def for_people(request: Request) -> bool:
    """Whether the request came from the web portal (answered with a page, not JSON)."""
    path = request.url.path
    return (
        not path.startswith(API_PATHS)
        and getattr(request.app.state, "html_error", None) is not None
    )


API_PATHS = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz")


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    status = _status_for(error)
    if is_refusal(error) and not error.audited:  # only a refusal costs a database write
        await run_in_threadpool(record_refusal, request, error)
    if for_people(request):
        return request.app.state.html_error(request, status, error, error.message)  # type: ignore[no-any-return]
    message = error.in_language(api_language(request))
    return error_response(status, error.code, message, error.detail)


def api_language(request: Request) -> str:
    """The API speaks English unless the caller asks for Chinese (``Accept-Language: zh``): its
    readers are mostly the integrators of other systems; codes are the same in both."""
    for tag in request.headers.get("accept-language", "").split(","):
        primary = tag.split(";")[0].strip().lower()
        if primary.startswith("zh"):
            return "zh"
        if primary.startswith("en"):
            return "en"
    return "en"


def record_refusal(request: Request, error: Exception) -> None:
    """Record ``error`` in the audit log if it is a refusal not recorded yet: the API's handler and
    every portal page that shows a refusal inline call this, so no entry point refuses unrecorded."""
    if not is_refusal(error) or not isinstance(error, DomainError) or error.audited:
        return
    platform: Platform = request.app.state.platform
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        address = request.client.host if request.client else None
        principal = Principal(None, "anonymous", None, None, client_address=address)
    route = request.scope.get("route")
    refusals.record_refusal(
        platform.database,
        at=platform.clock.now(),
        actor=principal,
        action=f"{request.method} {getattr(route, 'path', request.url.path)}",
        path=request.url.path,
        purpose=request.query_params.get("purpose") or None,
        detail={
            "message": error.message,
            **(error.detail if isinstance(error.detail, dict) else {}),
        },
    )
    error.audited = True


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"], "type": e["type"]}
        for e in error.errors()
    ]
    return error_response(
        422, "validation_failed", "the request does not match the expected shape", problems
    )


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if for_people(request):
        return request.app.state.html_error(request, error.status_code, None, str(error.detail))  # type: ignore[no-any-return]
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    return error_response(
        error.status_code, codes.get(error.status_code, "http_error"), str(error.detail)
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, "internal_error", "something went wrong on the platform; nothing was saved"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
