"""One validation DAG per ingested resource, scheduled on the resource's Asset: every ingest is
followed by its validation (R19), results stored per snapshot.

Parsing reads the small JSON file the platform writes (the same as the ingestion DAGs): no
database, no network, no heavy import. Great Expectations is imported inside the task.
"""

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, dag, task

SPECS = Path(
    os.environ.get("EXCHANGE_DAG_SPECS")
    or Path(os.environ.get("EXCHANGE_DATA_DIR", "var")) / "dag_specs.json"
)


def load_resources(path: Path = SPECS) -> dict[str, dict[str, Any]]:
    """One spec per resource (a resource may have several sources)."""
    try:
        specs = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {spec["resource_code"]: spec for spec in specs}


def build(spec: dict[str, Any]) -> Any:
    code = spec["resource_code"]

    @dag(
        dag_id=f"validate_{spec['asset_name']}",
        schedule=[Asset(name=spec["asset_name"], uri=spec["asset_uri"])],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
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


for _spec in load_resources().values():
    globals()[f"validate_{_spec['asset_name']}"] = build(_spec)
