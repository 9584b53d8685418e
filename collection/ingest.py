"""One ingestion run: extract → conform to the catalog → one atomic snapshot → run and audit records.

A run is identified by its key (the Airflow run id, or one the caller gives): running the same key
again writes nothing new. Drift fails the run, keeps the previous snapshot current and opens the
provider's R7 catalog-update task. Rows that cannot be stored are set aside as the provider's
findings (R19); beyond the threshold they fail the run and nothing is written.
"""

from collections.abc import Iterator

import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import published_version
from catalog.models import Resource
from catalog.tasks import open_update_task
from collection.confinement import SourceRefused
from collection.conform import Conformed, conform, content_hash
from collection.extract import ExtractError, extract
from collection.freshness import freshness
from collection.models import IngestRun, RejectedRow, Source
from collection.set_aside import report_set_aside
from collection.sources import get_source, reach_of, secret_of
from collection.vocab import Freshness, LoadMode, RunStatus
from exchange import audit
from exchange.audit import Outcome
from exchange.backup.consistency import CommittedSnapshot
from exchange.errors import DomainError
from exchange.i18n import Message
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.store import UnifiedStore
from policies import suspensions

INGESTER = Principal.system("ingest")


class IngestFailed(DomainError):
    code = "ingest_failed"


def is_certificate(classification_code: str, resource_format: str) -> bool:
    """R10: documents and certificates (文书类、证照类) get a per-row content hash."""
    return classification_code.startswith("104") or resource_format == "document"


def ingest(
    platform: Platform, *, source_id: int, run_key: str, store: UnifiedStore | None = None
) -> IngestRun:
    """Run a source once. Several short transactions of its own around the store's I/O: no
    transaction is held while the source is read or the snapshot written."""
    store = store or UnifiedStore(platform.settings)
    run_id, code, done = _start(platform, source_id, run_key)
    if done:
        return _load_run(platform, run_id)
    committed = store.snapshot_for_run(code, run_key)
    if committed is not None:  # an earlier attempt committed, then died before recording it
        return _finish(
            platform, run_id, snapshot_id=committed, conformed=None, digest=None, watermark=None
        )
    with platform.database.transaction() as session:
        source = get_source(session, source_id)
        resource = session.get_one(Resource, source.resource_id)
        version = published_version(session, resource)
        assert version is not None
        items = list(version.items)
        certificate = is_certificate(version.classification_code, version.format)
        reach = reach_of(session, platform.settings, resource)
        kind, config, secret = (
            source.kind,
            dict(source.config),
            secret_of(platform.settings, source),
        )
        watermark = None
        if (
            source.mode == LoadMode.INCREMENTAL
            and source.watermark_column
            and source.last_watermark
        ):
            watermark = (source.watermark_column, source.last_watermark)
        overwrite, threshold, watermark_column = (
            source.mode == LoadMode.FULL,
            source.bad_row_threshold,
            source.watermark_column,
        )
    try:
        data = extract(kind, config, secret, reach=reach, watermark=watermark)
    except (ExtractError, SourceRefused) as error:
        _fail(platform, run_id, error.text)
        raise IngestFailed(error.text, detail={"source": source_id}) from error
    ignore = frozenset({watermark_column}) if watermark_column else frozenset()
    conformed = conform(data, items, row_hash=certificate, ignore=ignore)
    if conformed.drift:
        _drift(platform, run_id, code, conformed)
    if conformed.rejected_share > threshold:
        too_many = Message(
            "{rejected} of {rows} rows do not conform ({share:.1%} > {threshold:.1%}); "
            "nothing was written",
            rejected=len(conformed.rejected), rows=conformed.rows_read,
            share=conformed.rejected_share, threshold=threshold,
        )  # fmt: skip
        _fail(platform, run_id, too_many, rejected=conformed)
        raise IngestFailed(
            too_many, detail={"source": source_id, "rejected": len(conformed.rejected)}
        )
    digest = content_hash(conformed.table)
    snapshot_id = store.write(
        code,
        conformed.table,
        overwrite=overwrite,
        run_key=run_key,
        properties={
            "exchange.source": str(source_id),
            "exchange.rows": str(conformed.table.num_rows),
            "exchange.content-sha256": digest,
        },
    )
    new_watermark = None
    if watermark_column and data.num_rows:
        new_watermark = str(pc.max(data.column(watermark_column)).as_py())
    return _finish(
        platform,
        run_id,
        snapshot_id=snapshot_id,
        conformed=conformed,
        digest=digest,
        watermark=new_watermark,
    )


def _start(platform: Platform, source_id: int, run_key: str) -> tuple[int, str, bool]:
    with platform.database.transaction() as session:
        source = get_source(session, source_id)
        code = session.get_one(Resource, source.resource_id).code
        run = session.scalar(
            select(IngestRun).where(IngestRun.source_id == source_id, IngestRun.run_key == run_key)
        )
        if run is not None and run.status == RunStatus.SUCCEEDED:
            return run.id, code, True
        now = platform.clock.now()
        if run is None:
            run = IngestRun(
                source_id=source_id,
                resource_id=source.resource_id,
                run_key=run_key,
                status=RunStatus.RUNNING,
                started_at=now,
            )
            session.add(run)
        else:  # a retry of a failed attempt
            run.status, run.started_at, run.error, run.drift = RunStatus.RUNNING, now, None, None
        session.flush()
        return run.id, code, False


def _load_run(platform: Platform, run_id: int) -> IngestRun:
    with platform.database.transaction() as session:
        return session.get_one(IngestRun, run_id)


def _store_rejected(
    platform: Platform, session: Session, run: IngestRun, conformed: Conformed
) -> None:
    """Keep the set-aside rows with the run and make them the provider's findings (R19)."""
    session.add_all(
        RejectedRow(
            run_id=run.id,
            row_number=row.line,
            source_file=row.file,
            problems=row.problems,
            data=row.data,
        )
        for row in conformed.rejected
    )
    session.flush()
    env = platform.workflow_environment(session)
    report_set_aside(session, actor=INGESTER, env=env, run=run, rows=conformed.rejected)


def _finish(
    platform: Platform,
    run_id: int,
    *,
    snapshot_id: int,
    conformed: Conformed | None,
    digest: str | None,
    watermark: str | None,
) -> IngestRun:
    now = platform.clock.now()
    with platform.database.transaction() as session:
        run = session.get_one(IngestRun, run_id)
        run.status, run.finished_at, run.snapshot_id = RunStatus.SUCCEEDED, now, snapshot_id
        if conformed is not None:
            run.rows_read, run.rows_written = conformed.rows_read, conformed.table.num_rows
            run.rows_rejected, run.content_hash = len(conformed.rejected), digest
            _store_rejected(platform, session, run, conformed)
        source = session.get_one(Source, run.source_id)
        if watermark is not None:
            source.last_watermark = watermark
        audit.record(
            session,
            at=now,
            actor=INGESTER,
            action="collection.ingest",
            object_type="resource",
            object_id=session.get_one(Resource, run.resource_id).code,
            detail={
                "run": run.run_key,
                "snapshot": snapshot_id,
                "rows": run.rows_written,
                "rejected": run.rows_rejected,
                "sha256": digest,
            },
        )
        _restore_if_fresh(platform, session, run)
        return run


def _restore_if_fresh(platform: Platform, session: Session, run: IngestRun) -> None:
    """R11: the commit that makes a warned or suspended department's data fresh again gives its
    grants back at once, in the same transaction, rather than at the next daily enforcement."""
    department_id = session.get_one(Resource, run.resource_id).provider_department_id
    episode = suspensions.current(session, department_id)
    if episode is None:
        return
    session.flush()  # the freshness below must see this run as finished
    states = freshness(session, now=run.finished_at or platform.clock.now(),
                       provider_department_id=department_id)  # fmt: skip
    if any(state.status == Freshness.LATE for state in states):
        return
    suspensions.end_episode(
        session, episode, env=platform.workflow_environment(session), actor=INGESTER,
        reason=suspensions.FRESH_AGAIN,
    )  # fmt: skip


def _fail(
    platform: Platform,
    run_id: int,
    message: Message,
    *,
    rejected: Conformed | None = None,
    drift: dict[str, object] | None = None,
) -> None:
    now = platform.clock.now()
    with platform.database.transaction() as session:
        run = session.get_one(IngestRun, run_id)
        run.status, run.finished_at, run.drift = RunStatus.FAILED, now, drift
        run.error, run.error_message = message.english, message
        if rejected is not None:
            run.rows_read, run.rows_rejected = rejected.rows_read, len(rejected.rejected)
            _store_rejected(platform, session, run, rejected)
        audit.record(
            session,
            at=now,
            actor=INGESTER,
            action="collection.ingest",
            outcome=Outcome.FAILED,
            object_type="resource",
            object_id=session.get_one(Resource, run.resource_id).code,
            detail={"run": run.run_key, "error": message.english},
        )


def _drift(platform: Platform, run_id: int, code: str, conformed: Conformed) -> None:
    message = Message(
        "schema drift: {drift}; the previous data stays current", drift=conformed.drift.describe()
    )
    _fail(platform, run_id, message, drift=conformed.drift.as_dict())
    with platform.database.transaction() as session:
        open_update_task(
            session,
            actor=INGESTER,
            env=platform.workflow_environment(session),
            code=code,
            description=Message(
                "ingestion found schema drift: {drift}", drift=conformed.drift.describe()
            ),
            origin="detected",
        )
    raise IngestFailed(
        message, detail={"drift": conformed.drift.as_dict()}, error_code="schema_drift"
    )


def committed_snapshots(session: Session) -> Iterator[CommittedSnapshot]:
    """Every snapshot a successful ingest run committed: what a restored store must hold."""
    for code, run_id, snapshot_id in session.execute(
        select(Resource.code, IngestRun.id, IngestRun.snapshot_id)
        .join(IngestRun, IngestRun.resource_id == Resource.id)
        .where(IngestRun.status == RunStatus.SUCCEEDED, IngestRun.snapshot_id.is_not(None))
    ):
        if snapshot_id is not None:  # the query selects none without one; this tells the types
            yield CommittedSnapshot(code, f"ingest run {run_id}", snapshot_id, run_id)


def latest_snapshots(session: Session) -> dict[str, int]:
    """Each resource's snapshot of its latest successful run, by resource code."""
    return {
        entry.code: entry.snapshot_id
        for entry in sorted(committed_snapshots(session), key=lambda e: e.run_id)
    }
