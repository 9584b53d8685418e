"""The data API: what the decision point allows is served, everything else is refused by name,
every read is recorded, and a grant's expiry or revocation takes effect at once."""

import io
from datetime import timedelta

import orjson
import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from policies import data_reads, grants
from policies.models import DataUsage
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.data import (
    PURPOSE,
    approved_grant,
    hold_nothing,
    publish_with_data,
    rows_url,
    write,
)
from tests.scenarios.people import bearer


def test_r13_unconditional_items_are_read_directly_and_recorded(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    response = client.get(rows_url(code), params=PURPOSE, headers=consumer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["basis"] == "unconditional"
    assert body["items"] == ["uscc", "enterprise_name", "registered_capital", "district"]
    assert body["row_count"] == 30
    assert len(body["rows"]) == 30
    assert response.headers["X-Access-Basis"] == "unconditional"
    with world.platform.database.transaction() as session:
        used = session.scalars(select(DataUsage)).one()
        assert (used.rows, used.basis, used.purpose) == (30, "unconditional", "核验企业登记信息")
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "data.api_query")
        ).one()
        assert record.purpose == "核验企业登记信息"
        assert record.object_id == code

    no_purpose = client.get(rows_url(code), headers=consumer)
    assert no_purpose.status_code == 422


def test_r14_conditional_and_not_shared_items_are_refused_by_name(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    refused = client.get(
        rows_url(code), params={**PURPOSE, "columns": "uscc,phone"}, headers=consumer
    )
    assert refused.status_code == 403
    assert refused.json()["detail"]["not_granted"] == ["phone"]
    assert "phone" in refused.json()["message"]

    approved_grant(world, code)
    secret = client.get(
        rows_url(code), params={**PURPOSE, "columns": "uscc,id_number"}, headers=consumer
    )
    assert secret.status_code == 403
    assert secret.json()["detail"]["not_granted"] == ["id_number"]
    unknown = client.get(rows_url(code), params={**PURPOSE, "columns": "salary"}, headers=consumer)
    assert unknown.status_code == 400
    assert "salary" in unknown.json()["message"]

    # The owner reads everything, not-shared items included; the bureau's statute opens them (R4).
    owner = client.get(
        rows_url(code),
        params={**PURPOSE, "columns": "id_number"},
        headers=bearer(world, "data_reviewer"),
    )
    assert owner.status_code == 200
    assert owner.json()["basis"] == "owner"
    with world.platform.database.transaction() as session:
        grants.statutory_grant(
            session,
            actor=world.actor("admin"),
            now=world.platform.clock.now(),
            code=code,
            consumer_code=world.consumer_department.code,
            items=["id_number"],
            citation="《社会保险法》第五十八条",
            purpose="参保登记核验",
        )
    statutory = client.get(
        rows_url(code), params={**PURPOSE, "columns": "uscc,id_number"}, headers=consumer
    )
    assert statutory.status_code == 200, statutory.text
    assert statutory.json()["basis"] == "statutory"


def test_a_grant_serves_its_items_and_rows_until_it_expires_or_is_revoked(
    world: CatalogWorld, client: TestClient, clock: FrozenClock
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    grant_id = approved_grant(
        world,
        code,
        items=["legal_representative"],
        row_filter={"district": ["南山区"]},
        expires_at=clock.now() + timedelta(days=10),
    )
    granted = client.get(rows_url(code), params=PURPOSE, headers=consumer)
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["grant_id"] == grant_id
    assert body["basis"] == "approval"
    assert "legal_representative" in body["items"]
    assert "phone" not in body["items"]
    assert body["row_count"] == 10
    assert {r["district"] for r in body["rows"]} == {"南山区"}
    narrowed = client.get(
        rows_url(code), params={**PURPOSE, "columns": "uscc,phone"}, headers=consumer
    )
    assert narrowed.status_code == 403
    assert narrowed.json()["detail"]["not_granted"] == ["phone"]
    # Another department holds no grant and is refused the same items.
    stranger = client.get(
        rows_url(code),
        params={**PURPOSE, "columns": "legal_representative"},
        headers=bearer(world, "coordinator"),
    )
    assert stranger.status_code == 403

    clock.advance(timedelta(days=10))
    expired = client.get(
        rows_url(code), params={**PURPOSE, "columns": "legal_representative"}, headers=consumer
    )
    assert expired.status_code == 403
    clock.advance(timedelta(days=-1))
    assert (
        client.get(
            rows_url(code), params={**PURPOSE, "columns": "legal_representative"}, headers=consumer
        ).status_code
        == 200
    )
    revoked = client.post(
        f"/api/v1/access/grants/{grant_id}/revoke",
        json={"text": "用途已完成"},
        headers=bearer(world, "data_reviewer"),
    )
    assert revoked.status_code == 200, revoked.text
    after = client.get(
        rows_url(code), params={**PURPOSE, "columns": "legal_representative"}, headers=consumer
    )
    assert after.status_code == 403


def test_formats_pages_filters_and_snapshots(world: CatalogWorld, client: TestClient) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    whole = client.get(rows_url(code), params=PURPOSE, headers=consumer).json()["rows"]

    arrow = client.get(rows_url(code), params={**PURPOSE, "format": "arrow"}, headers=consumer)
    table = pa.ipc.open_stream(arrow.content).read_all()
    assert table.to_pylist() == whole
    parquet = client.get(rows_url(code), params={**PURPOSE, "format": "parquet"}, headers=consumer)
    assert pq.read_table(io.BytesIO(parquet.content)).to_pylist() == whole
    csv = client.get(rows_url(code), params={**PURPOSE, "format": "csv"}, headers=consumer)
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == '"uscc","enterprise_name","registered_capital","district"'
    assert len(lines) == 31

    pages, cursor = [], None
    while True:
        params = {**PURPOSE, "limit": "7", **({"cursor": cursor} if cursor else {})}
        page = client.get(rows_url(code), params=params, headers=consumer)
        pages.append(page.json()["rows"])
        cursor = page.headers.get("X-Next-Cursor")
        if cursor is None:
            break
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    assert [row for p in pages for row in p] == whole

    filtered = client.get(
        rows_url(code),
        params=[
            ("purpose", "核验"),
            ("filter", "district:in:南山区|福田区"),
            ("filter", "registered_capital:range:5000..12000"),
        ],
        headers=consumer,
    ).json()["rows"]
    assert [r["registered_capital"] for r in filtered] == [5000, 7000, 8000, 10000, 11000]
    single = client.get(
        rows_url(code), params={**PURPOSE, "filter": "uscc:eq:91440300MA50000003"}, headers=consumer
    ).json()["rows"]
    assert [r["enterprise_name"] for r in single] == ["深圳市示例3有限公司"]
    bad = client.get(
        rows_url(code), params={**PURPOSE, "filter": "district~南山"}, headers=consumer
    )
    assert bad.status_code == 400
    not_a_number = client.get(
        rows_url(code), params={**PURPOSE, "filter": "registered_capital:eq:many"}, headers=consumer
    )
    assert not_a_number.status_code == 400
    hidden = client.get(
        rows_url(code), params={**PURPOSE, "filter": "phone:eq:13800000001"}, headers=consumer
    )
    assert hidden.status_code == 403

    first = int(
        client.get(rows_url(code), params=PURPOSE, headers=consumer).headers["X-Snapshot-Id"]
    )
    write(world, code, 5, run_key="second")
    current = client.get(rows_url(code), params=PURPOSE, headers=consumer)
    assert current.json()["row_count"] == 5
    old = client.get(rows_url(code), params={**PURPOSE, "snapshot_id": first}, headers=consumer)
    assert old.json()["row_count"] == 30
    missing = client.get(rows_url(code), params={**PURPOSE, "snapshot_id": 1}, headers=consumer)
    assert missing.status_code == 404


def test_bulk_download_and_subscription_need_their_own_mode(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    approved_grant(world, code)  # api_query mode
    download = f"/api/v1/data/{code}/download"
    unconditional = client.get(download, params=PURPOSE, headers=consumer)
    assert unconditional.status_code == 200
    assert "attachment" in unconditional.headers["Content-Disposition"]
    assert pq.read_table(io.BytesIO(unconditional.content)).num_rows == 30
    conditional = client.get(
        download, params={**PURPOSE, "columns": "uscc,legal_representative"}, headers=consumer
    )
    assert conditional.status_code == 403
    assert "bulk_download" in conditional.json()["message"]

    first = int(unconditional.headers["X-Snapshot-Id"])
    write(world, code, 32, run_key="second")
    changes = client.get(
        f"/api/v1/data/{code}/changes",
        params={**PURPOSE, "since_snapshot": first},
        headers=consumer,
    )
    assert changes.status_code == 200, changes.text
    added = [r for r in changes.json()["rows"] if r["_change"] == "added"]
    assert [r["uscc"] for r in added] == ["91440300MA50000030", "91440300MA50000031"]
    assert not [r for r in changes.json()["rows"] if r["_change"] == "removed"]
    sneaky = client.get(
        f"/api/v1/data/{code}/changes",
        params={**PURPOSE, "since_snapshot": first, "columns": "uscc,phone"},
        headers=consumer,
    )
    assert sneaky.status_code == 403


def test_r17_providers_see_use_of_their_data_and_consumers_their_own(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    grant_id = approved_grant(world, code)
    client.get(rows_url(code), params={**PURPOSE, "columns": "uscc,phone"}, headers=consumer)
    provider_view = client.get(
        "/api/v1/access/usage", params={"side": "provider"}, headers=bearer(world, "data_reviewer")
    ).json()
    assert [(u["consumer"], u["items"], u["rows"], u["grant_id"]) for u in provider_view] == [
        (world.consumer_department.code, ["uscc", "phone"], 30, grant_id)
    ]
    own = client.get("/api/v1/access/usage", params={"side": "consumer"}, headers=consumer).json()
    assert [u["resource_code"] for u in own] == [code]
    # A consumer's roles do not open the provider side; a registrar's open neither.
    assert (
        client.get(
            "/api/v1/access/usage", params={"side": "provider"}, headers=consumer
        ).status_code
        == 403
    )
    assert (
        client.get(
            "/api/v1/access/usage", params={"side": "provider"}, headers=bearer(world, "registrar")
        ).status_code
        == 403
    )

    report = client.post(
        f"/api/v1/access/grants/{grant_id}/use-reports",
        json={"period_from": "2026-11-01", "period_to": "2026-11-30", "uses": 12,
              "outcome": "核验 12 家企业法定代表人"},
        headers=consumer,
    )  # fmt: skip
    assert report.status_code == 201, report.text
    seen = client.get(
        f"/api/v1/access/grants/{grant_id}/use-reports", headers=bearer(world, "data_reviewer")
    )
    assert [r["uses"] for r in seen.json()] == [12]
    stranger = client.post(
        f"/api/v1/access/grants/{grant_id}/use-reports",
        json={"period_from": "2026-11-01", "period_to": "2026-11-30", "uses": 1, "outcome": "冒报"},
        headers=bearer(world, "data_reviewer"),
    )
    assert stranger.status_code == 404


@pytest.mark.parametrize("fmt", ["json", "csv", "arrow", "parquet"])
def test_a_refused_read_returns_no_data_in_any_format(
    world: CatalogWorld, client: TestClient, fmt: str
) -> None:
    code = publish_with_data(world)
    response = client.get(
        rows_url(code),
        params={**PURPOSE, "columns": "phone", "format": fmt},
        headers=bearer(world, "consumer"),
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    with world.platform.database.transaction() as session:
        assert session.scalars(select(DataUsage)).all() == []


def all_pages(
    client: TestClient, code: str, consumer: dict[str, str], *filters: str
) -> list[list[dict[str, object]]]:
    """Every page of 4 rows through the cursors, with the given filters."""
    found, cursor = [], None
    while True:
        params = [("purpose", "核验"), ("limit", "4"), *(("filter", f) for f in filters)]
        response = client.get(
            rows_url(code), params=params + ([("cursor", cursor)] if cursor else []),
            headers=consumer,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        found.append(response.json()["rows"])
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return found


def test_key_lookups_through_the_index_page_and_filter_like_a_scan(
    world: CatalogWorld, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large snapshots answer equality filters from an index; the answers, pages and cursors
    must be those of filtering the whole table."""
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")

    queries = [("district:eq:南山区",), ("district:eq:福田区", "registered_capital:range:..9000")]
    scanned = [all_pages(client, code, consumer, *query) for query in queries]
    monkeypatch.setattr(data_reads, "INDEXED_LOOKUP_ROWS", 1)  # every table is "large" now
    assert [all_pages(client, code, consumer, *query) for query in queries] == scanned
    assert [len(p) for p in scanned[0]] == [4, 4, 2]
    assert all(r["district"] == "南山区" for p in scanned[0] for r in p)


def test_r13_pages_of_a_snapshot_too_large_to_hold_are_read_file_by_file_like_a_scan(
    world: CatalogWorld, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot larger than the memory budget is never read whole: each page reads file by file
    and batch by batch until it is full. Its pages, cursors and refusals must be those of the
    snapshot held in memory."""
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")

    queries = [
        (),
        ("district:eq:南山区",),
        ("district:eq:福田区", "registered_capital:range:..9000"),
    ]
    held = [all_pages(client, code, consumer, *query) for query in queries]
    whole_reads = hold_nothing(client, monkeypatch)
    assert [all_pages(client, code, consumer, *query) for query in queries] == held
    assert [len(p) for p in held[0]] == [4] * 7 + [2]
    assert whole_reads == []
    refused = client.get(
        rows_url(code), params={**PURPOSE, "limit": "4", "columns": "uscc,id_number"},
        headers=consumer,
    )  # fmt: skip
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"]["not_granted"] == ["id_number"]


def test_r16_a_download_too_large_to_hold_is_written_out_counted_and_recorded_before_it_is_sent(
    world: CatalogWorld, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk download of a snapshot beyond the read cache is never read whole: its batches are
    written to a file one at a time, counted, and the read is recorded with the count before the
    file is sent. Every format must carry what the snapshot held in memory would; a download that
    fails half-way leaves neither a file nor a record."""
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    download = f"/api/v1/data/{code}/download"
    nanshan = {**PURPOSE, "filter": "district:eq:南山区"}
    formats = ("parquet", "arrow", "csv", "json")

    def fetch_all() -> list[tuple[pa.Table | bytes | dict[str, object], str]]:
        answers = []
        for fmt in formats:
            answer = client.get(download, params={**nanshan, "format": fmt}, headers=consumer)
            assert answer.status_code == 200, answer.text
            answers.append((_decoded(fmt, answer.content), answer.headers["X-Row-Count"]))
        return answers

    held = fetch_all()
    whole_reads = hold_nothing(client, monkeypatch)
    streamed = fetch_all()
    assert whole_reads == []
    assert streamed == held
    assert [count for _, count in streamed] == ["10"] * 4
    document = streamed[3][0]
    assert isinstance(document, dict)
    assert (document["row_count"], len(document["rows"])) == (10, 10)  # type: ignore[arg-type]
    with world.platform.database.transaction() as session:
        recorded = session.scalars(
            select(DataUsage.rows).where(DataUsage.mode == "bulk_download")
        ).all()
        assert recorded == [10] * 8

    def broken(*args: object) -> object:
        yield next(iter(pa.table({"uscc": ["91440300MA50000000"]}).to_batches()))
        raise OSError("disk gone")

    monkeypatch.setattr(client.app.state.snapshots, "batches", broken)  # type: ignore[attr-defined]
    with pytest.raises(OSError):
        client.get(download, params={**PURPOSE, "format": "csv"}, headers=consumer)
    spool = world.platform.settings.data_dir / "spool"
    assert not any(spool.iterdir())
    with world.platform.database.transaction() as session:
        assert len(session.scalars(select(DataUsage)).all()) == 8


def _decoded(fmt: str, content: bytes) -> pa.Table | bytes | dict[str, object]:
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(content))
    if fmt == "arrow":
        return pyarrow.ipc.open_stream(io.BytesIO(content)).read_all()
    if fmt == "json":
        return orjson.loads(content)  # type: ignore[no-any-return]
    return content


def test_the_snapshot_lookup_sees_new_data_at_once_and_survives_a_dropped_connection(
    world: CatalogWorld, client: TestClient
) -> None:
    """The served snapshot is looked up on one connection kept open: it must not hold an old view
    of the catalog, and when the server drops it the next read reconnects instead of failing."""
    code = publish_with_data(world)
    consumer = bearer(world, "consumer")
    assert client.get(rows_url(code), params=PURPOSE, headers=consumer).json()["row_count"] == 30
    newer = write(world, code, 12, run_key="second")
    body = client.get(rows_url(code), params=PURPOSE, headers=consumer).json()
    assert (body["snapshot_id"], body["row_count"]) == (newer, 12)

    lookup = client.app.state.snapshots._lookup  # type: ignore[attr-defined]
    assert lookup is not None
    if world.platform.database.dialect == "postgresql":
        backend = lookup.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with world.platform.database.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
    else:
        lookup.connection.dbapi_connection.close()  # type: ignore[union-attr]
    again = client.get(rows_url(code), params=PURPOSE, headers=consumer)
    assert again.status_code == 200, again.text
    assert again.json()["snapshot_id"] == newer
