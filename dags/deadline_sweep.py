"""Every quarter of an hour: reminders one working day before deadlines, escalation once they
pass (each exactly once); work whose process died (ingest runs, validations, comparisons…)
marked abandoned and run again where that is safe; then the e-mail outbox; and the summaries of
anonymous refusals of hours that are over."""

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="deadline_sweep",
    schedule=timedelta(minutes=15),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["deadlines"],
)
def deadline_sweep() -> None:
    @task
    def sweep_deadlines() -> dict[str, int]:
        from exchange.runtime import Platform
        from supervision.work_recovery import sweep_and_recover

        return sweep_and_recover(Platform.create()).as_counts()

    sweep_deadlines()


deadline_sweep()
