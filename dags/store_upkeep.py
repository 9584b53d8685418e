"""Every night: the warehouse's upkeep — snapshots past their retention that nothing points to
expired, and data files no snapshot references (a killed run's, an expired snapshot's) removed
once older than any run takes; each table's removals audited (supervision.store_upkeep)."""

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="store_upkeep",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["maintenance"],
)
def store_upkeep() -> None:
    @task
    def keep_store_tidy() -> dict[str, int]:
        from exchange.runtime import Platform
        from supervision.store_upkeep import keep_store_tidy as tidy

        report = tidy(Platform.create())
        return {
            "snapshots_expired": sum(len(ids) for ids in report.expired.values()),
            "files_removed": sum(len(paths) for paths in report.removed.values()),
        }

    keep_store_tidy()


store_upkeep()
