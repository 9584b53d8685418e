from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from exchange_api.deps import DbSession

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/healthz", summary="Liveness and database check")
def healthz(session: DbSession) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name)
