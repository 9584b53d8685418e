"""The warehouse in S3-compatible storage: the same ingestion against a server on 127.0.0.1."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from collection.ingest import ingest
from collection.sources import register_source
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import publish_enterprises

BUCKET = "exchange-warehouse"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def test_r9_ingestion_into_s3_compatible_storage(
    world: CatalogWorld, source_db: Path, s3_endpoint: str
) -> None:
    settings = world.platform.settings
    settings.warehouse_uri = f"s3://{BUCKET}/tables"
    settings.s3_endpoint = s3_endpoint
    settings.s3_access_key_id = "test"
    settings.s3_secret_access_key = "test"
    with sqlite3.connect(source_db) as connection:
        connection.execute("ALTER TABLE enterprises DROP COLUMN updated_at")
    code = publish_enterprises(world)
    with world.platform.database.transaction() as session:
        source_id = register_source(
            session,
            actor=world.actor("resource_admin"),
            now=world.platform.clock.now(),
            settings=settings,
            code=code,
            kind="database",
            config={"table": "enterprises"},
            secret={"url": f"sqlite:///{source_db}"},
        ).id
    run = ingest(world.platform, source_id=source_id, run_key="s3-1")
    assert run.rows_written == 3
    assert UnifiedStore(settings).scan(code).num_rows == 3
    objects = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).list_objects_v2(Bucket=BUCKET, Prefix="tables/")
    keys = [item["Key"] for item in objects.get("Contents", [])]
    assert any(key.endswith(".parquet") for key in keys)
    assert any(key.endswith(".metadata.json") for key in keys)
    assert not (Path(settings.data_dir) / "warehouse").exists()
