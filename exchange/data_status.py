"""What the data API serves of each resource when quality says not to serve the current snapshot.

A blocking validation failure quarantines the current snapshot: readers get the last passing one
(``fallback_snapshot_id``) and are told so. Open quality issues mark a resource *under
verification*. The quality package changes these rows through :func:`status_to_change`, which
announces the change, so every API process's snapshot cache forgets what it kept.
"""

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from exchange.db import Base
from exchange.policy_changes import announce


class DataStatus(Base):
    __tablename__ = "resource_data_status"

    resource_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    quarantined_snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    fallback_snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    open_issues: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


def status_to_change(session: Session, code: str, now: datetime) -> DataStatus:
    """The resource's status row, locked (made when missing), for a change this transaction makes;
    processes serving the resource hear of it when the transaction commits."""
    status = session.get(DataStatus, code, with_for_update=True)
    if status is None:
        status = DataStatus(resource_code=code, open_issues=0, updated_at=now)
        session.add(status)
    status.updated_at = now
    announce(session, "data", 0)
    return status
