"""Synthetic source systems of the demonstration departments, and their registration.

* 市市场监督管理局: an enterprise register in a database (valid 统一社会信用代码).
* 国家税务总局XX市税务局: a taxpayer HTTP JSON API (paged, bearer token).
* 市人力资源和社会保障局: a file drop of insured persons, CSV with Chinese headers (valid 居民身份证号).
* 市民政局: marriage records as JSON Lines.

Planted on purpose, for validation and cross-department comparison to find (``PLANTED``):
* ``name_mismatch``: taxpayers whose name differs from the register (full-width brackets, a
  spurious space, or a different name);
* ``tax_only``: taxpayers absent from the register;
* ``bad_uscc_tax``: taxpayer codes with a wrong check character;
* ``bad_id_social``: insured persons whose identity number has a wrong check digit.
"""

import json
import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import httpx
import pyarrow as pa
import pyarrow.csv as pa_csv

from exchange.identifiers import USCC_ALPHABET, resident_id_check_character, uscc_check_character

if TYPE_CHECKING:
    from exchange.runtime import Platform
    from exchange.settings import Settings

PLANTED = {"name_mismatch": 5, "tax_only": 3, "bad_uscc_tax": 2, "bad_id_social": 2}
TAX_TOKEN = "Bearer demo-tax-api-token"  # noqa: S105 (the demo system's own, printed in the README)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"
TRADES = ["科技", "贸易", "物流", "餐饮", "建筑", "医药", "文化", "教育", "咨询", "制造"]
DISTRICTS = ["福田", "罗湖", "南山", "宝安", "龙岗", "龙华"]


def _uscc(rng: random.Random) -> str:
    body = "9144030" + "0" + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def _resident_id(rng: random.Random, born: date) -> str:
    body = f"440305{born:%Y%m%d}{rng.randint(100, 999)}"
    return body + resident_id_check_character(body)


def _wrong_check(code: str, alphabet: str) -> str:
    return code[:-1] + next(c for c in alphabet if c != code[-1])


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


@dataclass(frozen=True)
class DemoSystems:
    folder: Path
    market_db: Path
    tax_json: Path
    social_drop: Path
    civil_drop: Path


def generate(
    folder: Path, rows: int = 2000, seed: int = 2026, drops: Mapping[str, Path] | None = None
) -> DemoSystems:
    """Write the four source systems (rows per system, configurable to millions): the tax API's
    data under ``folder``, each other system in its department's drop folder (``drops``, by the
    department's short name; ``folder`` when not given)."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, repeatable by seed)
    folder.mkdir(parents=True, exist_ok=True)
    drops = drops or {}
    for drop in drops.values():
        drop.mkdir(parents=True, exist_ok=True)
    enterprises = []
    for i in range(rows):
        founded = date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000))
        enterprises.append(
            {
                "uscc": _uscc(rng),
                "enterprise_name": f"深圳市{rng.choice(DISTRICTS)}{rng.choice(TRADES)}{i:05d}有限公司",
                "legal_representative": _person(rng),
                "address": f"深圳市{rng.choice(DISTRICTS)}区第{rng.randint(1, 200)}号",
                "registered_capital": f"{rng.randint(10, 100000)}.00",
                "established_on": founded.isoformat(),
                "business_scope": f"{rng.choice(TRADES)}服务",
                "status": "存续" if rng.random() > 0.05 else "注销",
            }
        )
    sqlite_path = drops.get("scjg", folder) / "market_regulation.db"
    _write_sqlite(sqlite_path, "enterprise_register", enterprises)

    taxpayers = [
        {
            "uscc": e["uscc"],
            "enterprise_name": e["enterprise_name"],
            "status": "正常" if e["status"] == "存续" else "非正常",
            "phone": f"0755-{rng.randint(20000000, 89999999)}",
        }
        for e in enterprises
    ]
    mismatched = rng.sample(range(rows), PLANTED["name_mismatch"])
    variants = [
        lambda n: n.replace("有限公司", "（有限公司）"),
        lambda n: n.replace("深圳市", "深圳市 "),
        lambda n: n.replace("有限公司", "股份有限公司"),
    ]
    for k, index in enumerate(mismatched):
        taxpayers[index]["enterprise_name"] = variants[k % len(variants)](
            taxpayers[index]["enterprise_name"]
        )
    for _ in range(PLANTED["tax_only"]):
        taxpayers.append(
            {
                "uscc": _uscc(rng),
                "enterprise_name": f"深圳市外地迁入{rng.randint(1, 999)}有限公司",
                "status": "正常",
                "phone": "0755-00000000",
            }
        )
    bad = [i for i in range(rows) if i not in mismatched][: PLANTED["bad_uscc_tax"]]
    for index in bad:
        taxpayers[index]["uscc"] = _wrong_check(taxpayers[index]["uscc"], USCC_ALPHABET)
    tax_json = folder / "tax_taxpayers.json"
    tax_json.write_text(json.dumps(taxpayers, ensure_ascii=False), encoding="utf-8")

    social_drop = drops.get("rs", folder) / "social_security_drop"
    social_drop.mkdir(exist_ok=True)
    insured = []
    for e in enterprises[: max(1, rows // 2)]:
        born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))
        insured.append(
            {
                "公民身份号码": _resident_id(rng, born),
                "姓名": _person(rng),
                "统一社会信用代码": e["uscc"],
                "成立日期": e["established_on"],
                "登记状态": "参保",
            }
        )
    for person in insured[: PLANTED["bad_id_social"]]:
        person["公民身份号码"] = _wrong_check(person["公民身份号码"], "0123456789X")
    pa_csv.write_csv(pa.Table.from_pylist(insured), social_drop / "insured_persons.csv")

    civil_drop = drops.get("mz", folder) / "civil_affairs_drop"
    civil_drop.mkdir(exist_ok=True)
    with (civil_drop / "marriages.jsonl").open("w", encoding="utf-8") as handle:
        for i, person in enumerate(insured[: max(1, rows // 4)]):
            record = {
                "document_number": f"J440305-{2020 + i % 6}-{i:06d}",
                "id_number": person["公民身份号码"],
                "person_name": person["姓名"],
                "decided_on": (date(2020, 1, 1) + timedelta(days=i % 2000)).isoformat(),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return DemoSystems(folder, sqlite_path, tax_json, social_drop, civil_drop)


def _write_sqlite(path: Path, table: str, rows: list[dict[str, Any]]) -> None:
    import sqlite3

    path.unlink(missing_ok=True)
    columns = list(rows[0])
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        connection.executemany(
            f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})",  # noqa: S608 (our own names)
            [tuple(row[c] for c in columns) for row in rows],
        )


def _tax_handler(rows: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class TaxApi(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            if parsed.path != "/taxpayers" or self.headers.get("Authorization") != TAX_TOKEN:
                self.send_response(404 if parsed.path != "/taxpayers" else 401)
                self.end_headers()
                return
            query = parse_qs(parsed.query)
            if "probe" in query:  # is this port the demo tax API? (see tax_api_running)
                self.send_response(204)
                self.send_header(DEMO_HEADER, "tax")
                self.end_headers()
                return
            page, size = (
                int(query.get("page", ["1"])[0]),
                min(int(query.get("size", ["500"])[0]), 5000),
            )
            body = json.dumps(
                {"data": {"items": rows[(page - 1) * size : page * size]}}, ensure_ascii=False
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode("utf-8"))

        def log_message(self, *args: object) -> None:
            pass

    return TaxApi


def tax_api_server(tax_json: Path, port: int) -> ThreadingHTTPServer:
    rows = json.loads(tax_json.read_text(encoding="utf-8"))
    return ThreadingHTTPServer(("127.0.0.1", port), _tax_handler(rows))


# resource name → (provider's short name, source kind)
DEMO_SOURCES = {
    "企业登记信息": ("scjg", "database"),
    "纳税人登记信息": ("sw", "http"),
    "社会保险参保信息": ("rs", "file"),
    "婚姻登记信息": ("mz", "file"),
}


def source_settings(
    systems: DemoSystems, tax_url: str
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Config and secret of each demo source, by resource name; paths are relative to the
    department's drop folder, where ``generate`` put them."""
    return {
        "企业登记信息": (
            {"table": "enterprise_register"},
            {"url": f"sqlite:///{systems.market_db.name}"},
        ),
        "纳税人登记信息": (
            {"url": tax_url, "items_path": "data.items", "page_size": 1000},
            {"header_value": TAX_TOKEN},
        ),
        "社会保险参保信息": (
            {"folder": systems.social_drop.name, "pattern": "*.csv"},
            {},
        ),
        "婚姻登记信息": ({"folder": systems.civil_drop.name, "pattern": "*.jsonl"}, {}),
    }


def demo_drops(platform: "Platform") -> dict[str, Path]:
    """The drop folder of each demo department with a source system, by its short name."""
    from sqlalchemy import select

    from exchange.identity.models import Department, User

    drops = {}
    with platform.database.transaction() as session:
        for short, _ in DEMO_SOURCES.values():
            code = session.scalar(
                select(Department.code)
                .join(User, User.department_id == Department.id)
                .where(User.username == f"{short}.data_resource_admin")
            )
            if code is not None:
                drops[short] = platform.settings.resolved_drop_root / code
    return drops


def list_demo_system(settings: "Settings", url: str) -> None:
    """Let sources reach a demo system on this machine: the demo lists its own systems."""
    parts = urlparse(url)
    entry = f"{parts.hostname}:{parts.port}"
    if entry not in settings.source_hosts:
        settings.source_hosts.append(entry)


def seed_sources(
    platform: "Platform", systems: DemoSystems, tax_url: str, *, history: bool = False
) -> list[tuple[str, int, int]]:
    """Register the demo sources (once) and ingest each; with ``history``, after months of past
    loads the first time (``collection.demo_history``). Returns (resource, source id, rows)."""
    from sqlalchemy import select

    from catalog.models import Resource, ResourceVersion
    from collection.demo_history import PastLoad, seed_past_loads
    from collection.ingest import ingest
    from collection.models import IngestRun, Source
    from collection.sources import register_source
    from exchange.identity.models import User
    from exchange.identity.service import principal_for

    list_demo_system(platform.settings, tax_url)
    settings_by_name = source_settings(systems, tax_url)
    registered: list[tuple[str, PastLoad]] = []
    loaded_before = None
    for name, (short, kind) in DEMO_SOURCES.items():
        with platform.database.transaction() as session:
            resource = session.scalar(
                select(Resource)
                .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
                .where(ResourceVersion.name == name)
            )
            if resource is None:
                continue
            source = session.scalar(select(Source).where(Source.resource_id == resource.id))
            if source is None:
                admin = session.scalar(
                    select(User).where(User.username == f"{short}.data_resource_admin")
                )
                assert admin is not None
                config, secret = settings_by_name[name]
                source = register_source(
                    session,
                    actor=principal_for(admin),
                    now=platform.clock.now(),
                    settings=platform.settings,
                    code=resource.code,
                    kind=kind,
                    config=config,
                    secret=secret,
                )
            loaded_before = session.scalar(
                select(IngestRun.id).where(IngestRun.source_id == source.id).limit(1)
            )
            registered.append((name, PastLoad(resource.code, source.id, short)))
    if history and loaded_before is None:
        seed_past_loads(platform, [load for _, load in registered])
    done = []
    for name, load in registered:
        run = ingest(platform, source_id=load.source_id, run_key="demo-initial-load")
        done.append((name, load.source_id, run.rows_written or 0))
    return done


DEMO_HEADER = "X-Demo-System"


class DemoPortTaken(Exception):
    """The demo tax API's port is held by a program that is not the demo tax API."""


def _serves_demo_tax_api(url: str) -> bool:
    try:
        answer = httpx.get(
            url, params={"probe": "1"}, headers={"Authorization": TAX_TOKEN}, timeout=2
        )
    except httpx.HTTPError:
        return False
    return bool(answer.headers.get(DEMO_HEADER) == "tax")


@contextmanager
def tax_api_running(tax_json: Path, port: int) -> Iterator[str]:
    """The tax API on 127.0.0.1:port for the duration of the block (unless it already answers
    there, served by ``exchange demo-systems``)."""
    url = f"http://127.0.0.1:{port}/taxpayers"
    try:
        server = tax_api_server(tax_json, port)
    except OSError as error:
        if _serves_demo_tax_api(url):
            yield url
            return
        raise DemoPortTaken(
            f"port {port} (the API port + 1, where the demo tax authority's API runs) is taken "
            f"by another program; stop it, or start the demo with another EXCHANGE_API_PORT "
            f"(and EXCHANGE_SOURCE_HOSTS=127.0.0.1:<that port + 1>)"
        ) from error
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
