"""``exchange demo``: demonstration departments, users, catalog, source systems and quality,
seeded through the same services as everything else; and the demo tax authority's API."""

import click
from sqlalchemy import select

from exchange.identity.models import User
from exchange.runtime import Platform
from exchange_cli.app import CLI_ACTOR, main, pass_platform
from exchange_cli.platform import refuse_in_production


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


@main.command()
@click.option(
    "--rows", type=int, default=2000, show_default=True, help="Rows per demo source system."
)
@pass_platform
def demo(platform: Platform, rows: int) -> None:
    """Seed demonstration departments, users, catalog and source systems; say how to log in."""
    refuse_in_production(platform, "seeding demonstration users with a shared password")
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
            loaded = demo_systems.seed_sources(platform, systems, tax_url, history=True)
    except demo_systems.DemoPortTaken as taken:
        raise click.ClickException(str(taken)) from taken
    with platform.database.transaction() as session:
        write_dag_specs(session, platform.settings.dag_specs_path)
    click.echo("\nDemo source systems collected into the unified store:")
    for name, source_id, written in loaded:
        click.echo(f"  source {source_id}: {name} ({written} rows)")
    from collection.ingest import latest_snapshots
    from quality.demo import seed_quality

    with platform.database.transaction() as session:
        snapshots = latest_snapshots(session)
    quality = seed_quality(platform, snapshots)
    click.echo("\nValidated on load (data stewards see the reports under /api/v1/quality):")
    for code, passed, failing in quality.validated:
        click.echo(f"  {code}: {'passed' if passed else f'{failing} failing rows, issue opened'}")
    click.echo(
        f"Comparison of the enterprise and taxpayer registers: {quality.findings} findings "
        f"(report: /api/v1/quality/comparison-runs/{quality.comparison_run_id}/report)"
    )
    from supervision.demo import seed_history

    history = seed_history(platform)
    if history.reads:
        click.echo(
            f"\nSix months of history for the dashboard (/supervision/dashboard): loads every "
            f"two weeks with their quality issues answered, "
            f"{history.requests} requests ({history.late} decided late), {history.reads} reads"
        )
    from projects.demo import seed_projects

    projects = seed_projects(platform)
    if projects:
        click.echo("\nDemo information-system projects (R24-R28):")
        for name, state in projects:
            click.echo(f"  {name}: {state}")
    from cloud.demo import seed_cloud

    on_cloud = seed_cloud(platform)
    if on_cloud:
        click.echo("\nDemo systems on the government cloud (R29-R32):")
        for name, state in on_cloud:
            click.echo(f"  {name}: {state}")
    click.echo(f"\nAPI token of dsj.bureau_admin (valid 7 days): {issued.secret}")
    click.echo(f"  curl -H 'Authorization: Bearer {issued.secret}' http://{host}:{port}/api/v1/me")
    click.echo(f"API documentation: http://{host}:{port}/docs")
    click.echo("Another user's token: POST /api/v1/auth/token with username and password.")


@main.command("demo-airflow")
@click.option("--airflow-port", type=int, default=8080, show_default=True)
@pass_platform
def demo_airflow(platform: Platform, airflow_port: int) -> None:
    """After `exchange demo`: serve the platform with Airflow 3 scheduling its DAGs."""
    refuse_in_production(platform, "running Airflow on the embedded defaults")
    from exchange_cli.local_airflow import run

    run(platform.settings, airflow_port)
