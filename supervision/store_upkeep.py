"""The warehouse's scheduled upkeep: snapshots past their retention expired, orphan files
removed (exchange.store_maintenance), each table's removals audited with what they removed.

A snapshot is kept while anything still points to it: the reads under a grant that is still in
force (its holder may come back to the same data), a quality finding or validation, a
cross-department comparison, or a quarantine's fallback; and the current snapshot always.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.data_status import DataStatus
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.store import NAMESPACE, UnifiedStore, resource_code_of
from exchange.store_maintenance import expire_snapshots, remove_orphan_files
from policies.models import DataUsage, Grant
from quality.models import ComparisonRun, QualityIssue, ValidationRun

UPKEEP = Principal.system("store-upkeep")


@dataclass
class UpkeepReport:
    expired: dict[str, list[int]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)


def pointed_to(session: Session, platform: Platform) -> set[int]:
    """Every snapshot something on the platform still points to."""
    now = platform.clock.now()
    in_force = select(Grant.id).where(
        Grant.revoked_at.is_(None), or_(Grant.valid_to.is_(None), Grant.valid_to > now)
    )
    columns = (
        select(DataUsage.snapshot_id).where(DataUsage.grant_id.in_(in_force)),
        select(QualityIssue.snapshot_id),
        select(ValidationRun.snapshot_id),
        select(ComparisonRun.left_snapshot_id),
        select(ComparisonRun.right_snapshot_id),
        select(DataStatus.quarantined_snapshot_id),
        select(DataStatus.fallback_snapshot_id),
    )
    return {int(value) for query in columns for value in session.scalars(query) if value}


def keep_store_tidy(platform: Platform, store: UnifiedStore | None = None) -> UpkeepReport:
    """Expire snapshots older than ``snapshot_retention_days`` that nothing points to, then remove
    the files no snapshot references that are older than ``orphan_file_hours``."""
    store = store or UnifiedStore(platform.settings)
    settings, now = platform.settings, platform.clock.now()
    with platform.database.transaction() as session:
        keep = pointed_to(session, platform)
    report = UpkeepReport()
    for _namespace, name in store.catalog.list_tables(NAMESPACE):
        code = resource_code_of(name)
        expired = expire_snapshots(store, code, keep=keep,
                                   before=now - timedelta(days=settings.snapshot_retention_days))  # fmt: skip
        removed = remove_orphan_files(store, code,
                                      before=now - timedelta(hours=settings.orphan_file_hours))  # fmt: skip
        if not (expired or removed):
            continue
        report.expired[code], report.removed[code] = expired, removed
        with platform.database.transaction() as session:
            audit.record(session, at=now, actor=UPKEEP, action="store.upkeep",
                         object_type="resource", object_id=code,
                         detail={"expired_snapshots": expired, "removed_files": removed})  # fmt: skip
    return report
