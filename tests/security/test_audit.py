"""R16: every refusal is on the record whatever the entry point; anonymous floods are summarised
in bounded records; cutting records off a chain's end is detected against the checkpoint."""

import re
from datetime import timedelta

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from exchange.audit.checkpoint import write_checkpoint
from exchange.audit.models import AuditChainHead, AuditRecord
from exchange.audit.refusals import summarise_closed_hours
from exchange.clock import FrozenClock
from exchange.identity.roles import Role
from exchange.runtime import Platform
from exchange_cli import main
from tests.catalog_fixtures import CatalogWorld, enterprise_register, submitted_entry
from tests.factories import PASSWORD, make_user
from tests.scenarios.people import password_sign_in


def portal_sign_in(
    client: TestClient, world: CatalogWorld, department: object, *roles: Role
) -> tuple[str, str]:
    """Signs in a new user with ``roles``; returns the user name and the page's CSRF token."""
    with world.platform.database.transaction() as session:
        name = make_user(session, world.platform, department, *roles, password=PASSWORD).username  # type: ignore[arg-type]
    password_sign_in(client, world.platform, name)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token
    return name, token.group(1)


def denied_to(platform: Platform, actor: str) -> list[AuditRecord]:
    with platform.database.transaction() as session:
        return list(
            session.scalars(
                select(AuditRecord).where(
                    AuditRecord.actor == actor, AuditRecord.outcome == "denied"
                )
            )
        )


def test_r16_refusals_shown_on_portal_pages_are_audited(
    client: TestClient, world: CatalogWorld
) -> None:
    platform = world.platform
    code = submitted_entry(world, enterprise_register())

    # A catalog reviewer of another department approves the provider's entry.
    reviewer, token = portal_sign_in(
        client, world, world.consumer_department, Role.CATALOG_REVIEWER
    )
    client.post(f"/catalog/{code}/approve", data={"csrf_token": token})
    # The refused approval, then the entry's page it is sent back to, which it may not see.
    assert [r.action for r in denied_to(platform, reviewer)] == [
        "POST /catalog/{classification}/{sequence}/{action}",
        "GET /catalog/{classification}/{sequence}",
    ]

    # A consumer creates a user; a consumer rules a dispute.
    consumer, token = portal_sign_in(client, world, world.consumer_department, Role.CONSUMER)
    client.post("/admin/users", data={
        "csrf_token": token, "username": "made.by.consumer", "display_name": "x",
        "department_code": world.consumer_department.code, "roles": ["bureau_admin"], "password": "long-enough-pw-2026",
    })  # fmt: skip
    client.post("/access/disputes/1/rule", data={"csrf_token": token, "outcome": "grant"})
    assert {r.action for r in denied_to(platform, consumer)} >= {
        "POST /admin/users",
        "POST /access/disputes/{dispute_id}/rule",
    }


def test_r16_an_anonymous_flood_is_summarised_in_bounded_records(
    client: TestClient, platform: Platform, clock: FrozenClock
) -> None:
    def records() -> tuple[int, int]:
        with platform.database.transaction() as session:
            count, size = session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(AuditRecord.detail)), 0))
            ).one()
            return int(count), int(size)

    before = records()
    for n in range(200):
        assert client.get(f"/api/v1/catalog/entries/{'A' * 5000}/{n}").status_code == 401
    flooded = records()
    assert flooded[0] == before[0] + 1  # the first refusal of the hour, nothing more
    assert flooded[1] - before[1] < 2000
    clock.advance(timedelta(hours=1))
    with platform.database.transaction() as session:
        assert summarise_closed_hours(session, now=clock.now()) == 1
    with platform.database.transaction() as session:
        summary = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "refusals.repeated")
        ).one()
    assert '"repeats":199' in summary.detail
    assert len(summary.detail) < 1000


def test_r16_cutting_records_off_a_chains_end_is_detected(
    world: CatalogWorld, platform: Platform, clock: FrozenClock
) -> None:
    settings = platform.settings
    env = {
        "EXCHANGE_DATABASE_URL": platform.database.url,
        "EXCHANGE_DATA_DIR": str(settings.data_dir),
    }
    with platform.database.engine.connect() as connection:
        write_checkpoint(connection, settings, now=clock.now())
    assert CliRunner().invoke(main, ["audit", "verify"], env=env).exit_code == 0

    # Someone with the database's password removes the newest records of the busiest chain and
    # moves its head back, so that the chain is consistent again from end to end.
    with platform.database.engine.begin() as connection:
        chain, last = connection.execute(
            select(AuditChainHead.id, AuditChainHead.last_pos)
            .order_by(AuditChainHead.last_pos.desc())
            .limit(1)
        ).one()
        keep = last - 2
        kept_hash = connection.scalar(
            select(AuditRecord.hash).where(
                AuditRecord.chain == chain, AuditRecord.chain_pos == keep
            )
        )
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update")
            )
        connection.execute(
            text("DELETE FROM audit_records WHERE chain = :c AND chain_pos > :p"),
            {"c": chain, "p": keep},
        )
        connection.execute(
            text("UPDATE audit_chain_heads SET last_pos = :p, last_hash = :h WHERE id = :c"),
            {"c": chain, "p": keep, "h": kept_hash},
        )
    verified = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert verified.exit_code == 1
    assert f"chain ends at record {keep}, before record {last}" in verified.output
    assert "removed from its end" in verified.output


def test_r16_a_refusal_on_the_command_line_is_audited(
    world: CatalogWorld, platform: Platform, tmp_path: object
) -> None:
    from pathlib import Path

    from catalog.spreadsheet import entry_rows, write_csv

    catalog = Path(str(tmp_path)) / "catalog.csv"
    catalog.write_bytes(write_csv(list(entry_rows(None, enterprise_register()))))
    with platform.database.transaction() as session:
        consumer = make_user(session, platform, world.consumer_department, Role.CONSUMER)
        name = consumer.username
    env = {
        "EXCHANGE_DATABASE_URL": platform.database.url,
        "EXCHANGE_DATA_DIR": str(platform.settings.data_dir),
    }
    refused = CliRunner().invoke(main, ["catalog", "import", str(catalog), "--as", name], env=env)
    assert refused.exit_code == 2
    with platform.database.transaction() as session:
        record = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "cli catalog import")
        ).one()
    assert record.outcome == "denied"
    assert f'"username":"{name}"' in record.detail
