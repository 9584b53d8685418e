"""Reads arriving together share one commit of their records, yet none is answered before its
record is committed, and a read whose record cannot be committed sends no data."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from exchange.audit.models import AuditRecord
from exchange.audit.verify import verify_chain
from exchange_api.app import create_app
from policies import read_records
from policies.models import DataUsage
from policies.read_records import ReadRecorder
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import PURPOSE, publish_with_data, rows_url
from tests.scenarios.people import bearer

READS = 40


@asynccontextmanager
async def _consumer_client(world: CatalogWorld) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The API running in this process, and a client signed in as the consumer."""
    app = create_app(world.platform)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://exchange",
            headers=bearer(world, "consumer"),
        ) as client,
    ):
        yield app, client


async def _read_together(world: CatalogWorld, code: str, reads: int) -> list[httpx.Response]:
    async with _consumer_client(world) as (_, client):
        params = {**PURPOSE, "columns": "uscc,enterprise_name", "limit": "5"}
        return await asyncio.gather(
            *(client.get(rows_url(code), params=params) for _ in range(reads))
        )


def test_concurrent_reads_share_commits_and_each_is_recorded(
    world: CatalogWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = publish_with_data(world)
    batches: list[int] = []
    commit = ReadRecorder._commit

    def counting_commit(self: ReadRecorder, records: list[read_records.ReadRecord]) -> None:
        batches.append(len(records))
        commit(self, records)

    monkeypatch.setattr(ReadRecorder, "_commit", counting_commit)
    responses = asyncio.run(_read_together(world, code, READS))

    assert [r.status_code for r in responses] == [200] * READS
    assert sum(batches) == READS
    assert len(batches) < READS, f"no read shared a commit: {batches}"
    with world.platform.database.transaction() as session:
        usage = session.scalars(select(DataUsage)).all()
        assert len(usage) == READS
        # Written in batches (by COPY on PostgreSQL), each row holds what the read was.
        assert {(tuple(u.items), u.rows, u.mode, u.purpose) for u in usage} == {
            (("uscc", "enterprise_name"), 5, "api_query", PURPOSE["purpose"])
        }
        assert all(u.at.tzinfo is not None and u.snapshot_id for u in usage)
        reads = select(func.count()).where(AuditRecord.action == "data.api_query")
        assert session.scalar(reads) == READS
        assert verify_chain(session.connection()).ok


# The database itself refuses the audit records of reads (a trigger), so the refusal comes late
# in the commit: after the usage rows were inserted and a chain was locked in the same transaction.
_REFUSE_READ_RECORDS = {
    "postgresql": [
        """CREATE FUNCTION refuse_read_record() RETURNS trigger LANGUAGE plpgsql
           AS $$ BEGIN RAISE EXCEPTION 'the database refused the write'; END $$""",
        """CREATE TRIGGER refuse_read_record BEFORE INSERT ON audit_records FOR EACH ROW
           WHEN (NEW.action LIKE 'data.%') EXECUTE FUNCTION refuse_read_record()""",
    ],
    "sqlite": [
        """CREATE TRIGGER refuse_read_record BEFORE INSERT ON audit_records
           WHEN NEW.action LIKE 'data.%'
           BEGIN SELECT RAISE(ABORT, 'the database refused the write'); END""",
    ],
}
_ALLOW_READ_RECORDS = {
    "postgresql": "DROP TRIGGER refuse_read_record ON audit_records",
    "sqlite": "DROP TRIGGER refuse_read_record",
}


def test_r16_a_read_whose_record_the_database_refuses_sends_no_data(world: CatalogWorld) -> None:
    """No data leaves without its record: reads whose records the database refuses are answered
    500 with no rows, and leave neither a usage row nor an audit record; once the database takes
    records again, the same writer records the next reads."""
    code = publish_with_data(world)
    database = world.platform.database
    params = {**PURPOSE, "columns": "uscc,enterprise_name", "limit": "5"}

    def run(statements: list[str]) -> None:
        with database.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))

    async def read_refused_then_allowed() -> tuple[list[httpx.Response], int]:
        async with _consumer_client(world) as (_, client):
            run(_REFUSE_READ_RECORDS[database.dialect])
            refused = await asyncio.gather(
                *(client.get(rows_url(code), params=params) for _ in range(3))
            )
            run([_ALLOW_READ_RECORDS[database.dialect]])
            allowed = await client.get(rows_url(code), params=params)
            return refused, allowed.status_code

    refused, allowed = asyncio.run(read_refused_then_allowed())
    assert [r.status_code for r in refused] == [500] * 3
    assert all("rows" not in r.json() and "uscc" not in r.text for r in refused)
    assert allowed == 200
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DataUsage)) == 1
        reads = select(func.count()).where(AuditRecord.action == "data.api_query")
        assert session.scalar(reads) == 1
        assert verify_chain(session.connection()).ok


def test_r16_a_writer_connection_closed_while_idle_fails_no_read(world: CatalogWorld) -> None:
    """The writer keeps its connection between commits; one the server closed while it was idle
    (a restart, an idle timeout) is not trusted again, so the next reads are recorded all the
    same rather than failed."""
    if world.platform.database.dialect != "postgresql":
        pytest.skip("on SQLite each commit takes its connection anew")
    code = publish_with_data(world)
    params = {**PURPOSE, "columns": "uscc", "limit": "1"}

    async def read_around_a_closed_connection() -> list[int]:
        async with _consumer_client(world) as (app, client):
            app.state.read_recorder.recheck_after_idle = 0.2
            first = await client.get(rows_url(code), params=params)
            writer = app.state.read_recorder._writer_connection.connection.driver_connection
            with world.platform.database.engine.connect() as connection:
                closed = connection.scalar(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": writer.info.backend_pid}
                )
            assert closed, "the writer's connection was open"
            await asyncio.sleep(0.3)
            second = await client.get(rows_url(code), params=params)
            return [first.status_code, second.status_code]

    assert asyncio.run(read_around_a_closed_connection()) == [200, 200]
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DataUsage)) == 2


def test_r21_reads_recorded_while_every_chain_is_busy_wait_for_one(world: CatalogWorld) -> None:
    """The writer locks any free chain head; when another transaction holds every head, the
    reads' records queue behind one of them and are appended once it commits."""
    if world.platform.database.dialect != "postgresql":
        pytest.skip("SQLite has one chain, taken by the database's write lock")
    code = publish_with_data(world)
    params = {**PURPOSE, "columns": "uscc", "limit": "1"}

    async def read_while_every_head_is_held() -> tuple[list[int], float]:
        async with _consumer_client(world) as (_, client):
            await client.get(rows_url(code), params=params)  # whatever a first read sets up
            with world.platform.database.engine.connect() as holder:
                heads = holder.execute(text("SELECT id FROM audit_chain_heads FOR UPDATE"))
                assert len(heads.all()) > 1
                release = threading.Timer(0.5, holder.rollback)
                release.start()
                began = time.monotonic()
                responses = await asyncio.gather(
                    *(client.get(rows_url(code), params=params) for _ in range(3))
                )
                waited = time.monotonic() - began
                release.join()
        return [r.status_code for r in responses], waited

    statuses, waited = asyncio.run(read_while_every_head_is_held())
    assert statuses == [200] * 3
    assert waited >= 0.5, "records were appended while every chain head was locked"
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DataUsage)) == 4
        assert verify_chain(session.connection()).ok


def test_r16_under_load_a_commit_gathers_the_reads_being_answered(world: CatalogWorld) -> None:
    """A read after a quiet spell is committed at once; a commit right after another first waits
    a moment for the reads being answered, so that they share it (shown here with the moment made
    long enough to tell apart)."""
    if world.platform.database.dialect != "postgresql":
        pytest.skip("on SQLite each event loop commits its own queue, with no writer thread")
    code = publish_with_data(world)
    params = {**PURPOSE, "columns": "uscc", "limit": "1"}

    async def timed_reads() -> tuple[float, float, list[int]]:
        async with _consumer_client(world) as (app, client):
            await client.get(rows_url(code), params=params)  # whatever a first read sets up
            recorder: ReadRecorder = app.state.read_recorder
            recorder.busy_within, recorder.gather_for = 0.3, 0.6
            await asyncio.sleep(0.4)
            began = time.monotonic()
            alone = await client.get(rows_url(code), params=params)
            quiet = time.monotonic() - began
            began = time.monotonic()
            together = await asyncio.gather(
                *(client.get(rows_url(code), params=params) for _ in range(3))
            )
            busy = time.monotonic() - began
            return quiet, busy, [alone.status_code, *(r.status_code for r in together)]

    quiet, busy, statuses = asyncio.run(timed_reads())
    assert statuses == [200] * 4
    assert quiet < 0.3, "a read after a quiet spell waited to gather others"
    assert busy >= 0.6, "a commit right after another did not wait for the reads being answered"
    with world.platform.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DataUsage)) == 5
