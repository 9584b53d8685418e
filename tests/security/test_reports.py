"""R22: quality reports and issues show a value only to readers who may read that item."""

import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.identity.roles import Role
from exchange.store import UnifiedStore
from policies import requests
from quality.comparisons import AttributeDraft, ComparisonDraft, create_comparison, run_comparison
from quality.disclosure import WITHHELD
from quality.models import QualityIssue
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry
from tests.factories import make_token, make_user
from tests.scenarios.people import bearer
from tests.scenarios.requests import act, file

LEFT_SECRET, RIGHT_SECRET = "张左侧", "李右侧"


def two_departments_compared(world: CatalogWorld) -> tuple[int, str, str]:
    """The provider's register and the consumer department's own copy, whose conditional
    legal representative differs for one enterprise; a steward's comparison run on them."""
    platform = world.platform
    left = publish_entry(world, enterprise_register())
    right = publish_entry(
        world, enterprise_register(name="纳税人登记信息"), "other_registrar", "other_reviewer"
    )
    store = UnifiedStore(platform.settings)
    for code, representative in ((left, LEFT_SECRET), (right, RIGHT_SECRET)):
        row = {
            "uscc": ["91440300MA50000001"],
            "enterprise_name": ["甲公司"],
            "legal_representative": [representative],
        }
        store.write(code, pa.table(row), overwrite=True, run_key="1", properties={})
    with platform.database.transaction() as session:
        comparison = create_comparison(
            session, actor=world.actor("steward"), now=platform.clock.now(),
            draft=ComparisonDraft(name="法定代表人核对", left=left, right=right, keys=[("uscc", "uscc")],
                                  attributes=[AttributeDraft(left="legal_representative", right="legal_representative")]),
        )  # fmt: skip
        comparison_id = comparison.id
    run = run_comparison(platform, comparison_id=comparison_id, actor=world.actor("steward"))
    return run.id, left, right


def values_seen(
    client: TestClient, run_id: int, headers: dict[str, str]
) -> tuple[object, object, object]:
    response = client.get(f"/api/v1/quality/comparison-runs/{run_id}", headers=headers)
    assert response.status_code == 200, response.text
    [finding] = response.json()["findings"]
    html = client.get(f"/api/v1/quality/comparison-runs/{run_id}/report", headers=headers).text
    for value in (finding["left"], finding["right"]):
        assert (value in html) if value != WITHHELD else True
    for secret in (LEFT_SECRET, RIGHT_SECRET):
        if secret not in (finding["left"], finding["right"]):
            assert secret not in html
    return finding["key"]["uscc"], finding["left"], finding["right"]


def test_r22_comparison_values_are_shown_only_to_readers_of_the_item(
    client: TestClient, world: CatalogWorld
) -> None:
    run_id, left, _ = two_departments_compared(world)
    with world.platform.database.transaction() as session:
        auditor = make_user(session, world.platform, world.bureau, Role.AUDITOR)
        auditor_headers = {
            "Authorization": f"Bearer {make_token(session, world.platform, auditor)}"
        }
    key = "91440300MA50000001"
    # The bureau's auditor: no grant on either side — counts and the unconditional key only.
    assert values_seen(client, run_id, auditor_headers) == (key, WITHHELD, WITHHELD)
    # Each provider sees its own values, not the other's.
    assert values_seen(client, run_id, bearer(world, "data_reviewer")) == (
        key,
        LEFT_SECRET,
        WITHHELD,
    )
    assert values_seen(client, run_id, bearer(world, "consumer")) == (key, WITHHELD, RIGHT_SECRET)
    # The steward compares the departments' data (R18): every value.
    assert values_seen(client, run_id, bearer(world, "steward")) == (key, LEFT_SECRET, RIGHT_SECRET)
    # A grant on the left's conditional item opens it to the consumer department.
    request_id = file(world, left, ["legal_representative"])
    act(world, "data_reviewer", requests.approve, request_id=request_id)
    assert values_seen(client, run_id, bearer(world, "consumer")) == (
        key,
        LEFT_SECRET,
        RIGHT_SECRET,
    )


def test_r22_issue_rows_are_withheld_alike(client: TestClient, world: CatalogWorld) -> None:
    two_departments_compared(world)
    with world.platform.database.transaction() as session:
        issue = session.scalars(select(QualityIssue)).one()
        issue_id = issue.id
    responsible = (
        "consumer" if issue.department_id == world.consumer_department.id else "data_reviewer"
    )
    rows = client.get(
        f"/api/v1/quality/issues/{issue_id}", headers=bearer(world, responsible)
    ).json()["rows"]
    [row] = rows
    assert WITHHELD in (row["left"], row["right"])
    assert {row["left"], row["right"]} - {WITHHELD} <= {LEFT_SECRET, RIGHT_SECRET}
