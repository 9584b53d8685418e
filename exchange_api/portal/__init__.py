"""The web portal: server-rendered pages for every role's daily work, in Chinese by default."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from exchange_api.portal.pages import (
    access,
    admin,
    audit,
    auth,
    catalog,
    catalog_batch,
    catalog_import,
    catalog_work,
    cloud,
    dashboard,
    data,
    disputes,
    home,
    new_password,
    projects,
    quality,
    second_step,
    sources,
    stewardship,
    supervision,
    synonyms,
    verification,
)
from exchange_api.portal.web import error_page


def add_portal_routes(app: FastAPI) -> None:
    """The portal's pages and static files."""
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # The catalog's fixed paths (/catalog/new, …) come before the entry pages' patterns.
    for module in (
        auth,
        second_step,
        new_password,
        home,
        catalog_batch,
        catalog_import,
        catalog_work,
        catalog,
        disputes,
        access,
        data,
        verification,
        stewardship,
        quality,
        sources,
        dashboard,
        supervision,
        projects,
        cloud,
        audit,
        admin,
        synonyms,
    ):
        app.include_router(module.router)


def install_portal(app: FastAPI) -> None:
    """What the portal keeps in the application: how errors become pages."""
    app.state.html_error = error_page
