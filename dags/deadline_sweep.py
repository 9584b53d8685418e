"""Every quarter of an hour: reminders one working day before deadlines, escalation once they
pass (each exactly once); ingest runs whose process died marked abandoned and run again with
their keys; then the e-mail outbox; and the summaries of anonymous refusals of hours that are
over."""

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
        from collection.recovery import abandon_dead_runs, retry_abandoned
        from exchange.audit.refusals import summarise_closed_hours
        from exchange.deadlines.sweep import sweep
        from exchange.notifications.delivery import deliver_outbox
        from exchange.runtime import Platform

        platform = Platform.create()
        with platform.database.transaction() as session:
            result = sweep(session, now=platform.clock.now(),
                           email=platform.settings.email_enabled, zone=platform.settings.zone)  # fmt: skip
        abandoned = abandon_dead_runs(platform)
        retried = retry_abandoned(platform, abandoned)
        delivery = deliver_outbox(platform.database, platform.settings, platform.clock)
        with platform.database.transaction() as session:
            summaries = summarise_closed_hours(session, now=platform.clock.now())
        return {
            "refusal_summaries": summaries,
            "reminded": result.reminded,
            "escalated": result.escalated,
            "runs_abandoned": len(abandoned),
            "runs_retried": len(retried),
            "emails_sent": delivery.sent,
        }

    sweep_deadlines()


deadline_sweep()
