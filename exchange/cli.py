"""The ``exchange`` command."""

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.audit import refusals
from exchange.errors import DomainError, is_refusal
from exchange.identity.models import User
from exchange.identity.roles import DepartmentKind, Role
from exchange.principal import Principal
from exchange.runtime import Platform

CLI_ACTOR = Principal.system("cli")


@click.group()
@click.pass_context
def main(context: click.Context) -> None:
    """Government data-sharing exchange platform."""
    context.obj = Platform.create()


pass_platform = click.make_pass_decorator(Platform)


def _fail(error: DomainError, platform: Platform) -> None:
    """Say what was wrong and stop; a refusal is recorded first, as at every entry point."""
    if is_refusal(error):
        context = click.get_current_context()
        command = " ".join(context.command_path.split()[1:])  # without the program's name
        arguments = {name: str(value) for name, value in context.params.items()}
        refusals.record_refusal(
            platform.database,
            at=platform.clock.now(),
            actor=CLI_ACTOR,
            action=f"cli {command}",
            path=command,
            detail={"message": error.message, "arguments": arguments},
        )
    click.echo(f"error: {error.message}", err=True)
    if error.detail:
        details = error.detail if isinstance(error.detail, list) else [error.detail]
        for line in details:
            click.echo(f"  {line}", err=True)
    sys.exit(2)


def _record(platform: Platform, action: str, detail: dict[str, object]) -> None:
    """Audit what an operator did from the command line, in a transaction of its own."""
    audit.record_in_own_transaction(
        platform.database, at=platform.clock.now(), actor=CLI_ACTOR, action=action, detail=detail
    )


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.UsageError(f"no user {username}")
    return user


@main.group()
def db() -> None:
    """The platform database."""


@db.command("upgrade")
@pass_platform
def db_upgrade(platform: Platform) -> None:
    """Create or migrate the schema to the newest version."""
    from migrations import current_revision, upgrade

    url = platform.database.url
    before = current_revision(url)
    upgrade(url)
    after = current_revision(url)
    dialect = platform.database.dialect
    if before is None:
        click.echo(f"created the database at revision {after} ({dialect})")
    elif before != after:
        click.echo(f"migrated the database from revision {before} to {after} ({dialect})")
    else:
        click.echo(f"the database was already up to date at revision {after} ({dialect})")


@main.group()
def admin() -> None:
    """Administrators."""


@admin.command("create")
@click.option("--username", required=True)
@click.option("--display-name", default="")
@click.option("--email", default=None)
@click.option("--department-code", required=True, help="Unified social credit code of the bureau.")
@click.option(
    "--department-name", default=None, help="Creates the department if it does not exist."
)
@click.password_option()
@pass_platform
def admin_create(
    platform: Platform,
    username: str,
    display_name: str,
    email: str | None,
    department_code: str,
    department_name: str | None,
    password: str,
) -> None:
    """Create the first bureau administrator (and the bureau itself)."""
    from exchange.identity.models import Department
    from exchange.identity.service import create_department, create_user

    now = platform.clock.now()
    try:
        with platform.database.transaction() as session:
            exists = session.scalar(
                select(Department.id).where(Department.code == department_code.upper())
            )
            if exists is None:
                if not department_name:
                    raise click.UsageError(
                        "the department does not exist: give --department-name to create it"
                    )
                create_department(
                    session,
                    actor=CLI_ACTOR,
                    now=now,
                    code=department_code,
                    name=department_name,
                    kind=DepartmentKind.GOVERNMENT,
                )
            user = create_user(
                session,
                actor=CLI_ACTOR,
                now=now,
                username=username,
                display_name=display_name,
                department_code=department_code.upper(),
                roles=[Role.BUREAU_ADMIN],
                email=email,
                password=password,
            )
    except DomainError as error:
        _fail(error, platform)
    click.echo(f"created bureau administrator {user.username} (id {user.id})")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--username", required=True)
@click.option("--name", default="cli", help="What the token is for.")
@click.option("--days", type=int, default=None, help="Lifetime; default from settings.")
@pass_platform
def token_create(platform: Platform, username: str, name: str, days: int | None) -> None:
    """Issue an API token for a user; the secret is printed once."""
    from exchange.identity.service import issue_token

    try:
        with platform.database.transaction() as session:
            user = _user(session, username)
            issued = issue_token(
                session,
                actor=CLI_ACTOR,
                now=platform.clock.now(),
                user_id=user.id,
                name=name,
                days=days or platform.settings.token_days,
            )
    except DomainError as error:
        _fail(error, platform)
    click.echo(issued.secret)
    click.echo(
        f"token {issued.token.id} for {username}, expires {issued.token.expires_at:%Y-%m-%d}",
        err=True,
    )


@main.group()
def calendar() -> None:
    """The working-day calendar (R23)."""


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_platform
def calendar_import(platform: Platform, file: Path) -> None:
    """Import a year's official schedule (CSV: date,type,name) and recompute provisional deadlines."""
    from exchange.workdays.schedule import import_schedule, parse_schedule_csv

    try:
        days = parse_schedule_csv(file.read_text(encoding="utf-8"))
        with platform.database.transaction() as session:
            result = import_schedule(
                session,
                days=days,
                source=file.name,
                actor=CLI_ACTOR,
                now=platform.clock.now(),
                zone=platform.settings.zone,
            )
    except DomainError as error:
        _fail(error, platform)
    years = ", ".join(map(str, result.years))
    click.echo(
        f"imported {result.days} days for {years}; recomputed {result.recomputed_deadlines} deadlines"
    )


@calendar.command("show")
@click.argument("year", type=int)
@pass_platform
def calendar_show(platform: Platform, year: int) -> None:
    """List the days off on weekdays and the weekend days worked in YEAR."""
    from datetime import timedelta

    with platform.database.transaction() as session:
        cal = platform.calendar(session)
    status = "official schedule" if cal.has_schedule(year) else "NO SCHEDULE LOADED (weekends only)"
    click.echo(f"{year}: {status}")
    day = date(year, 1, 1)
    while day.year == year:
        weekend = day.weekday() >= 5
        if cal.is_working_day(day) == weekend:
            click.echo(f"  {day}  {'workday' if weekend else 'holiday'}")
        day += timedelta(days=1)


@main.group()
def deadlines() -> None:
    """Working-day deadlines."""


@deadlines.command("sweep")
@pass_platform
def deadlines_sweep(platform: Platform) -> None:
    """Send due reminders and escalate overdue deadlines, once each; then deliver e-mail."""
    from exchange.audit.refusals import summarise_closed_hours
    from exchange.deadlines.sweep import sweep
    from exchange.notifications.delivery import deliver_outbox

    with platform.database.transaction() as session:
        result = sweep(session, now=platform.clock.now(), email=platform.settings.email_enabled)
        summarise_closed_hours(session, now=platform.clock.now())
    delivery = deliver_outbox(platform.database, platform.settings, platform.clock)
    click.echo(
        f"reminded {result.reminded}, escalated {result.escalated}; "
        f"e-mails sent {delivery.sent}, failed {delivery.failed}"
    )


@main.group("audit")
def audit_group() -> None:
    """The audit log (R16)."""


@audit_group.command("verify")
@pass_platform
def audit_verify(platform: Platform) -> None:
    """Check the whole hash chain, then against the newest checkpoint of its heads; names the
    first altered, missing or reordered record, or a chain cut short."""
    from exchange.audit.checkpoint import verify_audit

    with platform.database.engine.connect() as connection:
        report = verify_audit(connection, platform.settings)
    click.echo(report.message)
    if not report.ok:
        sys.exit(1)


@audit_group.command("checkpoint")
@pass_platform
def audit_checkpoint(platform: Platform) -> None:
    """Sign the chains' heads and keep them beside the warehouse (also done daily and by backups)."""
    from exchange.audit.checkpoint import write_checkpoint

    with platform.database.engine.connect() as connection:
        name = write_checkpoint(connection, platform.settings, now=platform.clock.now())
    click.echo(f"audit checkpoint {name} written")


def _day_start(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@audit_group.command("export")
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), required=True
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), required=True)
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
@pass_platform
def audit_export(platform: Platform, start: datetime, end: datetime, output: TextIO) -> None:
    """Write records with FROM <= time < TO (UTC) as JSON Lines."""
    from exchange.audit.retention import export_jsonl

    with platform.database.engine.connect() as connection:
        count = export_jsonl(connection, output, start=_day_start(start), end=_day_start(end))
    _record(
        platform,
        "audit.export",
        {"from": start.isoformat(), "to": end.isoformat(), "records": count},
    )
    click.echo(f"exported {count} records", err=True)


@audit_group.command("purge")
@click.option("--before", type=click.DateTime(["%Y-%m-%d"]), required=True)
@pass_platform
def audit_purge(platform: Platform, before: datetime) -> None:
    """Remove records older than BEFORE; refused for anything younger than 15 years."""
    from exchange.audit.retention import purge

    try:
        with platform.database.transaction() as session:
            removed = purge(
                session, before=_day_start(before), now=platform.clock.now(), actor=CLI_ACTOR
            )
    except DomainError as error:
        _fail(error, platform)
    click.echo(f"purged {removed} records")


@main.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
@pass_platform
def backup(platform: Platform, destination: Path) -> None:
    """Copy the database, then the warehouse, into the new folder DESTINATION; safe while the
    platform runs and ingests."""
    from exchange.backup import take_backup

    try:
        summary = take_backup(platform.settings, destination, now=platform.clock.now())
    except DomainError as error:
        _fail(error, platform)
    _record(
        platform,
        "platform.backup",
        {
            "path": str(summary.path.resolve()),
            "files": summary.files,
            "bytes": summary.bytes,
            "revision": summary.revision,
        },
    )
    click.echo(
        f"backup written to {summary.path}: {summary.dialect} database at revision "
        f"{summary.revision}, {summary.files} files, {summary.bytes:,} bytes"
    )


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--replace", is_flag=True, help="Overwrite a database and warehouse that are not empty."
)
@pass_platform
def restore(platform: Platform, source: Path, replace: bool) -> None:
    """Restore a backup into this platform's database and warehouse, then check it: the audit
    chain, every table's files, every ingest run's snapshot. Stop the platform first."""
    from exchange.backup import restore_backup

    try:
        check = restore_backup(platform.settings, source, replace=replace)
    except DomainError as error:
        _fail(error, platform)
    click.echo(check.audit.message)
    click.echo(f"{check.tables} tables, {check.data_files} data files present")
    for problem in check.problems:
        click.echo(f"problem: {problem}", err=True)
    if not check.ok:
        sys.exit(1)
    _record(
        platform, "platform.restore", {"path": str(source.resolve()), "taken_at": check.taken_at}
    )
    click.echo("restored and consistent")


@main.group("catalog")
def catalog_group() -> None:
    """The catalog (R1-R8)."""


@catalog_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as", "username", required=True, help="The registrar the entries are registered by."
)
@pass_platform
def catalog_import(platform: Platform, file: Path, username: str) -> None:
    """Import entries from the spreadsheet template (.xlsx or .csv); all or nothing."""
    from catalog.transfer import import_catalog
    from exchange.identity.service import principal_for

    try:
        with platform.database.transaction() as session:
            user = _user(session, username)
            result = import_catalog(
                session,
                actor=principal_for(user),
                now=platform.clock.now(),
                content=file.read_bytes(),
                filename=file.name,
                max_rows=platform.settings.import_max_rows,
            )
    except DomainError as error:
        _fail(error, platform)
    click.echo(f"created {len(result.created)} entries, changed {len(result.changed)}")
    for code in result.created + result.changed:
        click.echo(f"  {code}")


@catalog_group.command("export")
@click.option(
    "--format", "export_format", type=click.Choice(["xlsx", "csv", "json", "dcat"]), default="xlsx"
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_platform
def catalog_export(platform: Platform, export_format: str, output: Path) -> None:
    """Export the published catalog."""
    import orjson

    from catalog.dcat import dcat_catalog
    from catalog.spreadsheet import entry_rows, write_csv, write_xlsx
    from catalog.transfer import entries_for_export

    with platform.database.transaction() as session:
        if export_format == "dcat":
            content = orjson.dumps(
                dcat_catalog(session, base_url=platform.settings.public_base_url)
            )
        else:
            chosen = entries_for_export(session, viewer=CLI_ACTOR)
            if export_format == "json":
                content = orjson.dumps(
                    [{"code": r.code, **d.model_dump(mode="json")} for r, d in chosen]
                )
            else:
                rows = (
                    row for resource, draft in chosen for row in entry_rows(resource.code, draft)
                )
                content = write_xlsx(rows) if export_format == "xlsx" else write_csv(rows)
    output.write_bytes(content)
    click.echo(f"wrote {output}")


@main.group("collection")
def collection_group() -> None:
    """Sources and ingestion (R9-R11)."""


@collection_group.command("sync-dags")
@pass_platform
def collection_sync_dags(platform: Platform) -> None:
    """Rewrite the source list the ingestion DAG file reads."""
    from collection.dagspecs import write_dag_specs

    with platform.database.transaction() as session:
        count = write_dag_specs(session, platform.settings.dag_specs_path)
    click.echo(f"{count} ingestion DAGs listed in {platform.settings.dag_specs_path}")


@collection_group.command("ingest")
@click.argument("source_id", type=int)
@click.option("--run-key", default=None, help="Idempotency key; the same key never writes twice.")
@pass_platform
def collection_ingest(platform: Platform, source_id: int, run_key: str | None) -> None:
    """Ingest one source now."""
    import uuid

    from collection.ingest import ingest

    try:
        run = ingest(platform, source_id=source_id, run_key=run_key or f"cli-{uuid.uuid4().hex}")
    except DomainError as error:
        _fail(error, platform)
    click.echo(
        f"run {run.id}: {run.rows_written} rows written, {run.rows_rejected} kept aside, snapshot {run.snapshot_id}"
    )


@collection_group.command("freshness")
@pass_platform
def collection_freshness(platform: Platform) -> None:
    """Each published resource's last update against its cycle."""
    from collection.freshness import freshness

    with platform.database.transaction() as session:
        for item in freshness(session, now=platform.clock.now()):
            last = (
                item.last_success_at.isoformat(timespec="minutes") if item.last_success_at else "-"
            )
            click.echo(
                f"{item.status:8} {item.code:12} {item.update_cycle:12} {last:25} {item.name}"
            )


@main.group("quality")
def quality_group() -> None:
    """Data quality (R18, R19)."""


@quality_group.command("validate")
@click.argument("code")
@click.option("--snapshot", "snapshot_id", type=int, default=None, help="Default: the current one.")
@pass_platform
def quality_validate(platform: Platform, code: str, snapshot_id: int | None) -> None:
    """Run a resource's suite on a snapshot now."""
    from quality.validation import validate_snapshot

    try:
        run = validate_snapshot(platform, code=code, snapshot_id=snapshot_id)
    except DomainError as error:
        _fail(error, platform)
    click.echo(
        f"run {run.id} on snapshot {run.snapshot_id}: {'passed' if run.passed else 'failed'}"
    )
    for check in run.report["checks"]:
        if not check["success"]:
            blocking = " (blocking: snapshot quarantined)" if check["blocking"] else ""
            click.echo(f"  {check['check']}: {check['failed_rows']} rows{blocking}")


@quality_group.command("compare")
@click.argument("comparison_id", type=int)
@pass_platform
def quality_compare(platform: Platform, comparison_id: int) -> None:
    """Run a comparison on the current snapshots now."""
    from quality.comparisons import run_comparison

    try:
        run = run_comparison(platform, comparison_id=comparison_id, actor=CLI_ACTOR)
    except DomainError as error:
        _fail(error, platform)
    click.echo(
        f"run {run.id}: {run.matched} keys matched, {run.mismatched_rows} with differing values, "
        f"{run.left_only} only left, {run.right_only} only right"
    )


@main.command("demo-systems")
@pass_platform
def demo_systems_serve(platform: Platform) -> None:
    """Serve the demo tax authority's API (127.0.0.1, the API port + 1) for scheduled ingestion."""
    from collection.demo import tax_api_server

    tax_json = platform.settings.data_dir / "demo-systems" / "tax_taxpayers.json"
    if not tax_json.exists():
        raise click.UsageError("run `exchange demo` first: it generates the demo systems")
    server = tax_api_server(tax_json, platform.settings.api_port + 1)
    click.echo(f"demo tax API on http://127.0.0.1:{platform.settings.api_port + 1}/taxpayers")
    server.serve_forever()


@main.command("check-config")
@pass_platform
def check_config(platform: Platform) -> None:
    """Name each setting a production deployment must change; with EXCHANGE_PRODUCTION=true,
    fail when there is one."""
    found = _check_deployment(platform)
    mode = "production" if platform.settings.production else "embedded"
    click.echo(f"settings checked ({mode}): {len(found)} to change for production")


def _check_deployment(platform: Platform) -> list[str]:
    """Show what production must change; in production mode, stop when there is anything."""
    from exchange.deployment_check import findings

    found = findings(platform.settings)
    for line in found:
        click.echo(f"{'error' if platform.settings.production else 'note'}: {line}", err=True)
    if found and platform.settings.production:
        sys.exit(2)
    return found


def _refuse_in_production(platform: Platform, what: str) -> None:
    if platform.settings.production:
        raise click.UsageError(f"{what} is refused when EXCHANGE_PRODUCTION is true")


@main.command()
@click.option("--host", default=None, help="Default from EXCHANGE_API_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default from EXCHANGE_API_PORT (8000).")
@pass_platform
def serve(platform: Platform, host: str | None, port: int | None) -> None:
    """Serve the API and portal."""
    import uvicorn

    if platform.settings.production:
        _check_deployment(platform)

    uvicorn.run(
        "exchange_api.app:create_app",
        factory=True,
        host=host or platform.settings.api_host,
        port=port or platform.settings.api_port,
        log_config=None,
    )


@main.command()
@click.option(
    "--rows", type=int, default=2000, show_default=True, help="Rows per demo source system."
)
@pass_platform
def demo(platform: Platform, rows: int) -> None:
    """Seed demonstration departments, users, catalog and source systems; say how to log in."""
    _refuse_in_production(platform, "seeding demonstration users with a shared password")
    from catalog.demo import seed_catalog
    from exchange.demo import DEMO_PASSWORD, seed_identity
    from exchange.identity.service import issue_token

    with platform.database.transaction() as session:
        users = seed_identity(session, platform=platform)
        added = seed_catalog(session, env=platform.workflow_environment(session))
        admin_user = session.scalar(select(User).where(User.username == "dsj.bureau_admin"))
        assert admin_user is not None
        issued = issue_token(
            session,
            actor=CLI_ACTOR,
            now=platform.clock.now(),
            user_id=admin_user.id,
            name="demo",
            days=7,
        )
    host, port = platform.settings.api_host, platform.settings.api_port
    click.echo(f"Demo users (password for all: {DEMO_PASSWORD}):")
    for user in users:
        click.echo(f"  {user.username:32} {user.role.value:22} {user.department}")
    if added:
        click.echo(
            f"\nDemo catalog: {added} entries registered (most published, some pending review)."
        )
    from collection import demo as demo_systems
    from collection.dagspecs import write_dag_specs

    systems = demo_systems.generate(
        platform.settings.data_dir / "demo-systems",
        rows=rows,
        drops=demo_systems.demo_drops(platform),
    )
    try:
        with demo_systems.tax_api_running(
            systems.tax_json, platform.settings.api_port + 1
        ) as tax_url:
            loaded = demo_systems.seed_sources(platform, systems, tax_url)
    except demo_systems.DemoPortTaken as taken:
        raise click.ClickException(str(taken)) from taken
    with platform.database.transaction() as session:
        write_dag_specs(session, platform.settings.dag_specs_path)
    click.echo("\nDemo source systems collected into the unified store:")
    for name, source_id, written in loaded:
        click.echo(f"  source {source_id}: {name} ({written} rows)")
    from quality.demo import seed_quality

    quality = seed_quality(platform)
    click.echo("\nValidated on load (data stewards see the reports under /api/v1/quality):")
    for code, passed, failing in quality.validated:
        click.echo(f"  {code}: {'passed' if passed else f'{failing} failing rows, issue opened'}")
    click.echo(
        f"Comparison of the enterprise and taxpayer registers: {quality.findings} findings "
        f"(report: /api/v1/quality/comparison-runs/{quality.comparison_run_id}/report)"
    )
    click.echo(f"\nAPI token of dsj.bureau_admin (valid 7 days): {issued.secret}")
    click.echo(f"  curl -H 'Authorization: Bearer {issued.secret}' http://{host}:{port}/api/v1/me")
    click.echo(f"API documentation: http://{host}:{port}/docs")
    click.echo("Another user's token: POST /api/v1/auth/token with username and password.")


if __name__ == "__main__":
    main()
