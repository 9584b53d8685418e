"""One ingestion run: extract → conform to the catalog → one atomic snapshot → run and audit records.

A run is identified by its key (the Airflow run id, or one the caller gives): running the same key
again writes nothing new. Drift fails the run, keeps the previous snapshot current and opens the
provider's R7 catalog-update task. Rows that cannot be stored are set aside as the provider's
findings (R19); beyond the threshold they fail the run and nothing is written.
"""

from collections.abc import Iterator
from contextlib import closing, contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.entries import published_version
from catalog.models import Resource
from catalog.tasks import open_update_task
from catalog.vocab import Sensitivity
from collection.confinement import SourceRefused
from collection.conform import Drift
from collection.extract import ExtractError, extract_chunks
from collection.freshness import freshness
from collection.models import IngestRun, RejectedRow, Source
from collection.set_aside import report_set_aside
from collection.sources import get_source, reach_of, secret_of
from collection.staging import Staged, staged
from collection.vocab import Freshness, LoadMode, RunStatus
from exchange import audit, fault_points
from exchange.audit import Outcome
from exchange.background_work import beating
from exchange.backup.consistency import CommittedSnapshot
from exchange.errors import DomainError
from exchange.i18n import Message
from exchange.principal import Principal
from exchange.read_ahead import read_ahead
from exchange.runtime import Platform
from exchange.store import UnifiedStore
from exchange.work_owner import this_process
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
    fault_points.reached("ingest.started")
    with heartbeat(platform, run_id):
        return _run(platform, store, source_id, run_key, run_id, code)


@contextmanager
def heartbeat(platform: Platform, run_id: int) -> Iterator[None]:
    """Renew the run's heartbeat every ``heartbeat_seconds`` while the block runs."""

    def beat(session: Session) -> bool:
        run = session.get(IngestRun, run_id)
        if run is None or run.status != RunStatus.RUNNING:
            return False
        run.heartbeat_at = platform.clock.now()
        return True

    with beating(platform.database, platform.settings.heartbeat_seconds, beat,
                 f"heartbeat-run-{run_id}"):  # fmt: skip
        yield


def _run(
    platform: Platform, store: UnifiedStore, source_id: int, run_key: str, run_id: int, code: str
) -> IngestRun:
    committed = store.snapshot_for_run(code, run_key)
    if committed is not None:  # an earlier attempt committed, then died before recording it
        return _finish(platform, run_id, snapshot_id=committed, rows=None, watermark=None)
    with platform.database.transaction() as session:
        source = get_source(session, source_id)
        resource = session.get_one(Resource, source.resource_id)
        version = published_version(session, resource)
        assert version is not None
        items = list(version.items)
        sensitive = frozenset(i.name for i in items if i.sensitivity == Sensitivity.SENSITIVE)
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
    ignore = frozenset({watermark_column}) if watermark_column else frozenset()
    # The next chunk is read while this one is conformed and staged (both mostly free the GIL);
    # closing stops the reading when drift ends the run early.
    chunks = read_ahead(
        extract_chunks(kind, config, secret, reach=reach, watermark=watermark),
        name=f"ingest-read-{run_id}",
    )
    try:
        with closing(chunks), staged(chunks, items, folder=platform.settings.data_dir / "staging",
                    row_hash=certificate, ignore=ignore,
                    watermark_column=watermark_column) as rows:  # fmt: skip
            return _commit(platform, store, run_id, source_id, code, run_key, rows, overwrite,
                           threshold, sensitive)  # fmt: skip
    except (ExtractError, SourceRefused) as error:
        _fail(platform, run_id, error.text)
        raise IngestFailed(error.text, detail={"source": source_id}) from error


def _commit(
    platform: Platform,
    store: UnifiedStore,
    run_id: int,
    source_id: int,
    code: str,
    run_key: str,
    rows: Staged,
    overwrite: bool,
    threshold: float,
    sensitive: frozenset[str],
) -> IngestRun:
    """The staged rows as one snapshot, unless drift or too many bad rows fail the run."""
    if rows.drift:
        _drift(platform, run_id, code, rows.drift)
    if rows.rejected_share > threshold:
        too_many = Message(
            "{rejected} of {rows} rows do not conform ({share:.1%} > {threshold:.1%}); "
            "nothing was written",
            rejected=len(rows.rejected), rows=rows.rows_read,
            share=rows.rejected_share, threshold=threshold,
        )  # fmt: skip
        _fail(platform, run_id, too_many, rejected=rows)
        raise IngestFailed(too_many, detail={"source": source_id, "rejected": len(rows.rejected)})
    snapshot_id = store.write(
        code,
        rows.reader(),
        overwrite=overwrite,
        run_key=run_key,
        properties={
            "exchange.source": str(source_id),
            "exchange.rows": str(rows.rows_written),
            "exchange.content-sha256": rows.digest,
        },
        sensitive=sensitive,
    )
    fault_points.reached("ingest.committed")  # the snapshot is in, its run not yet recorded
    watermark = None if rows.watermark is None else str(rows.watermark)
    run = _finish(platform, run_id, snapshot_id=snapshot_id, rows=rows, watermark=watermark)
    fault_points.reached("ingest.recorded")
    return run


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
        else:  # a retry of a failed or abandoned attempt
            run.status, run.started_at, run.error, run.drift = RunStatus.RUNNING, now, None, None
            run.error_message, run.finished_at = None, None
        run.owner, run.heartbeat_at = this_process(), now
        session.flush()
        return run.id, code, False


def _load_run(platform: Platform, run_id: int) -> IngestRun:
    with platform.database.transaction() as session:
        return session.get_one(IngestRun, run_id)


def _store_rejected(platform: Platform, session: Session, run: IngestRun, rows: Staged) -> None:
    """Keep the set-aside rows with the run and make them the provider's findings (R19)."""
    session.add_all(
        RejectedRow(
            run_id=run.id,
            row_number=row.line,
            source_file=row.file,
            problems=row.problems,
            data=row.data,
        )
        for row in rows.rejected
    )
    session.flush()
    env = platform.workflow_environment(session)
    report_set_aside(session, actor=INGESTER, env=env, run=run, rows=rows.rejected)


def _finish(
    platform: Platform,
    run_id: int,
    *,
    snapshot_id: int,
    rows: Staged | None,
    watermark: str | None,
) -> IngestRun:
    now = platform.clock.now()
    with platform.database.transaction() as session:
        run = session.get_one(IngestRun, run_id)
        run.status, run.finished_at, run.snapshot_id = RunStatus.SUCCEEDED, now, snapshot_id
        if rows is not None:
            run.rows_read, run.rows_written = rows.rows_read, rows.rows_written
            run.rows_rejected, run.content_hash = len(rows.rejected), rows.digest
            _store_rejected(platform, session, run, rows)
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
                "sha256": run.content_hash if rows is not None else None,
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
    rejected: Staged | None = None,
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


def _drift(platform: Platform, run_id: int, code: str, drift: Drift) -> None:
    message = Message(
        "schema drift: {drift}; the previous data stays current", drift=drift.describe()
    )
    _fail(platform, run_id, message, drift=drift.as_dict())
    with platform.database.transaction() as session:
        open_update_task(
            session,
            actor=INGESTER,
            env=platform.workflow_environment(session),
            code=code,
            description=Message("ingestion found schema drift: {drift}", drift=drift.describe()),
            origin="detected",
        )
    raise IngestFailed(message, detail={"drift": drift.as_dict()}, error_code="schema_drift")


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
