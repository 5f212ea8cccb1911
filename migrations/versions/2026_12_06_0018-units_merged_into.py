"""A merged unit remembers the unit it joined and when, so no figure of it counts twice

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_audit = sa.table(
    "audit_events",
    sa.column("action", sa.String),
    sa.column("details", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_units = sa.table(
    "units",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("merged_into_id", sa.Integer),
    sa.column("merged_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_units_merged_into_id_units"),
            "units",
            ["merged_into_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    _backfill()


def _backfill() -> None:
    """Merges made before this revision are known only from their audit events.

    A merged unit an import brought back since (active again) is left a unit of its own.
    """
    if context.is_offline_mode():  # `alembic upgrade --sql`: no rows to read
        return
    bind = op.get_bind()
    merges = bind.execute(
        sa.select(_audit.c.details, _audit.c.created_at)
        .where(_audit.c.action == "units.merged")
        .order_by(_audit.c.created_at)
    ).all()
    for details, created_at in merges:
        new_id = bind.scalar(sa.select(_units.c.id).where(_units.c.code == details["new"]))
        bind.execute(
            _units.update()
            .where(_units.c.code == details["old"], _units.c.active.is_(False))
            .values(merged_into_id=new_id, merged_at=created_at)
        )


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_constraint(op.f("fk_units_merged_into_id_units"), type_="foreignkey")
        batch.drop_column("merged_at")
        batch.drop_column("merged_into_id")
