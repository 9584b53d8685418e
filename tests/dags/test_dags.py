"""The DAGs run for real with dag.test(): each source kind end to end, the sweep, parse cost."""

import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from collection.dagspecs import asset_of, validation_dag_id
from exchange.runtime import Platform
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import ROWS, drop_folder, publish_enterprises
from tests.dags.conftest import DAGS, register


def dag_bag(specs: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("EXCHANGE_DAG_SPECS", str(specs))
    return DagBag(dag_folder=str(DAGS))


def scheduled_on(dag: Any) -> list[str]:
    """The URIs of the Assets whose update starts ``dag``."""
    condition = getattr(dag.timetable, "asset_condition", None)
    return [asset.uri for asset in getattr(condition, "objects", [])]


def register_market_table(
    world: CatalogWorld, code: str, folder: Path, rows: list[tuple[str, ...]]
) -> Path:
    """A market-regulation SQLite table holding ``rows``, registered as the entry's source."""
    path = drop_folder(world) / "market.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE t (uscc TEXT, enterprise_name TEXT, legal_representative TEXT, "
            "registered_capital TEXT)"
        )
        connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    return register(world, code, "database", {"table": "t"}, {"url": f"sqlite:///{path.name}"})


def platform_env(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a worker would have in its environment."""
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", platform.database.url)
    monkeypatch.setenv("EXCHANGE_DATA_DIR", str(platform.settings.data_dir))
    monkeypatch.setenv("EXCHANGE_SOURCE_HOSTS", ",".join(platform.settings.source_hosts))


def test_every_dag_file_imports(
    airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bag = dag_bag(tmp_path / "none.json", monkeypatch)
    assert bag.import_errors == {}
    assert "deadline_sweep" in bag.dags
    assert "quality_comparisons" in bag.dags
    assert "supervision_daily" in bag.dags
    assert "store_upkeep" in bag.dags


@pytest.mark.parametrize("kind", ["database", "file", "http"])
def test_r9_ingest_dag_runs_each_source_kind(
    kind: str,
    world: CatalogWorld,
    airflow_db: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tax_api: str,
) -> None:
    code = publish_enterprises(world)
    if kind == "database":
        specs = register_market_table(world, code, tmp_path, ROWS)
    elif kind == "file":
        (drop_folder(world) / "drop").mkdir()
        (drop_folder(world) / "drop" / "a.csv").write_text(
            "uscc,enterprise_name,legal_representative,registered_capital\n"
            + "\n".join(",".join(r) for r in ROWS),
            encoding="utf-8",
        )
        specs = register(world, code, "file", {"folder": "drop"}, {})
    else:
        specs = register(
            world,
            code,
            "http",
            {"url": tax_api, "items_path": "data.items"},
            {"header_value": "Bearer tax-api-secret"},
        )
    platform_env(world.platform, monkeypatch)
    bag = dag_bag(specs, monkeypatch)
    dag = bag.get_dag("ingest_source_1")
    assert dag is not None
    assert [t.task_id for t in dag.tasks] == ["ingest_source"]
    assert dag.tasks[0].outlets[0].uri == f"exchange://resources/{code}"
    run = dag.test()
    assert run.state == "success"
    store = UnifiedStore(world.platform.settings)
    assert store.scan(code).num_rows == 3
    [snapshot] = store.snapshots(code)
    assert snapshot.properties["exchange.run-key"] == run.run_id


def test_deadline_sweep_dag_runs(
    world: CatalogWorld, airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from catalog.tasks import open_update_task
    from exchange.clock import FrozenClock
    from tests.conftest import local

    code = publish_enterprises(world)
    platform = world.platform
    assert isinstance(platform.clock, FrozenClock)
    platform.clock.set(local(2026, 11, 1, 9, 0))  # due long before the real today
    with platform.database.transaction() as session:
        open_update_task(
            session,
            actor=world.actor("registrar"),
            env=platform.workflow_environment(session),
            code=code,
            description="字段变更",
        )
    platform_env(platform, monkeypatch)
    run = dag_bag(tmp_path / "none.json", monkeypatch).get_dag("deadline_sweep").test()
    assert run.state == "success"
    with platform.database.transaction() as session:
        escalated = session.execute(
            text("SELECT count(*) FROM audit_records WHERE action = 'deadline.overdue'")
        ).scalar()
    assert escalated == 1


def test_parsing_200_sources_is_fast_and_touches_no_source(
    airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    specs = tmp_path / "specs.json"
    specs.write_text(
        json.dumps(
            [
                {
                    "dag_id": f"ingest_source_{i}",
                    "source_id": i,
                    "resource_code": f"202/{i:06d}",
                    "validation_dag_id": validation_dag_id(f"202/{i:06d}"),
                    "resource_name": f"资源{i}",
                    "schedule": "@daily",
                    **asset_of(f"202/{i:06d}"),
                }
                for i in range(1, 201)
            ]
        ),
        encoding="utf-8",
    )

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a DAG file opened a connection while parsing")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr("sqlalchemy.create_engine", no_network)
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("EXCHANGE_DAG_SPECS", str(specs))
    started = time.perf_counter()
    bag = DagBag(dag_folder=str(DAGS))
    elapsed = time.perf_counter() - started
    assert bag.import_errors == {}
    # An ingestion and a validation DAG per source, the sweep, the comparisons, supervision, the
    # store's upkeep.
    assert len(bag.dags) == 404
    assert elapsed < 4.0, f"parsing took {elapsed:.2f} s"


def test_validation_dag_follows_the_ingest_asset_and_validates_its_snapshot_once(
    world: CatalogWorld, airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from quality.models import ValidationRun

    code = publish_enterprises(world)
    specs = register_market_table(world, code, tmp_path, [*ROWS, ROWS[0]])  # a twin key
    platform_env(world.platform, monkeypatch)
    bag = dag_bag(specs, monkeypatch)
    ingest_dag = bag.get_dag("ingest_source_1")
    validate_dag = bag.get_dag(validation_dag_id(code))
    assert validate_dag is not None
    outlet = ingest_dag.tasks[0].outlets[0]
    assert scheduled_on(validate_dag) == [outlet.uri]
    assert ingest_dag.test().state == "success"
    assert validate_dag.test().state == "success"
    assert validate_dag.test().state == "success"  # a retry validates nothing twice
    with world.platform.database.transaction() as session:
        runs = session.scalars(select(ValidationRun)).all()
    assert len(runs) == 1
    assert runs[0].trigger == "ingest"
    assert runs[0].blocking_failed  # the twin key quarantines the snapshot
    assert runs[0].snapshot_id == UnifiedStore(world.platform.settings).current_snapshot_id(code)


def test_r19_every_ingest_dag_is_parsed_together_with_the_validation_it_starts(
    world: CatalogWorld, airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An Asset update queues only the DAGs Airflow has registered at that moment, and Airflow
    # registers a file's DAGs in one transaction. An ingest DAG from one file and its validation
    # from another could run before the validation was registered, leaving that snapshot
    # unvalidated; from the same file, neither exists without the other.
    code = publish_enterprises(world)
    specs = register_market_table(world, code, tmp_path, ROWS)
    bag = dag_bag(specs, monkeypatch)
    ingest_dag = bag.get_dag("ingest_source_1")
    [asset] = ingest_dag.tasks[0].outlets
    [validate_dag] = [dag for dag in bag.dags.values() if asset.uri in scheduled_on(dag)]
    assert validate_dag.dag_id == validation_dag_id(code)
    assert validate_dag.fileloc == ingest_dag.fileloc


def test_comparison_dag_compares_each_pair_once_per_change_of_data(
    world: CatalogWorld, airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pyarrow as pa
    from sqlalchemy import select

    from quality.comparisons import AttributeDraft, ComparisonDraft, create_comparison
    from quality.models import ComparisonRun, QualityIssue
    from tests.catalog_fixtures import enterprise_register, publish_entry

    register = publish_entry(world, enterprise_register())
    taxpayers = publish_entry(world, enterprise_register(name="纳税人登记信息"))
    store = UnifiedStore(world.platform.settings)
    for code, names in ((register, ["甲公司", "乙公司"]), (taxpayers, ["甲公司", "丙公司"])):
        table = pa.table(
            {"uscc": ["91440300MA50000001", "91440300MA50000002"], "enterprise_name": names}
        )
        store.write(code, table, overwrite=True, run_key="first", properties={})
    with world.platform.database.transaction() as session:
        create_comparison(
            session,
            actor=world.actor("steward"),
            now=world.platform.clock.now(),
            draft=ComparisonDraft(
                name="企业名称核对", left=register, right=taxpayers, keys=[("uscc", "uscc")],
                attributes=[AttributeDraft(left="enterprise_name", right="enterprise_name")],
            ),
        )  # fmt: skip
    platform_env(world.platform, monkeypatch)
    dag = dag_bag(tmp_path / "none.json", monkeypatch).get_dag("quality_comparisons")
    assert dag.test().state == "success"
    assert dag.test().state == "success"  # the same snapshots: nothing compared again
    with world.platform.database.transaction() as session:
        runs = session.scalars(select(ComparisonRun)).all()
        issues = session.scalars(select(QualityIssue)).all()
    assert [run.mismatched_rows for run in runs] == [1]
    assert [issue.row_count for issue in issues] == [1]


def test_supervision_dag_warns_a_department_whose_data_is_late(
    world: CatalogWorld, airflow_db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from exchange.clock import FrozenClock
    from policies.models import Suspension
    from tests.conftest import local

    code = publish_enterprises(world)
    register_market_table(world, code, tmp_path, ROWS)
    platform = world.platform
    assert isinstance(platform.clock, FrozenClock)
    platform.clock.set(local(2026, 11, 1, 9, 0))  # loaded long before the real today: late
    from collection.ingest import ingest

    ingest(platform, source_id=1, run_key="old")
    platform_env(platform, monkeypatch)
    run = dag_bag(tmp_path / "none.json", monkeypatch).get_dag("supervision_daily").test()
    assert run.state == "success"
    with platform.database.transaction() as session:
        warned = session.scalars(select(Suspension)).all()
    assert [(w.department_id, w.state, w.late_resources) for w in warned] == [
        (world.provider.id, "warned", [code])
    ]
