"""Conditional data shared "in specific ways" (R3, R14): items granted masked are never served in
clear, whatever the format, page or mode; items granted for verification only are answered
match, mismatch or not_found and never with a value; a narrowing to either can be disputed."""

import io
import json
from datetime import timedelta

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from catalog.schemas import ItemDraft
from exchange.audit.chain import Outcome
from exchange.audit.models import AuditRecord
from exchange.clock import FrozenClock
from exchange.errors import InvalidInput
from policies import disputes, requests
from policies.models import AccessRequest, DataUsage, Grant
from policies.vocab import ItemAccess, SharingMode
from supervision import scorecards, statements
from tests.catalog_fixtures import CatalogWorld, publish_entry
from tests.scenarios.data import hold_nothing
from tests.scenarios.item_access import (
    MASKED,
    VERIFY,
    VERIFY_PURPOSE,
    ask,
    granted,
    person_register,
    person_rows,
    publish_persons,
    store_persons,
)
from tests.scenarios.people import bearer
from tests.scenarios.requests import act

PURPOSE = {"purpose": "低保家庭收入核对"}
CLEAR = person_rows()


def _clear_values() -> list[bytes]:
    """Every stored value of the masked items, as it would appear in any encoding of them."""
    values = []
    for column in ("id_number", "name", "phone"):
        values += [v.encode() for v in CLEAR[column].to_pylist()]
    values += [f"{d:%Y-%m-%d}".encode() for d in CLEAR["birth_date"].to_pylist()]
    return values


def _assert_no_clear_value(body: bytes) -> None:
    leaked = [v for v in _clear_values() if v in body]
    assert not leaked, leaked[:5]


def _arrow(content: bytes) -> pa.Table:
    return pyarrow.ipc.open_stream(io.BytesIO(content)).read_all()


def test_r14_a_masked_grant_never_returns_a_clear_value_in_any_format_page_download_or_feed(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    granted(world, code, MASKED)
    granted(world, code, MASKED, mode=SharingMode.BULK_DOWNLOAD)
    granted(world, code, MASKED, mode=SharingMode.SUBSCRIPTION)
    rows = f"/api/v1/data/{code}/rows"

    whole = client.get(rows, params=PURPOSE, headers=consumer)
    assert whole.status_code == 200, whole.text
    assert whole.headers["X-Data-Masking"] == (
        "id_number=keep:4:4, name=pseudonym, birth_date=month, income=range:1000, phone=keep:3:4"
    )
    first = whole.json()["rows"][0]
    assert first["id_number"] == "4201**********0000"
    assert first["phone"] == "139****0000"
    assert first["birth_date"] == "1980-01"
    assert first["income"] == "[2000, 3000)"
    assert len(first["name"]) == 16
    assert first["name"] != CLEAR["name"][0].as_py()
    assert first["district"] == "武昌区"  # unconditional: whole
    _assert_no_clear_value(whole.content)

    for fmt in ("csv", "arrow", "parquet"):
        answer = client.get(rows, params={**PURPOSE, "format": fmt}, headers=consumer)
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Data-Masking"].startswith("id_number=keep:4:4")
        _assert_no_clear_value(answer.content)
        if fmt == "arrow":
            assert _arrow(answer.content)["id_number"][5].as_py() == "4201**********0005"
        if fmt == "parquet":
            assert pq.read_table(io.BytesIO(answer.content))["phone"][1].as_py() == "139****0001"

    # Page by page, the same masks and pseudonyms.
    cursor, paged = None, []
    while True:
        params = {**PURPOSE, "limit": "7"} | ({"cursor": cursor} if cursor else {})
        page = client.get(rows, params=params, headers=consumer)
        assert page.status_code == 200
        _assert_no_clear_value(page.content)
        paged += page.json()["rows"]
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert paged == whole.json()["rows"]

    download = client.get(f"/api/v1/data/{code}/download", params=PURPOSE, headers=consumer)
    assert download.status_code == 200
    _assert_no_clear_value(download.content)
    assert pq.read_table(io.BytesIO(download.content))["id_number"][0].as_py().startswith("4201*")

    since = int(whole.headers["X-Snapshot-Id"])
    store_persons(world, code, person_rows(renamed=3), run_key="second")
    feed = client.get(
        f"/api/v1/data/{code}/changes",
        params={**PURPOSE, "since_snapshot": str(since)},
        headers=consumer,
    )
    assert feed.status_code == 200, feed.text
    changed = feed.json()["rows"]
    assert sorted(r["_change"] for r in changed) == ["added", "removed"]
    assert {r["id_number"] for r in changed} == {"4201**********0003"}
    _assert_no_clear_value(feed.content)
    assert "王03华".encode() not in feed.content

    # A filter on a masked item would reveal its clear values row by row.
    probing = client.get(
        rows, params={**PURPOSE, "filter": "id_number:eq:420102198001010000"}, headers=consumer
    )
    assert probing.status_code == 403
    assert probing.json()["detail"]["masked"] == ["id_number"]
    # The provider reads its own data whole.
    own = client.get(rows, params=PURPOSE, headers=bearer(world, "data_reviewer"))
    assert "X-Data-Masking" not in own.headers
    assert own.json()["rows"][0]["id_number"] == CLEAR["id_number"][0].as_py()


def test_r14_a_masked_download_too_large_to_hold_is_masked_batch_by_batch_alike(
    world: CatalogWorld, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download streamed file by file masks each batch as it goes: the same masks and the same
    pseudonyms as the snapshot held in memory, and no clear value in any format."""
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    granted(world, code, MASKED, mode=SharingMode.BULK_DOWNLOAD)
    download = f"/api/v1/data/{code}/download"

    def fetch_all() -> list[bytes]:
        bodies = []
        for fmt in ("parquet", "csv", "json"):
            answer = client.get(download, params={**PURPOSE, "format": fmt}, headers=consumer)
            assert answer.status_code == 200, answer.text
            assert answer.headers["X-Data-Masking"].startswith("id_number=keep:4:4")
            _assert_no_clear_value(answer.content)
            bodies.append(answer.content)
        return bodies

    held = fetch_all()
    assert hold_nothing(client, monkeypatch) is not None
    streamed = fetch_all()
    assert pq.read_table(io.BytesIO(streamed[0])) == pq.read_table(io.BytesIO(held[0]))
    assert streamed[1] == held[1]
    assert json.loads(streamed[2]) == json.loads(held[2])


def test_r14_pseudonyms_are_stable_within_a_grant_and_differ_across_grants(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    first = granted(world, code, {"name": ItemAccess.MASKED, "id_number": ItemAccess.MASKED})
    second = granted(world, code, {"name": ItemAccess.MASKED, "id_number": ItemAccess.MASKED})
    rows = f"/api/v1/data/{code}/rows"

    def names(grant_id: int, fmt: str = "json") -> list[str]:
        params = {**PURPOSE, "grant_id": str(grant_id), "columns": "name", "format": fmt}
        answer = client.get(rows, params=params, headers=consumer)
        assert answer.status_code == 200, answer.text
        if fmt == "csv":
            return [line.strip('"') for line in answer.text.splitlines()[1:]]
        return [r["name"] for r in answer.json()["rows"]]

    once = names(first)
    assert len(set(once)) == len(once)  # distinct people, distinct pseudonyms
    assert names(first) == once
    assert names(first, "csv") == once
    # A new snapshot with the same people: the same pseudonyms, so the consumer's joins hold.
    store_persons(world, code, person_rows(), run_key="again")
    assert names(first) == once
    other = names(second)
    assert not set(other) & set(once)  # another grant cannot be matched with this one


def test_r14_a_verify_grant_answers_match_mismatch_not_found_and_never_a_value(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    grant_id = granted(world, code, VERIFY)
    verify = f"/api/v1/data/{code}/verify"
    ids, names = CLEAR["id_number"].to_pylist(), CLEAR["name"].to_pylist()
    records = [
        {"id_number": ids[0], "name": names[0]},
        {"id_number": ids[1], "name": "王01华"},
        {"id_number": "420102199912319999", "name": "李四"},
        {"id_number": ids[2], "name": f" {names[2][0]} {names[2][1:]}"},  # spaces in the claim
    ]
    answer = client.post(
        verify, json={"purpose": VERIFY_PURPOSE, "records": records}, headers=consumer
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["name"] for r in body["results"]] == ["match", "mismatch", "not_found", "mismatch"]
    assert body["counts"] == {"match": 1, "mismatch": 2, "not_found": 1}
    assert (body["grant_id"], body["keys"], body["items"]) == (grant_id, ["id_number"], ["name"])
    assert names[1].encode() not in answer.content  # the stored name of the mismatch
    spaced = client.post(
        verify,
        json={"purpose": VERIFY_PURPOSE, "records": records[3:], "normalise": ["spaces"]},
        headers=consumer,
    )
    assert spaced.json()["results"] == [{"name": "match"}]

    # Verification only: the items cannot be read, masked or whole.
    read = client.get(
        f"/api/v1/data/{code}/rows", params={**PURPOSE, "columns": "name"}, headers=consumer
    )
    assert read.status_code == 403
    assert "verification only" in read.json()["message"]
    # Items outside the grant are not verified either.
    phone = client.post(
        verify,
        json={"purpose": VERIFY_PURPOSE, "records": [{"id_number": ids[0], "phone": "1"}]},
        headers=consumer,
    )
    assert phone.status_code == 403
    assert phone.json()["detail"]["not_granted"] == ["phone"]

    with world.platform.database.transaction() as session:
        used = session.scalars(select(DataUsage).where(DataUsage.access == "verify")).all()
        assert [(u.rows, u.grant_id, u.purpose) for u in used] == [
            (4, grant_id, VERIFY_PURPOSE),
            (1, grant_id, VERIFY_PURPOSE),
        ]
        audited = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "data.verify")
        ).first()
        assert audited is not None
        assert audited.purpose == VERIFY_PURPOSE
        detail = json.loads(audited.detail)
        assert detail["counts"] == {"match": 1, "mismatch": 2, "not_found": 1}
        assert detail["records"] == 4


def test_r14_verification_needs_the_key_and_stops_at_the_grants_daily_quota(
    world: CatalogWorld, client: TestClient, clock: FrozenClock
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    granted(world, code, VERIFY, verify_quota=5)
    verify = f"/api/v1/data/{code}/verify"
    ids, names = CLEAR["id_number"].to_pylist(), CLEAR["name"].to_pylist()

    keyless = client.post(
        verify,
        json={"purpose": VERIFY_PURPOSE, "records": [{"id_number": ids[0], "name": names[0]},
                                                     {"name": names[1]}]},
        headers=consumer,
    )  # fmt: skip
    assert keyless.status_code == 400
    assert keyless.json()["detail"]["without_key"] == [1]
    no_purpose = client.post(verify, json={"records": [{"id_number": ids[0]}]}, headers=consumer)
    assert no_purpose.status_code == 422

    def call(start: int, count: int) -> int:
        records = [{"id_number": ids[i], "name": names[i]} for i in range(start, start + count)]
        return client.post(
            verify, json={"purpose": VERIFY_PURPOSE, "records": records}, headers=consumer
        ).status_code

    assert call(0, 3) == 200
    over = client.post(
        verify,
        json={"purpose": VERIFY_PURPOSE,
              "records": [{"id_number": ids[i], "name": names[i]} for i in range(3, 6)]},
        headers=consumer,
    )  # fmt: skip
    assert over.status_code == 429
    assert over.json()["detail"]["quota"] == 5
    assert call(3, 2) == 200  # what is left of today's quota
    assert call(5, 1) == 429
    clock.advance(timedelta(days=1))
    assert call(5, 5) == 200  # a new day, a new quota
    with world.platform.database.transaction() as session:
        counted = sum(u.rows for u in session.scalars(select(DataUsage)))
        assert counted == 10  # refused calls verified nothing
        refusals = session.scalars(
            select(AuditRecord).where(
                AuditRecord.outcome == Outcome.DENIED,
                AuditRecord.object_id == f"/api/v1/data/{code}/verify",
            )
        ).all()
        assert len(refusals) == 2  # the two calls past the quota, on the record


def test_r14_a_read_approved_as_verify_only_is_disputed_and_the_ruling_restores_it(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    request_id = ask(world, code, {"id_number": ItemAccess.READ, "name": ItemAccess.READ})
    # Widening is not the reviewer's to do, and a verification needs the key among the items.
    with pytest.raises(InvalidInput, match="key"):
        act(world, "data_reviewer", requests.approve, request_id=request_id, items=["name"],
            access={"name": ItemAccess.VERIFY})  # fmt: skip
    act(world, "data_reviewer", requests.approve, request_id=request_id,
        access={"id_number": "verify", "name": "verify"})  # fmt: skip
    with world.platform.database.transaction() as session:
        request = session.get_one(AccessRequest, request_id)
        assert request.narrowed
        assert request.approved_access == {"id_number": "verify", "name": "verify"}
        assert request.verify_quota == world.platform.settings.verify_daily_quota
    refused = client.get(
        f"/api/v1/data/{code}/rows", params={**PURPOSE, "columns": "name"}, headers=consumer
    )
    assert refused.status_code == 403

    dispute = act(world, "consumer", disputes.open_dispute, request_id=request_id,
                  ground="核对低保家庭成员需要读取姓名原文")  # fmt: skip
    act(world, "coordinator", disputes.rule, dispute_id=dispute.id,
        grant_items=["id_number", "name"], note="申请用途需要原文")  # fmt: skip
    with world.platform.database.transaction() as session:
        grants = session.scalars(select(Grant).where(Grant.request_id == request_id)).all()
        narrowed, ruled = sorted(grants, key=lambda g: g.id)
        assert narrowed.revoked_at is not None
        assert "dispute" in (narrowed.revoke_reason or "")
        assert (ruled.basis, ruled.item_access, ruled.revoked_at) == ("ruling", None, None)
    read = client.get(
        f"/api/v1/data/{code}/rows", params={**PURPOSE, "columns": "name"}, headers=consumer
    )
    assert read.status_code == 200, read.text
    assert read.json()["rows"][0]["name"] == CLEAR["name"][0].as_py()


def test_r3_not_shared_items_stay_unreadable_in_every_mode_and_approvals_never_widen(
    world: CatalogWorld,
) -> None:
    draft = person_register()
    draft.items.append(
        ItemDraft(name="religion", label="宗教信仰", data_type="string", length=20,
                  share_type="not_shared", legal_basis="《个人信息保护法》第二十八条")
    )  # fmt: skip
    code = publish_entry(world, draft)
    for access in ItemAccess:
        with pytest.raises(InvalidInput, match="not shared by law"):
            ask(world, code, {"religion": access, "id_number": ItemAccess.READ})
    request_id = ask(world, code, {"name": ItemAccess.MASKED})
    with pytest.raises(InvalidInput, match="narrow"):
        act(world, "data_reviewer", requests.approve, request_id=request_id,
            access={"name": ItemAccess.READ})  # fmt: skip
    with pytest.raises(InvalidInput, match="masked or verify"):
        ask(world, code, {"name": "scrambled"})  # type: ignore[dict-item]


def test_r14_masking_rules_are_checked_against_the_items_type(world: CatalogWorld) -> None:
    draft = person_register()
    draft.items[1].masking = "range:1000"  # a name is not a number
    draft.items[3].masking = "shuffle"
    with pytest.raises(InvalidInput) as refused:
        publish_entry(world, draft)
    problems = {p["field"]: p for p in refused.value.detail}  # type: ignore[union-attr]
    assert problems["items[1].masking"]["rule"] == "R14.item.masking"
    assert "numeric" in problems["items[1].masking"]["message"]
    assert "不是脱敏规则" in problems["items[3].masking"]["message_zh"]


def test_r17_statements_and_scorecards_count_masked_reads_and_verifications_apart(
    world: CatalogWorld, client: TestClient
) -> None:
    code = publish_persons(world)
    consumer = bearer(world, "consumer")
    masked_grant = granted(world, code, {"name": ItemAccess.MASKED, "id_number": "read"})
    verify_grant = granted(world, code, VERIFY)
    rows = f"/api/v1/data/{code}/rows"
    assert client.get(rows, params={**PURPOSE, "grant_id": str(masked_grant)},
                      headers=consumer).status_code == 200  # fmt: skip
    assert client.get(rows, params={**PURPOSE, "columns": "district", "grant_id": str(masked_grant)},
                      headers=consumer).status_code == 200  # fmt: skip
    records = [{"id_number": i, "name": "x"} for i in CLEAR["id_number"].to_pylist()[:6]]
    assert client.post(f"/api/v1/data/{code}/verify",
                       json={"purpose": VERIFY_PURPOSE, "records": records, "grant_id": verify_grant},
                       headers=consumer).status_code == 200  # fmt: skip
    usage = client.get("/api/v1/access/usage", params={"side": "consumer"}, headers=consumer)
    assert sorted(u["access"] for u in usage.json()) == ["masked", "read", "verify"]

    platform = world.platform
    now = platform.clock.now()
    period = f"{now:%Y-%m}"
    with platform.database.transaction() as session:
        made = {s.grant_id: s for s in statements.generate(
            session, period=period, zone=platform.settings.zone, now=now)}  # fmt: skip
        # Two reads under the masked grant, one of them of masked items.
        assert (made[masked_grant].reads, made[masked_grant].masked_reads) == (2, 1)
        assert made[masked_grant].rows == 80
        assert (made[verify_grant].reads, made[verify_grant].verified_records) == (0, 6)
        assert made[verify_grant].rows == 0
        cards = {c.department_id: c.figures for c in scorecards.compute(
            session, period=period, zone=platform.settings.zone, now=now)}  # fmt: skip
        provider = cards[world.provider.id]
        assert provider["rows_provided"] == 80  # the masked read and the unconditional one
        assert provider["masked_rows_provided"] == 40
        assert provider["records_verified"] == 6
