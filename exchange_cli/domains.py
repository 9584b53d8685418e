"""Commands of the domains: the catalog's import and export, collection runs and freshness,
validation and comparisons."""

from pathlib import Path

import click

from exchange.errors import DomainError
from exchange.i18n import Message
from exchange.runtime import Platform
from exchange_cli.app import CLI_ACTOR, fail, main, pass_platform, user_named


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
            user = user_named(session, username)
            result = import_catalog(
                session,
                actor=principal_for(user),
                now=platform.clock.now(),
                content=file.read_bytes(),
                filename=file.name,
                max_rows=platform.settings.import_max_rows,
            )
    except DomainError as error:
        fail(error, platform)
    click.echo(
        f"created {len(result.created)} entries, changed {len(result.changed)}, "
        f"left {len(result.unchanged)} unchanged"
    )
    for code in result.created + result.changed:
        click.echo(f"  {code}")
    for warning in result.warnings:
        click.echo(f"  note: {warning.get('row', '')} {warning['warning']}")


@catalog_group.command("export")
@click.option(
    "--format", "export_format", type=click.Choice(["xlsx", "csv", "json", "dcat"]), default="xlsx"
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_platform
def catalog_export(platform: Platform, export_format: str, output: Path) -> None:
    """Export the published catalog."""
    from catalog.transfer import export_catalog

    with platform.database.transaction() as session:
        content = export_catalog(
            session, actor=CLI_ACTOR, export_format=export_format,
            base_url=platform.settings.public_base_url,
        ).content  # fmt: skip
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
        fail(error, platform)
    click.echo(
        f"run {run.id}: {run.rows_written} rows written, {run.rows_rejected} kept aside, snapshot {run.snapshot_id}"
    )


@collection_group.command("upkeep")
@pass_platform
def collection_upkeep(platform: Platform) -> None:
    """Expire old snapshots nothing points to and remove files no snapshot references (what the
    nightly store_upkeep DAG does)."""
    from supervision.store_upkeep import keep_store_tidy

    report = keep_store_tidy(platform)
    expired = sum(len(ids) for ids in report.expired.values())
    removed = sum(len(paths) for paths in report.removed.values())
    click.echo(
        f"expired {expired} snapshots and removed {removed} files in {len(report.expired)} tables"
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
        fail(error, platform)
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
        fail(error, platform)
    click.echo(
        f"run {run.id}: {run.matched} keys matched, {run.mismatched_rows} with differing values, "
        f"{run.left_only} only left, {run.right_only} only right"
    )


@main.group("projects")
def projects_group() -> None:
    """Information-system projects (R24-R28)."""


@projects_group.command("check")
@click.argument("project_id", type=int)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@pass_platform
def projects_check(platform: Platform, project_id: int, lang: str) -> None:
    """Run the sharing check of a project (R27): each veto with its evidence; exit status 1 while
    a veto stands."""
    from projects.sharing_check import check_project, explain

    try:
        with platform.database.transaction() as session:
            check = check_project(session, actor=CLI_ACTOR, now=platform.clock.now(),
                                  project_id=project_id)  # fmt: skip
            findings = list(check.findings)
    except DomainError as error:
        fail(error, platform)
    if not findings:
        click.echo(Message("the sharing check passed").in_language(lang))
        return
    for found in findings:
        click.echo(f"{found['veto']}\t{explain(found, lang)}\t{found['link'] or ''}")
    raise SystemExit(1)
