"""Pulling data from departments' systems (R9): a database, an HTTP JSON API or a file drop.

Every read goes through the department's ``Reach`` (collection.confinement): what a source may
touch is decided there, here only how to read it. Failures name what failed, never what the remote
system answered (an error body or a database message could carry data the source was not meant to
reveal).
"""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from sqlalchemy import URL, String, column, create_engine, literal, make_url, select, table, text
from sqlalchemy.dialects.postgresql.base import PGDialect as postgresql_dialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect as sqlite_dialect

from collection.confinement import DEFAULT_PORTS, Reach, SourceRefused
from collection.conform import SOURCE_FILE, SOURCE_LINE
from exchange.errors import Explained, InvalidInput

FILE_KINDS = (".csv", ".xlsx", ".parquet", ".jsonl")
MAX_PAGES = 100_000
CHUNK_ROWS = 250_000
CSV_BLOCK_BYTES = 1 << 20  # Arrow reads ahead some 25 blocks: larger ones cost memory, not time
MAX_REDIRECTS = 5
# Connection options a database URL may carry; others (host, hostaddr, service, passfile, ssl
# key paths…) would let the URL reach another server or read the platform's own files.
DATABASE_OPTIONS = {"sslmode", "connect_timeout", "application_name", "target_session_attrs"}


class ExtractError(Explained):
    """The source could not be read; the message says what to check."""


def extract(
    kind: str,
    config: dict[str, Any],
    secret: dict[str, Any],
    *,
    reach: Reach,
    watermark: tuple[str, str] | None = None,
    limit: int | None = None,
) -> pa.Table:
    """Everything the source holds (or, with ``watermark`` = (column, last value), what is newer),
    as one table: for a sample. An ingest reads ``extract_chunks`` instead."""
    chunks, rows = [], 0
    for chunk in extract_chunks(
        kind, config, secret, reach=reach, watermark=watermark, limit=limit
    ):
        chunks.append(chunk)
        rows += chunk.num_rows
        if limit and rows >= limit:
            break
    combined = pa.concat_tables(chunks) if len(chunks) > 1 else chunks[0]
    return combined.slice(0, limit) if limit else combined


def extract_chunks(
    kind: str,
    config: dict[str, Any],
    secret: dict[str, Any],
    *,
    reach: Reach,
    watermark: tuple[str, str] | None = None,
    limit: int | None = None,
) -> Iterator[pa.Table]:
    """The source's rows in chunks of about ``CHUNK_ROWS``, all of one schema, at least one chunk
    (perhaps empty): a source of any size is read in memory bounded by a chunk."""
    try:
        if kind == "database":
            yield from _rechunked(_database(config, secret, reach, watermark, limit))
        elif kind == "http":
            yield _http(config, secret, reach, limit)
        elif kind == "file":
            yield from _rechunked(_files(config, reach))
        else:
            raise InvalidInput("unknown source kind {kind!r}: database, http or file", kind=kind)
    except (ExtractError, SourceRefused, InvalidInput):
        raise
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
    ) as error:  # a file of the department's own drop folder
        raise ExtractError(
            "reading the {kind} source failed: {error}", kind=kind, error=error
        ) from error
    except httpx.HTTPError as error:
        raise ExtractError(
            "reading the {kind} source failed: {name} (check the address and that the system answers)",
            kind=kind,
            name=type(error).__name__,
        ) from error
    except Exception as error:  # database drivers raise their own kinds
        raise ExtractError(
            "reading the {kind} source failed: {name} (check the connection settings, the table or query, and the account's rights)",
            kind=kind,
            name=type(error).__name__,
        ) from error


def _rechunked(parts: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Parts of any size (a driver's batches, a CSV reader's blocks) gathered into chunks of about
    CHUNK_ROWS: small enough to bound memory, large enough that per-chunk work stays negligible.
    An empty part only tells the columns: it is yielded when no rows come at all."""
    pending: list[pa.Table] = []
    rows, yielded, columns = 0, False, pa.table({})
    for part in parts:
        if not part.num_rows:
            columns = columns if columns.num_columns else part
            continue
        pending.append(part)
        rows += part.num_rows
        if rows >= CHUNK_ROWS:
            yield pa.concat_tables(pending, promote_options="permissive")
            pending, rows, yielded = [], 0, True
    if pending:
        yield pa.concat_tables(pending, promote_options="permissive")
    elif not yielded:
        yield columns


def _database(
    config: dict[str, Any],
    secret: dict[str, Any],
    reach: Reach,
    watermark: tuple[str, str] | None,
    limit: int | None,
) -> Iterator[pa.Table]:
    url = secret.get("url")
    if not url:
        raise ExtractError("the database source has no connection URL")
    try:
        parsed = make_url(str(url))
    except Exception as error:
        raise ExtractError("the database URL cannot be read") from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = reach.sqlite_file(parsed.database or "")
        return _database_arrow(
            f"file:{quote(str(path))}?mode=ro", backend, config, watermark, limit
        )
    pinned = _pinned_database_url(parsed, reach)
    if backend in ADBC_BACKENDS:
        return _database_arrow(
            pinned.set(drivername="postgresql").render_as_string(hide_password=False),
            backend,
            config,
            watermark,
            limit,
        )
    return _database_rows(pinned, config, watermark, limit)


def _pinned_database_url(url: URL, reach: Reach) -> URL:
    """The URL with its host's checked address pinned (libpq's hostaddr; the address elsewhere)."""
    if not url.host:
        raise SourceRefused("a database source names its server's host (no local sockets)")
    unknown = sorted(set(url.query) - DATABASE_OPTIONS)
    if unknown:
        raise SourceRefused(
            "the database URL may not set {unknown}",
            detail={"allowed": sorted(DATABASE_OPTIONS)},
            unknown=", ".join(unknown),
        )
    port = url.port or DEFAULT_PORTS.get(url.get_backend_name(), 0)
    address = reach.address(url.host, port)
    if url.get_backend_name() == "postgresql":
        return url.set(port=port).update_query_dict({"hostaddr": address})
    return url.set(host=address, port=port)


ADBC_BACKENDS = ("sqlite", "postgresql")


def _source_sql(
    backend: str, config: dict[str, Any], watermark: tuple[str, str] | None, limit: int | None
) -> str:
    """The statement for an Arrow-native driver: identifiers quoted, the watermark an escaped literal
    (an untyped literal takes the column's type, where a text parameter would not compare with a date)."""
    dialect = (sqlite_dialect if backend == "sqlite" else postgresql_dialect)()
    quote = dialect.identifier_preparer.quote
    if config.get("query"):
        source = f"({config['query']}) AS source"
    else:
        source = ".".join(quote(part) for part in str(config["table"]).split("."))
    sql = f"SELECT * FROM {source}"  # noqa: S608 (identifiers quoted, the value escaped below)
    if watermark:
        value = literal(watermark[1], String()).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
        sql += f" WHERE {quote(watermark[0])} > {value} ORDER BY {quote(watermark[0])}"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return sql


def _database_arrow(
    uri: str,
    backend: str,
    config: dict[str, Any],
    watermark: tuple[str, str] | None,
    limit: int | None,
) -> Iterator[pa.Table]:
    """SQLite (a read-only file URI) and PostgreSQL through ADBC: rows arrive as Arrow batches,
    ten times faster than row tuples."""
    sql = _source_sql(backend, config, watermark, limit)
    if backend == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        connection = driver.connect(uri)
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connection = driver.connect(uri)
    with connection, connection.cursor() as cursor:
        cursor.execute(sql)
        reader = cursor.fetch_record_batch()
        schema = _without_extension_types(reader.schema.empty_table()).schema
        yield schema.empty_table()  # the columns even of an empty result
        for batch in reader:
            yield _without_extension_types(pa.Table.from_batches([batch]))


def _without_extension_types(data: pa.Table) -> pa.Table:
    """PostgreSQL's numeric arrives as an opaque extension type over text: keep the text."""
    for index, field in enumerate(data.schema):
        if isinstance(field.type, pa.BaseExtensionType):
            storage = pa.chunked_array(
                [chunk.storage for chunk in data.column(index).chunks], field.type.storage_type
            )
            data = data.set_column(index, field.name, storage)
    return data


def _database_rows(
    url: URL, config: dict[str, Any], watermark: tuple[str, str] | None, limit: int | None
) -> Iterator[pa.Table]:
    """Any other database SQLAlchemy reaches, row by row."""
    engine = create_engine(url, pool_pre_ping=True)
    try:
        if config.get("query"):
            base = text(str(config["query"])).columns().subquery("source")
            query = select(base)
            watermark_column = base.c[watermark[0]] if watermark else None
        else:
            query = select(text("*")).select_from(table(str(config["table"])))
            watermark_column = column(watermark[0]) if watermark else None
        if watermark and watermark_column is not None:
            query = query.where(watermark_column > watermark[1]).order_by(watermark_column)
        if limit:
            query = query.limit(limit)
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True).execute(query)
            names = list(result.keys())
            yield pa.table({n: pa.array([], pa.string()) for n in names})
            for rows in result.partitions(100_000):
                yield pa.Table.from_batches([_batch(names, rows)])
    finally:
        engine.dispose()


def _batch(names: list[str], rows: Any) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.RecordBatch.from_arrays([pa.array(list(values)) for values in columns], names=names)


def _http(
    config: dict[str, Any], secret: dict[str, Any], reach: Reach, limit: int | None
) -> pa.Table:
    headers = {}
    if secret.get("header_value"):
        headers[str(config.get("header_name", "Authorization"))] = str(secret["header_value"])
    rows: list[dict[str, Any]] = []
    with httpx.Client(headers=headers, timeout=float(config.get("timeout", 30))) as client:
        for page in _pages(client, config, reach):
            rows.extend(page)
            if limit and len(rows) >= limit:
                rows = rows[:limit]
                break
    if not rows:
        return pa.table({})
    return pa.Table.from_pylist(rows)


def _get(client: httpx.Client, url: str, params: dict[str, Any], reach: Reach) -> httpx.Response:
    """GET through the checked address of each hop; redirects are followed only to allowed hosts."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceRefused(
                "an HTTP source is an http:// or https:// address", detail={"field": "url"}
            )
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        address = reach.address(parts.hostname, port)
        host = f"[{address}]" if ":" in address else address
        pinned = parts._replace(netloc=f"{host}:{port}").geturl()
        response = client.get(
            pinned,
            params=params,
            headers={"Host": parts.netloc.rpartition("@")[2]},
            extensions={"sni_hostname": parts.hostname},
        )
        if not response.is_redirect:
            return response
        url = urljoin(url, response.headers["location"])
    raise ExtractError(
        "the API redirected more than {max_redirects} times", max_redirects=MAX_REDIRECTS
    )


def _pages(
    client: httpx.Client, config: dict[str, Any], reach: Reach
) -> Iterator[list[dict[str, Any]]]:
    url = str(config["url"])
    page_param, size_param = config.get("page_param", "page"), config.get("size_param", "size")
    size = int(config.get("page_size", 500))
    page = int(config.get("start_page", 1))
    for _ in range(MAX_PAGES):
        response = _get(client, url, {page_param: page, size_param: size}, reach)
        if response.status_code >= 400:
            raise ExtractError(
                "the API answered {status_code} for page {page}",
                status_code=response.status_code,
                page=page,
            )
        try:
            document = response.json()
        except ValueError as error:
            raise ExtractError("the API's answer to page {page} is not JSON", page=page) from error
        items = _at_path(document, config.get("items_path", "items"))
        if not items:
            return
        yield items
        if len(items) < size:
            return
        page += 1
    raise ExtractError("the API returned more than {max_pages} pages", max_pages=MAX_PAGES)


def _at_path(document: Any, path: str | None) -> list[dict[str, Any]]:
    value = document
    for key in (path or "").split("."):
        if key and isinstance(value, dict):
            value = value.get(key)
    if not isinstance(value, list):
        raise ExtractError("the response has no list at {path!r}", path=path)
    return value


def _files(config: dict[str, Any], reach: Reach) -> Iterator[pa.Table]:
    """Every matching file in parts, each part with the columns of all the files together (a
    column one file lacks is empty in its rows), as if the files were one table."""
    given = str(config["folder"])
    folder = reach.folder(given)
    pattern = str(config.get("pattern", "*"))
    files = [p for p in reach.files(folder, pattern) if p.suffix.lower() in FILE_KINDS]
    if not files:
        raise ExtractError(
            "no {file_kinds} files matching {pattern} in {given}",
            file_kinds=", ".join(FILE_KINDS),
            pattern=pattern,
            given=given,
        )
    read_whole: dict[Path, pa.Table] = {}  # formats without a streaming reader, read once
    schemas = [_file_schema(path, read_whole) for path in files]
    location = pa.schema([(SOURCE_FILE, pa.string()), (SOURCE_LINE, pa.int64())])
    together = pa.unify_schemas([*schemas, location], promote_options="permissive")
    yield together.empty_table()  # the columns, should no file hold a row
    for path in files:
        line = 1 if path.suffix.lower() in (".jsonl", ".parquet") else 2
        parts = [read_whole.pop(path)] if path in read_whole else _file_parts(path)
        for part in parts:
            yield _as_schema(_located(part, path, folder, line), together)
            line += part.num_rows


def _located(data: pa.Table, path: Path, folder: Path, first: int) -> pa.Table:
    """Each row's file and line, so that a row set aside can be found where the provider keeps it.
    CSV and spreadsheet rows start on line 2, after the header; JSON lines on line 1."""
    lines = pa.array(range(first, first + data.num_rows), pa.int64())
    name = str(path.relative_to(folder))
    return data.append_column(SOURCE_FILE, pa.repeat(name, data.num_rows)).append_column(
        SOURCE_LINE, lines
    )


def _as_schema(data: pa.Table, schema: pa.Schema) -> pa.Table:
    if data.schema == schema:
        return data
    columns = [
        data.column(field.name).cast(field.type)
        if field.name in data.column_names
        else pa.nulls(data.num_rows, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _csv_columns(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def _file_schema(path: Path, read_whole: dict[Path, pa.Table]) -> pa.Schema:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pa.schema([(name, pa.string()) for name in _csv_columns(path)])
    if suffix == ".parquet":
        return pq.read_schema(path)
    read_whole[path] = _read_whole(path)
    return read_whole[path].schema


def _file_parts(path: Path) -> Iterator[pa.Table]:
    if path.suffix.lower() == ".parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
            yield pa.Table.from_batches([batch])
        return
    # Every column as text: codes such as postal codes keep their leading zeros.
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in _csv_columns(path)},
        strings_can_be_null=False,
    )
    blocks = pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES)
    with pa_csv.open_csv(path, read_options=blocks, convert_options=options) as reader:
        for batch in reader:  # Arrow skips a UTF-8 BOM itself
            yield pa.Table.from_batches([batch])


def _read_whole(path: Path) -> pa.Table:
    if path.suffix.lower() == ".jsonl":
        return pa_json.read_json(path)
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    if not rows:
        return pa.table({})
    return pa.table(
        {
            name: [row[i] if i < len(row) else "" for row in rows[1:]]
            for i, name in enumerate(rows[0])
        }
    )
