"""Per registered source, one ingestion DAG (R9); per ingested resource, one validation DAG
scheduled on the resource's Asset, so every ingest is followed by its validation (R19).

Both kinds are made here, in one file, on purpose. An Asset update starts only the DAGs Airflow
has registered at that moment, and Airflow registers the DAGs of one file in one transaction:
an ingestion DAG never exists before the validation its first run must start.

Parsing reads one small JSON file the platform writes: no database, no network, no heavy
import. Each task imports the platform when it runs.
"""

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, dag, get_current_context, task

SPECS = Path(
    os.environ.get("EXCHANGE_DAG_SPECS")
    or Path(os.environ.get("EXCHANGE_DATA_DIR", "var")) / "dag_specs.json"
)
INGEST_RETRIES = {
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(hours=1),
}
VALIDATION_RETRIES = {"retries": 2, "retry_delay": timedelta(minutes=1)}


def resource_asset(spec: dict[str, Any]) -> Asset:
    return Asset(name=spec["asset_name"], uri=spec["asset_uri"])


def load_specs(path: Path = SPECS) -> list[dict[str, Any]]:
    """One spec per source; a resource may have several sources."""
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return []


def build_ingest(spec: dict[str, Any]) -> Any:
    """Ingests one atomic snapshot keyed by the Airflow run id (so a retry never writes twice)
    and updates the resource's Asset."""

    @dag(
        dag_id=spec["dag_id"],
        schedule=spec["schedule"],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=INGEST_RETRIES,
        tags=["ingest", spec["resource_code"]],
        doc_md=f"Ingest **{spec['resource_name']}** ({spec['resource_code']}) from source {spec['source_id']}.",
    )
    def ingest_dag() -> None:
        @task(outlets=[resource_asset(spec)])
        def ingest_source() -> dict[str, Any]:
            from collection.ingest import ingest
            from exchange.runtime import Platform

            run_key = str(get_current_context()["run_id"])
            run = ingest(Platform.create(), source_id=spec["source_id"], run_key=run_key)
            return {
                "resource": spec["resource_code"],
                "snapshot_id": run.snapshot_id,
                "rows": run.rows_written,
            }

        ingest_source()

    return ingest_dag()


def build_validation(spec: dict[str, Any]) -> Any:
    """Validates the resource's current snapshot; results are stored per snapshot."""
    code = spec["resource_code"]

    @dag(
        dag_id=spec["validation_dag_id"],
        schedule=[resource_asset(spec)],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=VALIDATION_RETRIES,
        tags=["quality", code],
        doc_md=f"Validate **{spec['resource_name']}** ({code}) after each ingest.",
    )
    def validate_dag() -> None:
        @task
        def validate_current_snapshot() -> dict[str, Any]:
            from exchange.runtime import Platform
            from quality.validation import validate_snapshot
            from quality.vocab import RunTrigger

            # A run for a snapshot already validated returns the stored run: retries are safe.
            run = validate_snapshot(Platform.create(), code=code, trigger=RunTrigger.INGEST)
            return {
                "resource": code,
                "snapshot_id": run.snapshot_id,
                "passed": run.passed,
                "quarantined": run.blocking_failed,
                "run": run.id,
            }

        validate_current_snapshot()

    return validate_dag()


_specs = load_specs()
for _spec in _specs:
    globals()[_spec["dag_id"]] = build_ingest(_spec)
for _spec in {s["resource_code"]: s for s in _specs}.values():
    globals()[_spec["validation_dag_id"]] = build_validation(_spec)
