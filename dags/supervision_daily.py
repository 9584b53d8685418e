"""Every morning: freshness enforcement (R11) — warn departments whose data is late, suspend the
grants of those still late when their grace period ends, restore those whose data is fresh — then
this month's and this year's department scorecards, and new findings for the violations register
(R20), and last month's usage statements for consumers to confirm (R17). Beside them, the audit
chains' heads are checkpointed outside the database (R16), and the projects are watched: materials
not completed in time go back (R25), and units whose catalog shrank below what their accepted
projects promised are flagged to the finance office, or their flag lifted (R27)."""

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="supervision_daily",
    schedule="30 6 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["supervision"],
)
def supervision_daily() -> None:
    @task
    def enforce_freshness() -> dict[str, list[int]]:
        from exchange.runtime import Platform
        from supervision.enforcement import enforce_freshness as enforce

        platform = Platform.create()
        with platform.database.transaction() as session:
            result = enforce(session, env=platform.workflow_environment(session))
        return {"warned": result.warned, "suspended": result.suspended, "restored": result.restored}

    @task
    def compute_scorecards() -> dict[str, int]:
        from exchange.runtime import Platform
        from supervision.work_recovery import compute_scorecards as compute

        platform = Platform.create()
        today = platform.clock.now().astimezone(platform.settings.zone).date()
        return {period: compute(platform, period) for period in (f"{today:%Y-%m}", f"{today:%Y}")}

    @task
    def detect_violations() -> int:
        from exchange.runtime import Platform
        from supervision.work_recovery import detect_violations as detect

        return detect(Platform.create())

    @task
    def draw_up_usage_statements() -> int:
        from datetime import timedelta

        from exchange.runtime import Platform
        from supervision.statements import generate

        platform = Platform.create()
        today = platform.clock.now().astimezone(platform.settings.zone).date()
        last_month = today.replace(day=1) - timedelta(days=1)
        with platform.database.transaction() as session:
            made = generate(session, period=f"{last_month:%Y-%m}", zone=platform.settings.zone,
                            now=platform.clock.now())  # fmt: skip
            return len(made)

    @task
    def checkpoint_audit_chains() -> str:
        from exchange.audit.checkpoint import write_checkpoint
        from exchange.runtime import Platform

        platform = Platform.create()
        with platform.database.engine.connect() as connection:
            return write_checkpoint(connection, platform.settings, now=platform.clock.now())

    @task
    def watch_projects() -> dict[str, list[int]]:
        from exchange.runtime import Platform
        from projects.applications import return_overdue
        from projects.funding import review_funding

        platform = Platform.create()
        with platform.database.transaction() as session:
            returned = return_overdue(session, env=platform.workflow_environment(session))
        with platform.database.transaction() as session:
            flags = review_funding(session, now=platform.clock.now())
        return {"returned": returned, **flags}

    enforce_freshness() >> compute_scorecards() >> detect_violations() >> draw_up_usage_statements()
    checkpoint_audit_chains()
    watch_projects()


supervision_daily()
