"""What the data API serves of each resource when quality says not to serve the current snapshot.

A blocking validation failure quarantines the current snapshot: readers get the last passing one
(``fallback_snapshot_id``) and are told so. Open quality issues mark a resource *under
verification*. The quality package writes these rows; the snapshot cache reads them with the
current snapshot in one query, so every API process sees a change at once.
"""

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.db import Base


class DataStatus(Base):
    __tablename__ = "resource_data_status"

    resource_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    quarantined_snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    fallback_snapshot_id: Mapped[int | None] = mapped_column(BigInteger)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    open_issues: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
