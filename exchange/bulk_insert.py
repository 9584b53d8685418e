"""Many rows inserted on PostgreSQL as one statement taking one array per column.

``INSERT … SELECT * FROM unnest(:a, :b, …)`` is one execution whatever the number of rows, where
an executemany costs the driver a protocol exchange per row, in Python: for the small batches of
a busy writer (a group commit of reads, each with its usage row and audit record) that exchange
was most of the writer's time. Each value still goes through its column's type, as in any insert.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect


class BulkInsert:
    """The insert of ``columns`` of ``table``, for PostgreSQL."""

    def __init__(self, table: Table, columns: Sequence[str] | None = None) -> None:
        self.table = table
        self.columns = tuple(columns or (c.name for c in table.columns))
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        quote = dialect.identifier_preparer.quote
        arrays = ", ".join(
            f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])"
            for name in self.columns
        )
        # Names and types come from the table's metadata; every value is bound.
        names = ", ".join(quote(n) for n in self.columns)
        self.sql = f"INSERT INTO {quote(table.name)} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
        self.statement: TextClause = text(self.sql)

    def parameters(
        self, rows: Sequence[Mapping[str, Any]], dialect: Dialect
    ) -> dict[str, list[Any]]:
        """The rows as one list per column, each value as its column's type binds it."""
        parameters = {}
        for name in self.columns:
            processor = self.table.c[name].type._cached_bind_processor(dialect)
            values = [row[name] for row in rows]
            parameters[name] = values if processor is None else [processor(v) for v in values]
        return parameters

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        connection.execute(self.statement, self.parameters(rows, connection.dialect))
