"""English names of the catalog classification (R1): the DCAT-AP export labels each theme in
Chinese and English, and so does the portal in English.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default nodes' English names, as catalog.classification.DEFAULT_CLASSIFICATION has them.
ENGLISH = {
    "1": "Basic information resources",
    "101": "Population",
    "102": "Legal entities",
    "103": "Natural resources and geospatial information",
    "104": "Electronic licences and certificates",
    "2": "Thematic information resources",
    "201": "Social security",
    "202": "Market regulation",
    "203": "Taxation",
    "204": "Public security",
    "205": "Civil affairs services",
    "206": "Credit system",
    "3": "Departmental information resources",
    "301": "General government affairs",
    "302": "Economic management",
    "303": "Social management",
}


def upgrade() -> None:

    op.add_column(
        "catalog_classifications", sa.Column("name_en", sa.String(length=200), nullable=True)
    )
    update = sa.text("UPDATE catalog_classifications SET name_en = :name WHERE code = :code")
    for code, name in ENGLISH.items():
        op.execute(update.bindparams(name=name, code=code))


def downgrade() -> None:

    op.drop_column("catalog_classifications", "name_en")
