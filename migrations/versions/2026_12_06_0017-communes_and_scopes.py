"""Communes and scopes: one deployment for a province, each officer on their own commune

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, what happens to its rows when their commune goes, indexed)
SCOPED = (
    ("units", "RESTRICT", True),
    ("contacts", "SET NULL", True),
    ("invites", "CASCADE", False),
    ("directives", "SET NULL", True),
    ("schedules", "CASCADE", False),
    ("commendations", "CASCADE", False),
)


def upgrade() -> None:
    op.create_table(
        "communes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communes")),
        sa.UniqueConstraint("code", name=op.f("uq_communes_code")),
    )
    # Every existing row stays without a commune: a one-commune deployment, as before.
    for table, on_delete, indexed in SCOPED:
        # SQLite adds a foreign key only by copying the table: the batch does it there.
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("commune_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_{table}_commune_id_communes"),
                "communes",
                ["commune_id"],
                ["id"],
                ondelete=on_delete,
            )
            if indexed:
                batch.create_index(op.f(f"ix_{table}_commune_id"), ["commune_id"])
    # A province officer is said explicitly; in a province, an officer with neither a commune
    # nor this sees nothing.
    for table in ("contacts", "invites"):
        op.add_column(
            table,
            sa.Column("province_wide", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    # "📢 Lan tỏa toàn tỉnh": who sent a good model to the whole province, and when (once).
    op.add_column("good_models", sa.Column("province_spread_by", sa.BigInteger(), nullable=True))
    op.add_column(
        "good_models", sa.Column("province_spread_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("good_models") as batch:
        batch.drop_column("province_spread_at")
        batch.drop_column("province_spread_by")
    for table in ("invites", "contacts"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("province_wide")
    for table, _on_delete, indexed in reversed(SCOPED):
        with op.batch_alter_table(table) as batch:
            if indexed:
                batch.drop_index(op.f(f"ix_{table}_commune_id"))
            batch.drop_constraint(op.f(f"fk_{table}_commune_id_communes"), type_="foreignkey")
            batch.drop_column("commune_id")
    op.drop_table("communes")
