"""ASGI middleware: request body limit and one structured log line per request."""

import logging
import time
import uuid
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

from exchange_api.errors import ErrorBody

log = logging.getLogger("exchange.api.access")


async def send_error(send: Send, status: int, error: ErrorBody) -> None:
    """Answer with the platform's error body from below the app (a middleware refusing early)."""
    body = error.model_dump_json().encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """Raised while reading the body; an HTTPException so that body parsers pass it on."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"the request body is larger than {limit} bytes; send less or split it"
        )


class BodySizeLimit:
    """Refuses bodies over ``limit`` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send_error(
            send,
            413,
            ErrorBody(
                code="too_large",
                message=f"the request body is larger than {self.limit} bytes; send less or split it",
                detail={"limit_bytes": self.limit},
            ),
        )


class RequestLog:
    """Logs method, path, status, duration and a request id; echoes the id in ``X-Request-ID``
    and the server's time in ``Server-Timing``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # The server's time to the response's start (the whole of it unless streamed).
                took = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    (b"server-timing", f"app;dur={took:.1f}".encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "client": client[0] if client else None,
                    }
                },
            )


# The portal loads nothing from elsewhere and runs no script: a strict policy costs it nothing.
PORTAL_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
# The offline HTML reports carry their own <style> and nothing else.
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
# FastAPI's interactive documentation loads its actor from a CDN; it is for developers.
DOCUMENTATION = ("/docs", "/redoc")


def offline_report(html: str) -> "HTMLResponse":
    """An offline HTML report, under the policy that lets its own <style> apply."""
    from fastapi.responses import HTMLResponse

    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_POLICY})


class SecurityHeaders:
    """Every response: no sniffing, no framing, no referrer leaving the site; a content-security
    policy on every page except the API documentation's, unless the page set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        documentation = scope["path"].startswith(DOCUMENTATION)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not documentation and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PORTAL_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class HeaderSizeLimit:
    """Refuses requests whose header lines add up to more than ``limit`` bytes with 431, whatever
    server runs the app."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if size > self.limit:
                refusal = ErrorBody(
                    code="headers_too_large",
                    message=f"the request's headers exceed {self.limit} bytes",
                    detail={"limit_bytes": self.limit},
                )
                await send_error(send, 431, refusal)
                return
        await self.app(scope, receive, send)
