"""R16, R21: the audit log is append-only and tamper-evident, on SQLite and PostgreSQL."""

import io
import multiprocessing
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

import orjson
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import NoResultFound

from exchange import audit
from exchange.audit.models import AuditRecord
from exchange.audit.retention import export_jsonl, purge
from exchange.audit.verify import verify_chain
from exchange.db import Database
from exchange.errors import InvalidInput
from exchange.principal import Principal
from exchange.runtime import Platform
from tests.factories import make_department

ACTOR = Principal(7, "scjg.registrar", 3, "11440300000000030Y", client_address="10.1.2.3")


def write_records(database: Database, count: int, at: datetime) -> None:
    for i in range(count):
        with database.transaction() as session:
            audit.record(
                session,
                at=at + timedelta(seconds=i),
                actor=ACTOR,
                action="catalog.read",
                object_type="resource",
                object_id=i,
                purpose="企业登记核验",
                detail={"rows": i, "items": ["统一社会信用代码", "企业名称"]},
            )


def verify(database: Database):  # type: ignore[no-untyped-def]
    with database.engine.connect() as connection:
        return verify_chain(connection)


def tamper(database: Database, *statements: str) -> None:
    """Act as someone with direct database access, who first removes the append-only trigger."""
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(
                text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update")
            )
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
        for statement in statements:
            connection.execute(text(statement))


NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_r16_records_chain_and_verify(database: Database) -> None:
    write_records(database, 5, NOW)
    report = verify(database)
    assert report.ok, report.message
    assert report.records_checked == 5
    with database.transaction() as session:
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert [(r.chain, r.chain_pos) for r in rows] == [
        (1, p) for p in range(1, 6)
    ]  # one writer, one chain
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    assert rows[0].client_address == "10.1.2.3"
    assert orjson.loads(rows[2].detail) == {"items": ["统一社会信用代码", "企业名称"], "rows": 2}


def test_r21_database_refuses_to_update_an_audit_record(database: Database) -> None:
    write_records(database, 1, NOW)
    with pytest.raises(Exception, match="append-only"), database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET outcome = 'denied'"))


@pytest.mark.parametrize(
    ("statement", "bad_seq", "problem"),
    [
        ("UPDATE audit_records SET purpose = 'other' WHERE seq = 3", 3, "altered"),
        ("UPDATE audit_records SET detail = '[99]' WHERE seq = 2", 2, "altered"),
        ("UPDATE audit_records SET at = at + interval '1 second' WHERE seq = 4", 4, "altered"),
        ("DELETE FROM audit_records WHERE seq = 3", 3, "missing"),
        ("DELETE FROM audit_records WHERE seq = 5", 5, "missing"),
    ],
)
def test_r21_tampering_by_sql_is_detected(
    database: Database, statement: str, bad_seq: int, problem: str
) -> None:
    write_records(database, 5, NOW)
    if database.dialect == "sqlite":
        statement = statement.replace("at + interval '1 second'", "'2030-01-01 00:00:00.000000'")
    tamper(database, statement)
    report = verify(database)
    assert not report.ok
    assert (report.chain, report.position) == (1, bad_seq)
    assert problem in (report.problem or "")


def test_r21_reordering_is_detected(database: Database) -> None:
    write_records(database, 5, NOW)
    # Swap the places of records 2 and 3, hashes included: each still hashes correctly on its own.
    tamper(
        database,
        "UPDATE audit_records SET chain_pos = 1000 WHERE chain_pos = 2",
        "UPDATE audit_records SET chain_pos = 2 WHERE chain_pos = 3",
        "UPDATE audit_records SET chain_pos = 3 WHERE chain_pos = 1000",
    )
    report = verify(database)
    assert not report.ok
    assert report.position == 2
    assert "altered" in (report.problem or "")  # its hash covers its place in the chain


def test_r21_a_rewritten_record_with_a_recomputed_hash_breaks_the_next_link(
    database: Database,
) -> None:
    from exchange.audit.chain import HASHED_COLUMNS, record_hash

    write_records(database, 4, NOW)
    with database.engine.connect() as connection:
        row = connection.execute(
            select(
                *(AuditRecord.__table__.c[c] for c in HASHED_COLUMNS), AuditRecord.prev_hash
            ).where(AuditRecord.seq == 2)
        ).one()
    fields = list(row[:-1])
    fields[HASHED_COLUMNS.index("purpose")] = "forged purpose"
    forged = record_hash(row[-1], 1, 2, 2, tuple(fields))
    tamper(
        database,
        f"UPDATE audit_records SET purpose = 'forged purpose', hash = '{forged}' WHERE seq = 2",
    )
    report = verify(database)
    assert report.position == 3
    assert "does not follow record 2" in (report.problem or "")


def fail_after_auditing(database: Database) -> None:
    with database.transaction() as session:
        audit.record(session, at=NOW, actor=ACTOR, action="x")
        raise RuntimeError("the action failed")


def test_r16_rolled_back_action_leaves_no_record(database: Database) -> None:
    with pytest.raises(RuntimeError):
        fail_after_auditing(database)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditRecord)) == 0
    assert verify(database).ok


def test_r16_fails_closed_when_the_audit_record_cannot_be_written(platform: Platform) -> None:
    database = platform.database
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_chain_heads"))
    with (
        pytest.raises(NoResultFound),
        database.transaction() as session,
    ):
        make_department(session, platform, name="不应保存的部门")
    with database.transaction() as session:
        assert session.scalar(text("SELECT count(*) FROM departments")) == 0


def test_r16_purge_refuses_records_younger_than_15_years(database: Database) -> None:
    write_records(database, 2, NOW)
    with pytest.raises(InvalidInput, match="kept for 15 years"), database.transaction() as session:
        purge(session, before=NOW - timedelta(days=365 * 14), now=NOW, actor=Principal.system("t"))


def test_r16_purge_of_old_records_keeps_the_rest_verifiable(database: Database) -> None:
    old = NOW.replace(year=2010)
    write_records(database, 3, old)
    write_records(database, 2, NOW)
    with database.transaction() as session:
        removed = purge(
            session, before=NOW.replace(year=2011), now=NOW, actor=Principal.system("t")
        )
    assert removed == 3
    report = verify(database)
    assert report.ok, report.message
    assert report.records_checked == 3  # two kept plus the record of the purge itself


def test_r16_export_writes_json_lines_in_the_range(database: Database) -> None:
    write_records(database, 4, NOW)
    out = io.StringIO()
    with database.engine.connect() as connection:
        count = export_jsonl(
            connection, out, start=NOW + timedelta(seconds=1), end=NOW + timedelta(seconds=3)
        )
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert count == 2
    assert [line["seq"] for line in lines] == [2, 3]
    assert lines[0]["detail"]["items"] == ["统一社会信用代码", "企业名称"]
    assert len(lines[0]["hash"]) == 64


def _writer(url: str, worker: int, count: int, ready: Barrier) -> None:
    database = Database(url)
    # Spawned processes take a while to import; on a busy machine the first could finish all its
    # writes before the last starts, and the writers would never meet on a chain head.
    ready.wait(timeout=60)
    for i in range(count):
        with database.transaction() as session:
            audit.record(
                session,
                at=datetime.now(UTC),
                actor=ACTOR,
                action="concurrent",
                object_id=f"{worker}-{i}",
            )
    database.dispose()


@pytest.mark.postgres
def test_r21_chain_stays_valid_under_concurrent_writer_processes(
    postgres_url: str, postgres_database: Database
) -> None:
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(4)
    workers = [context.Process(target=_writer, args=(postgres_url, w, 40, ready)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    report = verify(postgres_database)
    assert report.ok, report.message
    assert report.records_checked == 160
    with postgres_database.engine.connect() as connection:
        chains = connection.execute(
            text("SELECT count(DISTINCT chain) FROM audit_records")
        ).scalar()
        seqs = connection.execute(text("SELECT count(DISTINCT seq) FROM audit_records")).scalar()
    assert chains > 1  # concurrent writers spread over chains instead of queueing on one
    assert seqs == 160
