"""The list of sources the DAG file builds its ingestion and validation DAGs from.

DAG files must parse fast without touching a database, so the platform writes this small JSON
file whenever sources change (and ``exchange collection sync-dags`` rewrites it); the DAG file
only reads it.
"""

import json
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Resource, ResourceVersion
from collection.models import Source

SCHEDULES = {
    "realtime": "@hourly",
    "daily": "@daily",
    "weekly": "@weekly",
    "monthly": "@monthly",
    "quarterly": "0 0 1 */3 *",
    "half_yearly": "0 0 1 */6 *",
    "yearly": "@yearly",
    "irregular": None,
}


def asset_of(code: str) -> dict[str, str]:
    """The Airflow Asset an ingest of resource ``code`` updates and its validation waits on."""
    return {
        "asset_name": f"resource_{code.replace('/', '_')}",
        "asset_uri": f"exchange://resources/{code}",
    }


def validation_dag_id(code: str) -> str:
    """The id of the DAG that validates resource ``code`` after each ingest."""
    return f"validate_{asset_of(code)['asset_name']}"


def dag_specs(session: Session) -> list[dict[str, object]]:
    rows = session.execute(
        select(
            Source.id,
            Source.schedule,
            Resource.code,
            ResourceVersion.name,
            ResourceVersion.update_cycle,
        )
        .join(Resource, Resource.id == Source.resource_id)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(Source.active.is_(True))
        .order_by(Source.id)
    )
    return [
        {
            "dag_id": f"ingest_source_{source_id}",
            "source_id": source_id,
            "resource_code": code,
            "validation_dag_id": validation_dag_id(code),
            "resource_name": name,
            "schedule": schedule or SCHEDULES.get(cycle),
            **asset_of(code),
        }
        for source_id, schedule, code, name, cycle in rows
    ]


def write_dag_specs(session: Session, path: Path) -> int:
    """Replace the spec file atomically (a DAG parser never sees half a file)."""
    specs = dag_specs(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dag_specs.")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(specs, handle, ensure_ascii=False, indent=1)
    os.replace(temporary, path)
    return len(specs)
