from datetime import datetime

from sqlalchemy import BigInteger, Sequence, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base

GENESIS_HASH = "0" * 64
# Independent hash chains that concurrent writers append to, so that one transaction's commit
# does not wait for another's. Each chain is verified on its own; together they hold every record.
AUDIT_CHAINS = 8
AUDIT_SEQ = Sequence("audit_seq")


class AuditRecord(Base):
    """One audited event.

    ``seq`` orders all records; ``chain``/``chain_pos`` place it in its hash chain, and ``hash``
    covers its content and the hash of the record before it in that chain.
    """

    __tablename__ = "audit_records"
    __table_args__ = (UniqueConstraint("chain", "chain_pos"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chain: Mapped[int] = mapped_column(SmallInteger)
    chain_pos: Mapped[int] = mapped_column(BigInteger)
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
    """One row per chain: it serialises appends to that chain and remembers both its ends.

    ``anchor_pos``/``anchor_hash`` name the last record removed by a retention purge (0 and the
    genesis hash before any purge), so that the first remaining record can still be checked.
    """

    __tablename__ = "audit_chain_heads"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    last_pos: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    anchor_pos: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))


class RefusalCount(Base):
    """Anonymous refusals from one client address in one hour: the first is recorded in the audit
    log, the rest only counted here and recorded as one summary when the hour is over, so a flood
    of unauthenticated requests cannot fill the 15-year log."""

    __tablename__ = "audit_refusal_counts"

    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    repeats: Mapped[int]
    last_path: Mapped[str] = mapped_column(String(200))
