"""Numbers the platform can hold, checked at the edge for every route (R21).

Identifiers, counts and pages are stored as 64-bit integers. A larger number in a path, a query
or a JSON body would reach the database and fail there as a server error; one check, applied to
every route of the app, turns it into a 422 that names the field, as the schema's own errors do.
"""

import re
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError

LARGEST = 2**63 - 1
INTEGER = re.compile(r"^[+-]?\d+$")


def _too_large(text: str) -> bool:
    # Fewer than 19 characters cannot spell a number beyond 2**63 - 1 (19 digits): most values
    # are answered by their length, without the pattern.
    return len(text) >= 19 and bool(INTEGER.match(text)) and abs(int(text)) > LARGEST


def _in_body(value: Any, where: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int) and abs(value) > LARGEST:
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _in_body(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_body(item, (*where, index))


async def numbers_in_range(request: Request) -> None:
    """Refuse integers beyond 64 bits anywhere in the request, naming where they are."""
    found: list[tuple[str | int, ...]] = [
        ("path", name) for name, value in request.path_params.items() if _too_large(str(value))
    ]
    found += [
        ("query", name) for name, value in request.query_params.multi_items() if _too_large(value)
    ]
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()  # already read by FastAPI for the route: no second read
        try:
            document = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            document = None  # the route's own validation says what is wrong with it
        found += list(_in_body(document, ("body",)))
    if found:
        raise RequestValidationError(
            [
                {
                    "loc": where,
                    "msg": f"Number out of range: at most {LARGEST} in size",
                    "type": "value_out_of_range",
                }
                for where in found
            ]
        )
