"""Every morning: each comparison a steward defined (R18) runs on the current snapshots of its two
resources, unless both are unchanged since its last run."""

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="quality_comparisons",
    schedule="0 6 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["quality"],
)
def quality_comparisons() -> None:
    @task
    def comparisons_in_use() -> list[int]:
        from sqlalchemy import select

        from exchange.runtime import Platform
        from quality.models import Comparison

        with Platform.create().database.transaction() as session:
            return list(
                session.scalars(
                    select(Comparison.id)
                    .where(Comparison.retired_at.is_(None))
                    .order_by(Comparison.id)
                )
            )

    @task
    def compare(comparison_id: int) -> dict[str, int]:
        from exchange.principal import Principal
        from exchange.runtime import Platform
        from quality.comparisons import run_comparison

        run = run_comparison(
            Platform.create(),
            comparison_id=comparison_id,
            actor=Principal.system("quality-schedule"),
            only_if_changed=True,
        )
        return {
            "comparison": comparison_id,
            "run": run.id,
            "findings": run.report["findings_total"],
        }

    compare.expand(comparison_id=comparisons_in_use())


quality_comparisons()
