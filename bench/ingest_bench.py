"""Ingestion: a CSV drop and a database table of 1M rows x 10 columns into Iceberg, end to end
through the platform's ingest (extract, conform, hash, commit, records), beside pandas.to_sql."""

import sqlite3
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from bench.harness import Figure
from catalog import entries, lifecycle
from catalog.schemas import EntryDraft, ItemDraft
from collection.ingest import ingest
from collection.sources import register_source
from exchange.clock import SystemClock
from exchange.db import Database
from exchange.demo import demo_code
from exchange.identity.roles import DepartmentKind, Role
from exchange.identity.service import create_department, create_user, principal_for
from exchange.principal import Principal
from exchange.runtime import Platform
from exchange.settings import Settings
from migrations import upgrade

COLUMNS = [
    ("uscc", "统一社会信用代码", "string", 18, None),
    ("enterprise_name", "企业名称", "string", 200, None),
    ("legal_representative", "法定代表人", "string", 50, None),
    ("registered_capital", "注册资本", "decimal", 18, 2),
    ("established_on", "成立日期", "date", None, None),
    ("status", "登记状态", "string", 20, None),
    ("staff", "从业人数", "integer", None, None),
    ("address", "住所", "string", 200, None),
    ("phone", "联系电话", "string", 20, None),
    ("business_scope", "经营范围", "string", 2000, None),
]


def source_table(rows: int, first: int = 0) -> pa.Table:
    numbers = range(first, first + rows)
    return pa.table(
        {
            "uscc": [f"914403{i:012d}" for i in numbers],
            "enterprise_name": [f"深圳市企业{i}有限公司" for i in numbers],
            "legal_representative": ["张三", "李四", "王五", "赵六"] * (rows // 4),
            "registered_capital": [f"{i % 10000}.50" for i in numbers],
            "established_on": ["2020-01-02", "2018-06-30", "2023-12-01", "2011-03-15"]
            * (rows // 4),
            "status": ["存续"] * rows,
            "staff": [str(i % 500) for i in numbers],
            "address": ["深圳市南山区科技园"] * rows,
            "phone": ["0755-12345678"] * rows,
            "business_scope": ["软件开发；信息技术咨询服务"] * rows,
        }
    )


def platform_for_bench(folder: Path) -> tuple[Platform, str, Principal]:
    # The source systems are the provider's drop folder: <scratch>/drops/<its code>/.
    settings = Settings(data_dir=folder / "var", drop_root=folder / "drops")
    upgrade(settings.resolved_database_url)
    platform = Platform(settings, Database(settings.resolved_database_url), SystemClock())
    system, now = Principal.system("bench"), platform.clock.now()
    items = [
        ItemDraft(
            name=n,
            label=label,
            data_type=t,
            length=length,
            precision=p,
            share_type="unconditional",
            is_key=n == "uscc",
            required=n == "uscc",
        )
        for n, label, t, length, p in COLUMNS
    ]
    with platform.database.transaction() as session:
        create_department(
            session,
            actor=system,
            now=now,
            code=demo_code(3),
            name="市市场监督管理局",
            kind=DepartmentKind.GOVERNMENT,
        )
        users = [
            create_user(
                session,
                actor=system,
                now=now,
                username=f"u{i}",
                display_name="",
                department_code=demo_code(3),
                roles=[role],
            )
            for i, role in enumerate(
                [Role.CATALOG_REGISTRAR, Role.CATALOG_REVIEWER, Role.DATA_RESOURCE_ADMIN]
            )
        ]
        registrar, reviewer, admin = (principal_for(u) for u in users)
        draft = EntryDraft(
            name="企业登记信息",
            classification_code="102",
            abstract="基准测试数据。",
            update_cycle="daily",
            items=items,
        )
        code = entries.create_entry(session, actor=registrar, now=now, draft=draft).resource.code
        lifecycle.submit(
            session, actor=registrar, env=platform.workflow_environment(session), code=code
        )
        lifecycle.approve(
            session, actor=reviewer, env=platform.workflow_environment(session), code=code
        )
    return platform, code, admin


def bench_ingest(rows: int = 1_000_000) -> list[Figure]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        systems = folder / "drops" / demo_code(3)
        data = source_table(rows)
        (systems / "drop").mkdir(parents=True)
        pa_csv.write_csv(data, systems / "drop" / "enterprises.csv")
        with sqlite3.connect(systems / "source.db") as connection:
            connection.execute(f"CREATE TABLE enterprises ({', '.join(data.column_names)})")
            connection.executemany(
                f"INSERT INTO enterprises VALUES ({', '.join('?' * 10)})",
                zip(*data.to_pydict().values(), strict=True),
            )

        started = time.perf_counter()
        frame = pd.read_csv(systems / "drop" / "enterprises.csv", dtype=str)
        with sqlite3.connect(folder / "baseline.db") as connection:
            frame.to_sql("enterprises", connection, index=False, chunksize=50_000)
        baseline = rows / (time.perf_counter() - started)

        platform, code, admin = platform_for_bench(folder)
        figures = []
        for kind, config, secret in (
            ("file", {"folder": "drop"}, {}),
            ("database", {"table": "enterprises"}, {"url": "sqlite:///source.db"}),
        ):
            with platform.database.transaction() as session:
                source_id = register_source(
                    session,
                    actor=admin,
                    now=platform.clock.now(),
                    settings=platform.settings,
                    code=code,
                    kind=kind,
                    config=config,
                    secret=secret,
                    also=kind == "database",  # a second system feeding the same resource
                ).id
            started = time.perf_counter()
            run = ingest(platform, source_id=source_id, run_key=f"bench-{kind}")
            rate = rows / (time.perf_counter() - started)
            assert run.rows_written == rows, run.error
            figures.append(
                Figure(
                    name=f"ingest {'CSV drop' if kind == 'file' else 'SQLite table'} -> Iceberg, {rows} rows x 10 columns, end to end",
                    value=round(rate),
                    unit="rows/s",
                    target=">= 500000 rows/s",
                    baseline=round(baseline),
                    baseline_name="pandas.read_csv + DataFrame.to_sql into SQLite",
                    ratio=round(rate / baseline, 2),
                    meets_target=rate >= 500_000,
                    database="sqlite",
                )
            )
        platform.database.dispose()
        return figures
