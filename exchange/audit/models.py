from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base

GENESIS_HASH = "0" * 64


class AuditRecord(Base):
    """One audited event. ``seq`` is its place in the chain; ``hash`` covers it and the previous."""

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str | None] = mapped_column(String(18), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str | None] = mapped_column(Text)
    grant_id: Mapped[int | None]
    request_id: Mapped[int | None]
    client_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row that serialises appends and remembers where the chain ends and begins.

    ``anchor_seq``/``anchor_hash`` name the last record removed by a retention purge (0 and the
    genesis hash before any purge), so the first remaining record can still be checked.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))
