"""R21, R22: the route class that answers the data API's reads solves only what it can check
itself, and is refused at start-up for any endpoint with an input it would skip."""

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Query, Request
from fastapi.testclient import TestClient
from starlette.responses import Response

from exchange_api.deps import CurrentPrincipal, get_platform
from exchange_api.lean_route import LeanRoute


async def takes_a_query(request: Request, limit: Annotated[int, Query()]) -> Response:
    return Response()


async def takes_the_platform(platform: Annotated[object, Depends(get_platform)]) -> Response:
    return Response()


def is_not_async(actor: CurrentPrincipal) -> Response:
    return Response()


async def takes_a_number_in_the_path(year: int, actor: CurrentPrincipal) -> Response:
    return Response()


@pytest.mark.parametrize(
    ("endpoint", "named"),
    [
        (takes_a_query, "query parameter limit"),
        (takes_the_platform, "dependency"),
        (is_not_async, "not async"),
        (takes_a_number_in_the_path, "path parameter year"),
    ],
)
def test_r21_a_lean_route_refuses_an_endpoint_whose_inputs_it_would_skip(
    endpoint: object, named: str
) -> None:
    router = APIRouter()
    with pytest.raises(TypeError, match=named):
        router.add_api_route("/x/{year}", endpoint, route_class_override=LeanRoute)  # type: ignore[arg-type]


def test_r22_the_read_route_is_lean_and_still_documented(client: TestClient) -> None:
    path = "/api/v1/data/{classification}/{sequence}/rows"
    route = next(r for r in client.app.routes if getattr(r, "path", None) == path)  # type: ignore[attr-defined]
    assert isinstance(route, LeanRoute)
    documented = client.get("/openapi.json").json()["paths"][path]["get"]
    assert {p["name"] for p in documented["parameters"]} >= {"purpose", "filter", "format"}
    assert documented["security"] == [{"HTTPBearer": []}]
    refused = client.get("/api/v1/data/202/000001/rows", params={"purpose": "核验"})
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
