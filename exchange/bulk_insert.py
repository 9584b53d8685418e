"""Many rows inserted by COPY on PostgreSQL, through the driver, in the caller's transaction
(an executemany elsewhere).

An executemany costs the driver a protocol exchange per row, in Python; COPY sends the rows as
one stream, each row formatted by the driver's compiled code. For the small batches of a busy
writer (a group commit of reads, each with its usage row and audit record) the per-row exchange
was most of the writer's time. Each value still goes through its column's type first, as in any
insert through SQLAlchemy.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Dialect


class BulkInsert:
    """The insert of ``columns`` (every column by default) of ``table``."""

    def __init__(self, table: Table, columns: Sequence[str] | None = None) -> None:
        self.table = table
        self.columns = tuple(columns or (c.name for c in table.columns))
        # Per dialect, worked out once: the COPY statement and each column's bind processor.
        self._prepared: dict[Dialect, tuple[str, list[Any]]] = {}

    def _prepare(self, dialect: Dialect) -> tuple[str, list[Any]]:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in self.columns)
        processors = [
            self.table.c[name].type._cached_bind_processor(dialect) for name in self.columns
        ]
        return f"COPY {quote(self.table.name)} ({names}) FROM STDIN", processors

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        dialect = connection.dialect
        if dialect.name != "postgresql":
            connection.execute(insert(self.table), list(rows))
            return
        prepared = self._prepared.get(dialect)
        if prepared is None:
            prepared = self._prepared[dialect] = self._prepare(dialect)
        statement, processors = prepared
        driver = connection.connection.driver_connection  # the same transaction
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None else process(value)
                        for process, value in zip(
                            processors, (row[name] for name in self.columns), strict=True
                        )
                    ]
                )
