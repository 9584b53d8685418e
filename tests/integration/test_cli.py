"""The ``exchange`` command against a real database."""

import re
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from exchange.db import Database
from exchange_cli import main
from tests.servers import free_port_pair


@pytest.fixture
def run(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", database.url)
    monkeypatch.setenv("EXCHANGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(
        "EXCHANGE_API_PORT", str(free_port_pair())
    )  # the demo tax API takes the next port
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def test_db_upgrade_is_idempotent(run) -> None:  # type: ignore[no-untyped-def]
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert "already up to date at revision" in result.output


def test_db_upgrade_says_it_created_a_new_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("EXCHANGE_DATA_DIR", str(tmp_path))
    first = CliRunner().invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert first.exit_code == 0
    assert "created the database at revision" in first.output
    again = CliRunner().invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert "already up to date" in again.output


def test_first_admin_then_token(run) -> None:  # type: ignore[no-untyped-def]
    created = run(
        "admin",
        "create",
        "--username",
        "root.admin",
        "--department-code",
        "11440300000000001X",
        "--department-name",
        "市政务服务和大数据管理局",
        input="Long-enough-password-1\nLong-enough-password-1\n",
    )
    assert created.exit_code == 2, created.output  # the code's check digit is wrong
    assert "not a valid unified social credit code" in created.output
    from exchange.demo import demo_code

    code = demo_code(1)
    created = run(
        "admin",
        "create",
        "--username",
        "root.admin",
        "--department-code",
        code,
        "--department-name",
        "市政务服务和大数据管理局",
        input="Long-enough-password-1\nLong-enough-password-1\n",
    )
    assert created.exit_code == 0, created.output
    token = run("token", "create", "--username", "root.admin", "--days", "5")
    assert token.exit_code == 0
    assert re.fullmatch(r"exg_[\w-]{43}", token.stdout.strip())


def test_calendar_import_reports_errors_and_imports(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,type,name\n2027-01-02,workday,周六\n2027-01-04,workday,周一\n", encoding="utf-8"
    )
    result = run("calendar", "import", str(bad))
    assert result.exit_code == 2
    assert "line 3" in result.output
    assert "nothing was imported" in result.output
    good = tmp_path / "2027.csv"
    good.write_text("date,type,name\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    assert run("calendar", "import", str(good)).exit_code == 0
    shown = run("calendar", "show", "2027")
    assert "official schedule" in shown.output
    assert "2027-01-01  holiday" in shown.output
    assert "NO SCHEDULE" in run("calendar", "show", "2028").output


def test_audit_verify_export_and_purge(run, database: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo").exit_code == 0
    verified = run("audit", "verify")
    assert verified.exit_code == 0
    assert "intact" in verified.output
    out = tmp_path / "audit.jsonl"
    exported = run(
        "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01", "--output", str(out)
    )
    assert exported.exit_code == 0
    lines = [orjson.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines
    assert lines[0]["action"] == "department.create"
    refused = run("audit", "purge", "--before", "2020-01-01")
    assert refused.exit_code == 2
    assert "kept for 15 years" in refused.output
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(
                text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_no_update")
            )
        else:
            connection.execute(text("DROP TRIGGER audit_records_no_update"))
        connection.execute(text("UPDATE audit_records SET action = 'nothing' WHERE seq = 3"))
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert "broken at record 3" in broken.output


def test_demo_is_repeatable_and_prints_how_to_log_in(run, database: Database) -> None:  # type: ignore[no-untyped-def]
    first = run("demo")
    with database.engine.connect() as connection:
        issues = connection.execute(text("SELECT count(*) FROM quality_issues")).scalar()
        still_open = connection.execute(
            text("SELECT count(*) FROM quality_issues WHERE closed_at IS NULL")
        ).scalar()
    second = run("demo")
    assert first.exit_code == second.exit_code == 0
    from exchange.identity.roles import Role

    for role in Role:  # one demo user per role
        assert role.value in first.output
    assert "市市场监督管理局" in first.output
    assert "国家税务总局XX市税务局" in first.output
    assert "Bearer exg_" in second.output
    assert "30 entries registered" in first.output
    assert "entries registered" not in second.output  # the catalog is seeded once
    # 3 check-digit issues and 1 comparison issue open, opened once however often the demo runs;
    # the months of history before them raised others, answered and closed.
    assert still_open == 4
    assert issues > 10
    assert "Six months of history for the dashboard" in first.output
    assert "Six months of history" not in second.output
    assert "registers: 10 findings" in second.output
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM quality_issues")).scalar() == issues
    validated = run("quality", "validate", "203/000001")
    assert "format(uscc; format=uscc): 2 rows" in validated.output, validated.output
    # R24-R28: projects at every stage, seeded once; the vetoed one's check names its veto.
    projects = first.output.split("Demo information-system projects (R24-R28):")[1]
    for line in ("企业登记系统升级改造: accepted", "电子税务局数据共享二期: approved",
                 "社会保险经办系统整合: expert_review", "人口基础信息库扩容: incomplete",
                 "智慧养老服务平台: proposed"):  # fmt: skip
        assert line in projects
    assert "information-system projects" not in second.output
    vetoed = CliRunner().invoke(main, ["projects", "check", "2"])
    assert vetoed.exit_code == 1
    assert vetoed.output.startswith("not_registered\t电子发票开具信息")


def test_demo_says_which_port_another_program_holds(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import socket

    taken = int(os.environ["EXCHANGE_API_PORT"]) + 1
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        result = run("demo")
    assert result.exit_code == 1
    assert f"port {taken}" in result.output
    assert "Traceback" not in result.output


def test_demo_catalog_is_realistic(run, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert run("demo").exit_code == 0
    with database.engine.connect() as connection:
        by_type = dict(
            connection.execute(
                text(
                    "SELECT v.share_type, count(DISTINCT r.id) FROM catalog_resources r "
                    "JOIN catalog_versions v ON v.resource_id = r.id GROUP BY v.share_type"
                )
            ).all()
        )
        by_status = dict(
            connection.execute(
                text("SELECT status, count(*) FROM catalog_resources GROUP BY status")
            ).all()
        )
        providers = connection.execute(
            text("SELECT count(DISTINCT provider_department_id) FROM catalog_resources")
        ).scalar()
    assert set(by_type) == {"unconditional", "conditional", "not_shared"}
    # 30 departments' entries, and the cloud provider's utilisation reports (R33).
    assert sum(by_status.values()) == 31
    assert by_status["in_review"] >= 3
    assert by_status["published"] >= 20
    assert providers == 6  # five departments and the cloud provider; the bureau and others none


def test_catalog_export_and_import_commands(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo").exit_code == 0
    out = tmp_path / "catalog.xlsx"
    assert run("catalog", "export", "--format", "xlsx", "--output", str(out)).exit_code == 0
    dcat = tmp_path / "catalog.jsonld"
    assert run("catalog", "export", "--format", "dcat", "--output", str(dcat)).exit_code == 0
    assert len(orjson.loads(dcat.read_bytes())["dcat:dataset"]) >= 20
    bad = tmp_path / "bad.csv"
    bad.write_text("资源名称\n某资源\n", encoding="utf-8")
    refused = run("catalog", "import", str(bad), "--as", "scjg.catalog_registrar")
    assert refused.exit_code == 2
    assert "no header row of the template" in refused.output


def test_sweep_runs(run) -> None:  # type: ignore[no-untyped-def]
    result = run("deadlines", "sweep")
    assert result.exit_code == 0
    assert "reminded 0, escalated 0" in result.output


def test_r16_audit_export_takes_whole_city_days_both_included(
    run, database: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The README's ``--from 2026-01-01 --to 2026-12-31`` is the whole year as the city lives it:
    midnight to midnight in Asia/Shanghai, 31 December included."""
    from datetime import UTC, datetime

    from exchange import audit
    from exchange.principal import Principal

    actor = Principal.system("clock-check")
    moments = {
        "before the year": datetime(2025, 12, 31, 15, 59, tzinfo=UTC),  # 23:59 on 31 Dec 2025
        "new year's first minutes": datetime(2025, 12, 31, 16, 30, tzinfo=UTC),  # 00:30 on 1 Jan
        "new year's eve, late": datetime(2026, 12, 31, 15, 59, tzinfo=UTC),  # 23:59 on 31 Dec
        "after the year": datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # 00:00 on 1 Jan 2027
    }
    with database.transaction() as session:
        for label, at in moments.items():
            audit.record(session, at=at, actor=actor, action="clock.check", detail={"label": label})
    out = tmp_path / "year.jsonl"
    exported = run(
        "audit", "export", "--from", "2026-01-01", "--to", "2026-12-31", "--output", str(out)
    )
    assert exported.exit_code == 0, exported.output
    labels = {
        line["detail"]["label"]
        for line in map(orjson.loads, out.read_text(encoding="utf-8").splitlines())
        if line["action"] == "clock.check"
    }
    assert labels == {"new year's first minutes", "new year's eve, late"}
    backwards = run("audit", "export", "--from", "2026-02-01", "--to", "2026-01-31")
    assert backwards.exit_code != 0
    assert "before --from" in backwards.output


def test_serve_runs_one_worker_on_sqlite_and_refuses_more(
    run, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Workers learn of each other's grants through PostgreSQL; SQLite has no such channel."""
    from exchange.runtime import Platform
    from exchange_cli.platform import worker_count

    platform = Platform.create()
    if database.dialect == "postgresql":
        assert worker_count(platform, None) >= 1
        assert worker_count(platform, 3) == 3
        return
    assert worker_count(platform, None) == 1
    refused = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert refused.exit_code == 2
    assert "several workers need PostgreSQL" in refused.output
