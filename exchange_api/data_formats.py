"""The data API's formats: JSON, CSV, Arrow IPC stream and Parquet, from one Arrow table or,
for a download too large to hold, written batch by batch to a file.

JSON goes through DuckDB's writer: building Python objects row by row manages about a third of its
speed on a million rows. CSV starts with a byte-order mark so spreadsheet programs read Chinese
text correctly.
"""

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from exchange.spreadsheets import BOM, neutralised_table


class DataFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    ARROW = "arrow"
    PARQUET = "parquet"


MEDIA_TYPES = {
    DataFormat.JSON: "application/json",
    DataFormat.CSV: "text/csv; charset=utf-8",
    DataFormat.ARROW: "application/vnd.apache.arrow.stream",
    DataFormat.PARQUET: "application/vnd.apache.parquet",
}


# Below this many rows, building Python objects is cheaper than starting DuckDB's writer.
SMALL_JSON_ROWS = 2_000


def json_rows(table: pa.Table, spool: Path) -> bytes:
    """The rows as a JSON array of objects; DuckDB writes large pages through a file in ``spool``,
    a folder under the platform's data folder."""
    if table.num_rows <= SMALL_JSON_ROWS:
        # Decimals as numbers, as DuckDB writes them.
        return orjson.dumps(table.to_pylist(), default=float)
    import duckdb

    spool.mkdir(parents=True, exist_ok=True)
    handle, path = tempfile.mkstemp(suffix=".json", dir=spool)
    os.close(handle)
    try:
        connection = duckdb.connect()
        try:
            connection.register("page", table)
            connection.execute(f"COPY page TO '{path}' (FORMAT JSON, ARRAY true)")
        finally:
            connection.close()
        with open(path, "rb") as written:
            return written.read()
    finally:
        os.unlink(path)


def json_document(table: pa.Table, meta: dict[str, Any], spool: Path) -> bytes:
    """``{...meta, "rows": [...]}`` without parsing the rows again."""
    head = orjson.dumps(meta)
    return head[:-1] + b',"rows":' + json_rows(table, spool) + b"}"


def csv_bytes(table: pa.Table) -> bytes:
    import pyarrow.csv as pcsv

    out = io.BytesIO()
    out.write(BOM.encode())
    pcsv.write_csv(neutralised_table(table), out)
    return out.getvalue()


def arrow_stream(table: pa.Table, batch_rows: int = 65_536) -> Iterator[bytes]:
    """An Arrow IPC stream, sent batch by batch so a large read starts flowing at once."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        yield _drain(sink)
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)
            yield _drain(sink)
    yield _drain(sink)


def parquet_bytes(table: pa.Table) -> bytes:
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def _drain(sink: io.BytesIO) -> bytes:
    data = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data


def spooled_file(
    batches: Iterator[pa.Table],
    fmt: DataFormat,
    spool: Path,
    meta: Callable[[int], dict[str, Any]],
) -> tuple[Path, int]:
    """Write ``batches`` to a file in ``spool`` in ``fmt``, one batch in memory at a time; the
    file and its row count. A JSON document takes ``meta(rows)`` after its rows. The first batch
    sets the columns (it may be empty). On failure no file is left behind."""
    spool.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(suffix=f".{fmt.value}", dir=spool)
    os.close(handle)
    path = Path(name)
    try:
        first = next(batches)
        with open(path, "wb") as out:
            rows = _SPOOLED_WRITERS[fmt](first, batches, out, spool)
            if fmt is DataFormat.JSON:
                out.write(b"]," + orjson.dumps(meta(rows))[1:])
        return path, rows
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _parquet_to(first: pa.Table, rest: Iterator[pa.Table], out: Any, _: Path) -> int:
    import pyarrow.parquet as pq

    rows = 0
    with pq.ParquetWriter(out, first.schema, compression="zstd") as writer:
        for batch in _chain(first, rest):
            writer.write_table(batch)
            rows += batch.num_rows
    return rows


def _arrow_to(first: pa.Table, rest: Iterator[pa.Table], out: Any, _: Path) -> int:
    rows = 0
    with pa.ipc.new_stream(out, first.schema) as writer:
        for batch in _chain(first, rest):
            writer.write_table(batch)
            rows += batch.num_rows
    return rows


def _csv_to(first: pa.Table, rest: Iterator[pa.Table], out: Any, _: Path) -> int:
    import pyarrow.csv as pcsv

    out.write(BOM.encode())
    rows = 0
    with pcsv.CSVWriter(out, first.schema) as writer:
        for batch in _chain(first, rest):
            writer.write_table(neutralised_table(batch))
            rows += batch.num_rows
    return rows


def _json_rows_to(first: pa.Table, rest: Iterator[pa.Table], out: Any, spool: Path) -> int:
    """``{"rows":[...`` — the caller closes the array and adds the metadata."""
    out.write(b'{"rows":[')
    rows = 0
    for batch in _chain(first, rest):
        if batch.num_rows:
            inner = json_rows(batch, spool).strip()[1:-1].strip()
            out.write((b"," if rows else b"") + inner)
            rows += batch.num_rows
    return rows


def _chain(first: pa.Table, rest: Iterator[pa.Table]) -> Iterator[pa.Table]:
    yield first
    for batch in rest:  # masking may type an all-null batch apart from the rest
        yield batch if batch.schema.equals(first.schema) else batch.cast(first.schema)


_SPOOLED_WRITERS: dict[DataFormat, Callable[[pa.Table, Iterator[pa.Table], Any, Path], int]] = {
    DataFormat.PARQUET: _parquet_to,
    DataFormat.ARROW: _arrow_to,
    DataFormat.CSV: _csv_to,
    DataFormat.JSON: _json_rows_to,
}
