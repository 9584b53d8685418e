"""Many rows inserted by COPY on PostgreSQL, through the driver, in the caller's transaction
(an executemany elsewhere); or queued in the driver's pipeline mode, where COPY is not allowed.

An executemany costs the driver a protocol exchange per row, in Python; COPY sends the rows as
one stream, each row formatted by the driver's compiled code. For the small batches of a busy
writer (a group commit of reads, each with its usage row and audit record) the per-row exchange
was most of the writer's time. Each value still goes through its column's type first, as in any
insert through SQLAlchemy.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Dialect

if TYPE_CHECKING:
    import psycopg


class BulkInsert:
    """The insert of ``columns`` (every column by default) of ``table``."""

    def __init__(self, table: Table, columns: Sequence[str] | None = None) -> None:
        self.table = table
        self.columns = tuple(columns or (c.name for c in table.columns))
        # Per dialect, worked out once: the COPY statement, the insert of one row for the
        # pipeline, and each column's bind processor.
        self._prepared: dict[Dialect, tuple[str, str, list[Any]]] = {}

    def _prepare(self, dialect: Dialect) -> tuple[str, str, list[Any]]:
        quote = dialect.identifier_preparer.quote
        table, names = quote(self.table.name), ", ".join(quote(name) for name in self.columns)
        places = ", ".join(["%s"] * len(self.columns))
        processors = [
            self.table.c[name].type._cached_bind_processor(dialect) for name in self.columns
        ]
        # Names come from the table's metadata; every value is bound.
        insert_one = f"INSERT INTO {table} ({names}) VALUES ({places})"  # noqa: S608
        return f"COPY {table} ({names}) FROM STDIN", insert_one, processors

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        dialect = connection.dialect
        if dialect.name != "postgresql":
            connection.execute(insert(self.table), list(rows))
            return
        copy_statement, _, _ = self._prepared_for(dialect)
        driver = connection.connection.driver_connection  # the same transaction
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(copy_statement) as copy:
            for row in self._driver_rows(dialect, rows):
                copy.write_row(row)

    def queue(
        self, cursor: "psycopg.Cursor[Any]", dialect: Dialect, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Queue the insert on a PostgreSQL driver cursor in pipeline mode, where COPY is not
        allowed: the rows go with the pipeline's other statements, in its round trip."""
        _, insert_one, _ = self._prepared_for(dialect)
        cursor.executemany(insert_one, self._driver_rows(dialect, rows))

    def _prepared_for(self, dialect: Dialect) -> tuple[str, str, list[Any]]:
        prepared = self._prepared.get(dialect)
        if prepared is None:
            prepared = self._prepared[dialect] = self._prepare(dialect)
        return prepared

    def _driver_rows(self, dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
        _, _, processors = self._prepared_for(dialect)
        return [
            [
                value if process is None else process(value)
                for process, value in zip(
                    processors, (row[name] for name in self.columns), strict=True
                )
            ]
            for row in rows
        ]
