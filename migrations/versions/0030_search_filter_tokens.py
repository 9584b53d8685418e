"""Search entries carry their filters as full-text tokens (see catalog/search.py) (R12).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from catalog.search import FILTER_MARK, entry_tokens
from catalog.search_index import FACETS

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000


def _retokenize(with_filters: bool) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT resource_id, tokens, provider_department_id, share_type, category, "
            "update_cycle, open_to_public, status FROM catalog_search"
        )
    ).mappings()
    updates = []
    for row in rows:
        texts = " ".join(t for t in row["tokens"].split() if not t.startswith(FILTER_MARK))
        filters = {name: row[name] for name in FACETS}
        filters["open_to_public"] = bool(row["open_to_public"])  # SQLite hands back 0/1
        tokens = entry_tokens(texts, filters) if with_filters else texts
        updates.append({"id": row["resource_id"], "tokens": tokens})
    statement = sa.text("UPDATE catalog_search SET tokens = :tokens WHERE resource_id = :id")
    for start in range(0, len(updates), _BATCH):
        connection.execute(statement, updates[start : start + _BATCH])
    if connection.dialect.name != "postgresql":
        op.execute("DELETE FROM catalog_search_fts")
        op.execute(
            "INSERT INTO catalog_search_fts (rowid, tokens) "
            "SELECT resource_id, tokens FROM catalog_search"
        )


def upgrade() -> None:
    _retokenize(with_filters=True)


def downgrade() -> None:
    _retokenize(with_filters=False)
