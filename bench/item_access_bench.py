"""Masked and verify-only access (R3, R14) through the data API, one uvicorn worker: a 1M-row ×
5-column read as Arrow with all five items masked, beside the same read in clear under another
grant in the same run; and a verification of 10,000 records, its server time (``Server-Timing``)
beside the server time of reading as many records' key and name in clear."""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyarrow as pa

from bench.access_bench import _free_port, _wait_for
from bench.harness import Figure

ROWS, RECORDS = 1_000_000, 10_000


def _people(rows: int) -> pa.Table:
    import numpy as np

    first = np.datetime64("1950-01-01")
    days = (np.arange(rows) * 7919) % 20_000
    return pa.table(
        {
            "id_number": pa.array([f"4201021{i:011d}" for i in range(rows)]),
            "name": pa.array([f"王{i % 9973}明" for i in range(rows)]),
            "birth_date": pa.array(first + days.astype("timedelta64[D]")).cast(pa.date32()),
            "income": pa.array((np.arange(rows) * 37) % 100_000, pa.float64()),
            "phone": pa.array([f"139{i:08d}" for i in range(rows)]),
        }
    )


def _seed(folder: Path) -> tuple[str, str, str, dict[str, int]]:
    """A register of persons with five conditional items, its data, and three grants to one
    consumer: clear, masked, verify-only."""
    from catalog import entries, lifecycle
    from catalog.classification import ensure_default_classification
    from catalog.schemas import EntryDraft, ItemDraft
    from exchange.identifiers import uscc_check_character
    from exchange.identity.models import User
    from exchange.identity.roles import DepartmentKind, Role
    from exchange.identity.service import create_department, create_user, issue_token, principal_for
    from exchange.principal import Principal
    from exchange.runtime import Platform
    from exchange.settings import Settings
    from exchange.store import UnifiedStore
    from migrations import upgrade
    from policies.grants import create_grant

    url = f"sqlite:///{folder / 'exchange.db'}"
    upgrade(url)
    settings = Settings(data_dir=folder, database_url=url)
    platform = Platform.create(settings)
    system = Principal.system("bench")

    def item(name: str, data_type: str, **more: object) -> ItemDraft:
        return ItemDraft.model_validate({"name": name, "label": name, "data_type": data_type,
                                         "share_type": "conditional", "share_condition": "核验",
                                         **more})  # fmt: skip

    items = [
        item("id_number", "string", length=18, is_key=True, required=True, masking="keep:4:4"),
        item("name", "string", length=50, masking="pseudonym"),
        item("birth_date", "date"),
        item("income", "decimal", length=12, precision=2, masking="range:1000"),
        item("phone", "string", length=11, masking="keep:3:4"),
    ]
    with platform.database.transaction() as session:
        ensure_default_classification(session)
        env = platform.workflow_environment(session)

        def department(serial: int, name: str) -> tuple[str, int]:
            first17 = f"11440300{serial:08d}0"
            code = first17 + uscc_check_character(first17)
            made = create_department(session, actor=system, now=env.now, code=code, name=name,
                                     kind=DepartmentKind.GOVERNMENT)  # fmt: skip
            return code, made.id

        def user(name: str, department_code: str, role: Role) -> User:
            return create_user(session, actor=system, now=env.now, username=name,
                               display_name=name, department_code=department_code, roles=[role],
                               email=None, password=None)  # fmt: skip

        provider, _ = department(1, "市公安局")
        consumer, consumer_id = department(2, "市民政局")
        registrar = user("registrar", provider, Role.CATALOG_REGISTRAR)
        reviewer = user("reviewer", provider, Role.CATALOG_REVIEWER)
        reader = user("reader", consumer, Role.CONSUMER)
        draft = EntryDraft.model_validate(
            {"name": "户籍人口基本信息", "classification_code": "201",
             "abstract": "户籍人口的身份与联系信息，用于性能测试。", "update_cycle": "daily",
             "items": items}
        )  # fmt: skip
        actor = principal_for(session.get_one(User, registrar.id))
        resource = entries.create_entry(session, actor=actor, now=env.now, draft=draft).resource
        lifecycle.submit(session, actor=actor, env=env, code=resource.code)
        lifecycle.approve(session, actor=principal_for(session.get_one(User, reviewer.id)),
                          env=env, code=resource.code)  # fmt: skip
        names = [i.name for i in items]
        access = {
            "clear": None,
            "masked": dict.fromkeys(names, "masked"),
            "verify": {"id_number": "verify", "name": "verify"},
        }
        grant_ids = {
            kind: create_grant(session, actor=system, now=env.now,
                               consumer_department_id=consumer_id, resource_id=resource.id,
                               items=names if kind != "verify" else ["id_number", "name"],
                               mode="api_query", purpose="统计分析", row_filter=None,
                               valid_to=None, basis="approval", item_access=chosen,
                               verify_quota=1_000_000 if kind == "verify" else None).id
            for kind, chosen in access.items()
        }  # fmt: skip
        token = issue_token(
            session, actor=system, now=env.now, user_id=reader.id, name="bench", days=1
        ).secret
    UnifiedStore(settings).write(
        resource.code, _people(ROWS), overwrite=True, run_key="bench", properties={}
    )
    return url, resource.code, token, grant_ids


def _server_ms(response: httpx.Response) -> float:
    response.raise_for_status()
    return float(response.headers["server-timing"].split("dur=")[1])


def bench_item_access() -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        url, code, token, grants = _seed(Path(folder))
        port = _free_port()
        env = {**os.environ, "EXCHANGE_DATABASE_URL": url, "EXCHANGE_DATA_DIR": folder,
               "EXCHANGE_API_PORT": str(port), "EXCHANGE_LOG_LEVEL": "WARNING"}  # fmt: skip
        server = subprocess.Popen(
            [Path(sys.executable).parent / "exchange", "serve"], env=env, stdout=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(f"{base}/healthz")
            return _measure(base, code, token, grants)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _measure(base: str, code: str, token: str, grants: dict[str, int]) -> list[Figure]:
    rows_url, verify_url = f"{base}/api/v1/data/{code}/rows", f"{base}/api/v1/data/{code}/verify"
    people = _people(RECORDS)
    ids, names = people["id_number"].to_pylist(), people["name"].to_pylist()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=300) as client:

        def arrow_rate(kind: str) -> float:
            params = {"purpose": "统计分析", "limit": str(ROWS), "format": "arrow",
                      "grant_id": str(grants[kind])}  # fmt: skip
            began = time.perf_counter()
            response = client.get(rows_url, params=params)
            response.raise_for_status()
            assert int(response.headers["X-Row-Count"]) == ROWS
            return ROWS / (time.perf_counter() - began)

        arrow_rate("clear")  # loads the snapshot into memory
        clear = statistics.median(arrow_rate("clear") for _ in range(3))
        masked = statistics.median(arrow_rate("masked") for _ in range(3))

        # Every other claim wrong: matches and mismatches both take their path.
        records = [{"id_number": ids[i], "name": names[i] if i % 2 else "某某"}
                   for i in range(RECORDS)]  # fmt: skip
        body = {"purpose": "核验申请人身份", "records": records, "grant_id": grants["verify"]}
        client.post(verify_url, json=body).raise_for_status()  # the key column's first use
        verify_ms = statistics.median(
            _server_ms(client.post(verify_url, json=body)) for _ in range(3)
        )
        # Baseline: as many records' key and name read in clear, as JSON.
        lookup = {"purpose": "核验", "grant_id": str(grants["clear"]), "limit": str(RECORDS),
                  "columns": "id_number,name"}  # fmt: skip
        read_ms = statistics.median(
            _server_ms(client.get(rows_url, params=lookup)) for _ in range(3)
        )
    return [
        Figure("masked read 1M x 5 as Arrow, all five items masked (uvicorn, 1 worker)",
               round(masked), "rows/s", ">= 3,000,000 rows/s", round(clear),
               "the same read in clear, same run", round(masked / clear, 2), masked >= 3_000_000,
               "sqlite"),
        Figure("verification of 10,000 records, server time (uvicorn, 1 worker)",
               round(verify_ms, 1), "ms", "<= 100 ms", round(read_ms, 1),
               "reading 10,000 records' key and name as JSON, server time", round(verify_ms / read_ms, 2),
               verify_ms <= 100, "sqlite"),
    ]  # fmt: skip
