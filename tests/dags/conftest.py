"""Airflow reads its configuration when first imported: point it at a throwaway home and
metadata database, and at the project's DAG folder, before any test imports it."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from collection.dagspecs import write_dag_specs
from collection.sources import register_source
from tests.catalog_fixtures import CatalogWorld

DAGS = Path(__file__).resolve().parents[2] / "dags"
_home = tempfile.mkdtemp(prefix="exchange-airflow-")
atexit.register(shutil.rmtree, _home, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _home
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_home}/airflow.db"


@pytest.fixture(scope="session")
def airflow_db() -> None:
    from airflow.utils import db

    db.resetdb()


def register(  # registers a source and rewrites the DAG list, as the API does
    world: CatalogWorld, code: str, kind: str, config: dict[str, Any], secret: dict[str, Any]
) -> Path:
    platform = world.platform
    with platform.database.transaction() as session:
        register_source(
            session,
            actor=world.actor("resource_admin"),
            now=platform.clock.now(),
            settings=platform.settings,
            code=code,
            kind=kind,
            config=config,
            secret=secret,
        )
    with platform.database.transaction() as session:
        write_dag_specs(session, platform.settings.dag_specs_path)
    return platform.settings.dag_specs_path
