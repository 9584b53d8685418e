"""Source systems for collection tests: a SQLite database, an HTTP JSON API, published entries."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from moto.server import ThreadedMotoServer

from collection.sources import register_source
from exchange.settings import Settings
from tests.catalog_fixtures import CatalogWorld, enterprise_register, publish_entry

ROWS = [
    ("91440300MA5D0001X1", "深圳市甲科技有限公司", "张三", "100.00"),
    ("91440300MA5D0002X2", "深圳市乙贸易有限公司", "李四", "250.50"),
    ("91440300MA5D0003X3", "深圳市丙物流有限公司", "王五", "80"),
]


BUCKET = "exchange-warehouse"
S3_KEY = "test"


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_KEY,
        region_name="us-east-1",
    )


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server on 127.0.0.1 with the warehouse bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3_client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def use_s3_warehouse(settings: Settings, endpoint: str) -> None:
    settings.warehouse_uri = f"s3://{BUCKET}/tables"
    settings.s3_endpoint = endpoint
    settings.s3_access_key_id = S3_KEY
    settings.s3_secret_access_key = S3_KEY


def publish_enterprises(world: CatalogWorld, **changes: object) -> str:
    return publish_entry(world, enterprise_register(**changes))


def full_load_source(world: CatalogWorld, source_db: Path) -> tuple[str, int]:
    """The enterprise register published and loaded in full from ``source_db`` (its watermark
    column dropped): each run writes a new snapshot. Returns the code and the source id."""
    with sqlite3.connect(source_db) as connection:
        connection.execute("ALTER TABLE enterprises DROP COLUMN updated_at")
    code = publish_enterprises(world)
    with world.platform.database.transaction() as session:
        source = register_source(
            session,
            actor=world.actor("resource_admin"),
            now=world.platform.clock.now(),
            settings=world.platform.settings,
            code=code,
            kind="database",
            config={"table": "enterprises"},
            secret={"url": f"sqlite:///{source_db.name}"},
        )
        return code, source.id


def drop_folder(world: CatalogWorld, department: str = "provider") -> Path:
    """A department's drop folder, the only place its file and SQLite sources may read."""
    code = getattr(world, department).code
    folder = world.platform.settings.resolved_drop_root / code
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def source_db(world: CatalogWorld) -> Path:
    """The provider's enterprise register, a SQLite file in its drop folder."""
    path = drop_folder(world) / "market.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE enterprises (uscc TEXT, enterprise_name TEXT, legal_representative TEXT,"
            " registered_capital TEXT, updated_at TEXT)"
        )
        connection.executemany(
            "INSERT INTO enterprises VALUES (?, ?, ?, ?, ?)",
            [(*row, f"2026-11-0{i + 1}") for i, row in enumerate(ROWS)],
        )
    return path


class _Api(BaseHTTPRequestHandler):
    token = "Bearer tax-api-secret"
    rows: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.token:
            self.send_response(401)
            self.end_headers()
            return
        query = parse_qs(urlparse(self.path).query)
        page, size = int(query["page"][0]), int(query["size"][0])
        body = json.dumps({"data": {"items": self.rows[(page - 1) * size : page * size]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tax_api(settings: Settings) -> Iterator[str]:
    """A department's HTTP API on 127.0.0.1, listed among the hosts sources may reach."""
    _Api.rows = [
        {"uscc": u, "enterprise_name": n, "legal_representative": r, "registered_capital": c}
        for u, n, r, c in ROWS
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.source_hosts.append(f"127.0.0.1:{server.server_address[1]}")
    yield f"http://127.0.0.1:{server.server_address[1]}/taxpayers"
    server.shutdown()
    server.server_close()
