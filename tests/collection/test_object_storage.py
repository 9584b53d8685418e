"""The warehouse in S3-compatible storage: the same ingestion against a server on 127.0.0.1."""

from pathlib import Path

from collection.ingest import ingest
from exchange.store import UnifiedStore
from tests.catalog_fixtures import CatalogWorld
from tests.collection_fixtures import BUCKET, full_load_source, s3_client, use_s3_warehouse


def test_r9_ingestion_into_s3_compatible_storage(
    world: CatalogWorld, source_db: Path, s3_endpoint: str
) -> None:
    settings = world.platform.settings
    use_s3_warehouse(settings, s3_endpoint)
    code, source_id = full_load_source(world, source_db)
    run = ingest(world.platform, source_id=source_id, run_key="s3-1")
    assert run.rows_written == 3
    assert UnifiedStore(settings).scan(code).num_rows == 3
    objects = s3_client(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix="tables/")
    keys = [item["Key"] for item in objects.get("Contents", [])]
    assert any(key.endswith(".parquet") for key in keys)
    assert any(key.endswith(".metadata.json") for key in keys)
    assert not (Path(settings.data_dir) / "warehouse").exists()
