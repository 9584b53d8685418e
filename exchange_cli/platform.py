"""Commands that run the platform itself: its database, administrators, tokens, calendar,
deadlines, audit log, backups, configuration check and the API server."""

import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy import select

from exchange.errors import DomainError, InvalidInput
from exchange.identity.roles import DepartmentKind, Role
from exchange.runtime import Platform
from exchange_cli.app import CLI_ACTOR, fail, main, pass_platform, record_operation, user_named


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
@click.option(
    "--role",
    type=click.Choice(
        [str(r) for r in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR, Role.BUREAU_ADMIN)]
    ),
    default=str(Role.SYSTEM_ADMIN),
    show_default=True,
    help="R21: the system administrator keeps accounts, the security administrator grants roles, "
    "the auditor reads the audit log; one person each.",
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
    role: str,
    password: str,
) -> None:
    """Create one of the bureau's first administrators (and the bureau itself)."""
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
                roles=[Role(role)],
                email=email,
                password=password,
            )
    except DomainError as error:
        fail(error, platform)
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
            user = user_named(session, username)
            issued = issue_token(
                session,
                actor=CLI_ACTOR,
                now=platform.clock.now(),
                user_id=user.id,
                name=name,
                days=days or platform.settings.token_days,
            )
    except DomainError as error:
        fail(error, platform)
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
        fail(error, platform)
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
    """Send due reminders and escalate overdue deadlines, once each; mark abandoned the work
    whose process died (ingest runs, validations, comparisons…) and run it again where that is
    safe; then deliver e-mail."""
    from supervision.work_recovery import sweep_and_recover

    report = sweep_and_recover(platform)
    recovered = report.recovered
    click.echo(
        f"reminded {report.reminded}, escalated {report.escalated}; "
        f"ingest runs abandoned {len(recovered.runs_abandoned)}, "
        f"retried {len(recovered.runs_retried)}; other work abandoned "
        f"{len(recovered.work_abandoned)}, retried {len(recovered.work_retried)}; "
        f"e-mails sent {report.emails_sent}, failed {report.emails_failed}"
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


def _city_midnight(platform: Platform, day: datetime) -> datetime:
    """The start of a calendar day in the city: operators name days as the city lives them."""
    return datetime.combine(day.date(), time.min, platform.settings.zone)


@audit_group.command("export")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
@pass_platform
def audit_export(platform: Platform, start: datetime, end: datetime, output: TextIO) -> None:
    """Write the records of the days FROM to TO, both included, in the city's time zone, as JSON
    Lines."""
    from exchange.audit.retention import export_jsonl

    if end < start:
        fail(InvalidInput("--to {end} is before --from {start}", end=f"{end:%Y-%m-%d}",
                          start=f"{start:%Y-%m-%d}"), platform)  # fmt: skip
    first, after_last = (
        _city_midnight(platform, start),
        _city_midnight(platform, end + timedelta(days=1)),
    )
    with platform.database.engine.connect() as connection:
        count = export_jsonl(connection, output, start=first, end=after_last)
    record_operation(
        platform,
        "audit.export",
        {"from": f"{start:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}", "records": count},
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
                session,
                before=_city_midnight(platform, before),
                now=platform.clock.now(),
                actor=CLI_ACTOR,
            )
    except DomainError as error:
        fail(error, platform)
    click.echo(f"purged {removed} records")


@main.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
@pass_platform
def backup(platform: Platform, destination: Path) -> None:
    """Copy the database, then the warehouse, into the new folder DESTINATION; safe while the
    platform runs and ingests."""
    from exchange.background_work import tracked
    from exchange.backup import take_backup

    try:
        with tracked(platform, "backup", str(destination)):
            summary = take_backup(platform.settings, destination, now=platform.clock.now())
    except DomainError as error:
        fail(error, platform)
    record_operation(
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


@main.group()
def tls() -> None:
    """Certificates for the deployment's proxy."""


@tls.command("self-signed")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", "hosts", multiple=True, required=True, help="A name or address; repeat.")
def tls_self_signed(folder: Path, hosts: tuple[str, ...]) -> None:
    """Write a self-signed cert.pem and key.pem into FOLDER, unless a certificate is there."""
    from exchange.tls import self_signed

    made = self_signed(folder, list(hosts))
    click.echo(f"{'made' if made else 'kept'} the certificate in {folder}")


@main.group()
def keys() -> None:
    """The warehouse's keys for sensitive items (R21)."""


@keys.command("rotate")
@pass_platform
def keys_rotate(platform: Platform) -> None:
    """Add a root key and re-wrap every resource's data key with it; no data file is rewritten.
    The older root keys stay in the key file, so files and backups written under them still open."""
    from exchange.store import UnifiedStore

    try:
        number, rewrapped = UnifiedStore(platform.settings).rotate_keys()
    except DomainError as error:
        fail(error, platform)
    record_operation(platform, "platform.rotate_keys", {"root_key": number, "resources": rewrapped})
    click.echo(f"root key {number} now wraps the keys of {rewrapped} resources")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--replace", is_flag=True, help="Overwrite a database and warehouse that are not empty."
)
@pass_platform
def restore(platform: Platform, source: Path, replace: bool) -> None:
    """Restore a backup into this platform's database and warehouse, then check it: the audit
    chain, every table's files, every ingest run's snapshot. Stop the platform first."""
    from collection.ingest import committed_snapshots
    from exchange.backup import restore_backup

    try:
        check = restore_backup(
            platform.settings, source, ledgers=[committed_snapshots], replace=replace
        )
    except DomainError as error:
        fail(error, platform)
    click.echo(check.audit.message)
    click.echo(f"{check.tables} tables, {check.data_files} data files present")
    for problem in check.problems:
        click.echo(f"problem: {problem}", err=True)
    if not check.ok:
        sys.exit(1)
    record_operation(
        platform, "platform.restore", {"path": str(source.resolve()), "taken_at": check.taken_at}
    )
    # The source list the ingestion DAGs are made from lives beside the data, not in the backup:
    # written again from the restored sources, scheduling resumes where it was.
    from collection.dagspecs import write_dag_specs

    with platform.database.transaction() as session:
        write_dag_specs(session, platform.settings.dag_specs_path)
    click.echo("restored and consistent")


@main.command("check-config")
@pass_platform
def check_config(platform: Platform) -> None:
    """Name each setting a production deployment must change; with EXCHANGE_PRODUCTION=true,
    fail when there is one."""
    found = check_deployment(platform)
    mode = "production" if platform.settings.production else "embedded"
    click.echo(f"settings checked ({mode}): {len(found)} to change for production")


def check_deployment(platform: Platform) -> list[str]:
    """Show what production must change; in production mode, stop when there is anything."""
    from exchange.deployment_check import findings

    found = findings(platform.settings)
    for line in found:
        click.echo(f"{'error' if platform.settings.production else 'note'}: {line}", err=True)
    if found and platform.settings.production:
        sys.exit(2)
    return found


def refuse_in_production(platform: Platform, what: str) -> None:
    if platform.settings.production:
        raise click.UsageError(f"{what} is refused when EXCHANGE_PRODUCTION is true")


@main.command()
@click.option("--host", default=None, help="Default from EXCHANGE_API_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default from EXCHANGE_API_PORT (8000).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (EXCHANGE_API_WORKERS); default the cores on PostgreSQL, 1 on SQLite.",
)
@pass_platform
def serve(platform: Platform, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API and portal."""
    from exchange_cli.serving import serve as serve_api

    if platform.settings.production:
        check_deployment(platform)
    serve_api(
        host or platform.settings.api_host,
        port or platform.settings.api_port,
        worker_count(platform, workers or platform.settings.api_workers),
        platform.settings.log_level,
    )


def worker_count(platform: Platform, asked: int | None) -> int:
    """Each worker keeps grants, suspensions and checked tokens in memory and learns of other
    processes' changes by PostgreSQL NOTIFY; on SQLite there is no such channel, so one."""
    if platform.database.dialect != "postgresql":
        if asked is not None and asked > 1:
            raise click.UsageError(
                "several workers need PostgreSQL: on SQLite a worker would not learn of the "
                "grants and revocations another one makes"
            )
        return 1
    return asked or os.cpu_count() or 1
