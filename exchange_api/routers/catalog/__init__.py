"""The catalog over HTTP, by concern: entries and their review, the bureau's governance, import
and export. One router for the app to include."""

from fastapi import APIRouter

from exchange_api.routers.catalog import entries, governance, transfer

router = APIRouter()
for part in (entries, governance, transfer):
    router.include_router(part.router)
