"""One ingestion DAG per registered source (R9), built from the spec file the platform writes.

Parsing reads one small JSON file: no database, no network, no heavy import. The task imports
the platform when it runs, ingests one atomic snapshot keyed by the Airflow run id (so a retry
never writes twice) and updates the resource's Asset, which later starts its validation.
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
RETRIES = {
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(hours=1),
}


def resource_asset(spec: dict[str, Any]) -> Asset:
    return Asset(name=spec["asset_name"], uri=spec["asset_uri"])


def load_specs(path: Path = SPECS) -> list[dict[str, Any]]:
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return []


def build(spec: dict[str, Any]) -> Any:
    @dag(
        dag_id=spec["dag_id"],
        schedule=spec["schedule"],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=RETRIES,
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


for _spec in load_specs():
    globals()[_spec["dag_id"]] = build(_spec)
