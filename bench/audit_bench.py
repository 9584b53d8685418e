"""Audit log: chained appends against plain inserts, and verification speed."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, insert, select

from bench.harness import Figure, timed
from exchange import audit
from exchange.audit.chain import Entry, append_to_chain, canonical_json
from exchange.audit.models import AuditRecord
from exchange.audit.verify import verify_chain
from exchange.db import Database
from exchange.principal import Principal

ACTOR = Principal(12, "scjg.data_reviewer", 3, "11440300000000030Y", client_address="10.20.30.40")
DETAIL = {"rows": 1250, "items": ["统一社会信用代码", "企业名称", "法定代表人"], "mode": "api"}

_plain = MetaData()
PLAIN = Table(
    "bench_plain_audit",
    _plain,
    Column("id", Integer, primary_key=True),
    Column("at", String(40)),
    Column("actor", String(100)),
    Column("action", String(100)),
    Column("object_id", String(100)),
    Column("purpose", Text),
    Column("detail", Text),
)


def _chained_action(database: Database, i: int) -> None:
    with database.transaction() as session:
        audit.record(
            session,
            at=datetime.now(UTC),
            actor=ACTOR,
            action="data.read",
            object_type="resource",
            object_id=i,
            purpose="企业登记核验",
            detail=DETAIL,
        )


def _plain_action(database: Database, i: int) -> None:
    with database.transaction() as session:
        session.execute(
            insert(PLAIN).values(
                at=datetime.now(UTC).isoformat(),
                actor=ACTOR.username,
                action="data.read",
                object_id=str(i),
                purpose="企业登记核验",
                detail=canonical_json(DETAIL),
            )
        )


def _run(action, database: Database, count: int, writers: int) -> float:  # type: ignore[no-untyped-def]
    if writers == 1:
        return count / timed(lambda: [action(database, i) for i in range(count)])
    with ThreadPoolExecutor(writers) as pool:
        return count / timed(lambda: list(pool.map(lambda i: action(database, i), range(count))))


def bench_appends(database: Database, *, count: int, writers: int) -> Figure:
    _plain.create_all(database.engine)
    _run(_plain_action, database, 50, writers)  # warm up connections
    _run(_chained_action, database, 50, writers)
    plain = _run(_plain_action, database, count, writers)
    chained = _run(_chained_action, database, count, writers)
    cost = plain / chained  # how many times longer a chained action takes
    return Figure(
        name=f"audited actions per second, chained, {writers} writer(s)",
        value=round(chained, 1),
        unit="actions/s",
        target="chain costs at most 2x plain inserts",
        baseline=round(plain, 1),
        baseline_name="plain insert of the same row, one transaction each",
        ratio=round(cost, 2),
        meets_target=cost <= 2.0,
        database=database.dialect,
    )


def fill_chain(database: Database, records: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 10_000
    for offset in range(0, records, batch):
        entries = [
            Entry(
                start + timedelta(seconds=offset + i),
                ACTOR.user_id,
                ACTOR.username,
                ACTOR.department_code,
                "data.read",
                "resource",
                str(offset + i),
                "allowed",
                "企业登记核验",
                None,
                None,
                ACTOR.client_address,
                canonical_json(DETAIL),
            )
            for i in range(min(batch, records - offset))
        ]
        with database.transaction() as session:
            append_to_chain(session, entries)


def bench_verify(database: Database, *, records: int) -> Figure:
    with database.transaction() as session:
        present = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    fill_chain(database, records - present)
    table = AuditRecord.__table__
    with database.engine.connect() as connection:

        def read_only() -> None:
            for _ in connection.execution_options(yield_per=20_000).execute(
                select(table).order_by(table.c.seq)
            ):
                pass

        read_rate = records / timed(read_only)
        report = None

        def verify() -> None:
            nonlocal report
            report = verify_chain(connection)

        verify_rate = records / timed(verify)
    assert report is not None
    assert report.ok, report
    return Figure(
        name="audit verify speed",
        value=round(verify_rate),
        unit="records/s",
        target=">= 100000 records/s",
        baseline=round(read_rate),
        baseline_name="reading the same records without hashing",
        ratio=round(verify_rate / read_rate, 2),
        meets_target=verify_rate >= 100_000,
        database=database.dialect,
    )
