"""`shipped` without foreign keys: attribution's output, checked by the code that writes it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# SQLite's foreign keys are unnamed: batch mode names them by this convention to drop them.
_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_KEYS = (("deployment_id", "deployments"), ("commit_id", "commits"))


def upgrade() -> None:
    # Every row of `shipped` is written by attribution from commit and deployment ids it read in
    # the same transaction, and the only deletion of deployments removes their rows first
    # (store/service_paths.py). The checks never fired, and on PostgreSQL they were 63% of the
    # time of inserting a large history's rows (1.6 s of 2.6 s for 200,000), one trigger per
    # row and key.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "shipped", recreate="always", naming_convention=_SQLITE_NAMES
        ) as batch:
            for column, table in _KEYS:
                batch.drop_constraint(f"fk_shipped_{column}_{table}", type_="foreignkey")
        return
    for column, _ in _KEYS:
        op.drop_constraint(f"shipped_{column}_fkey", "shipped", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("shipped", recreate="always") as batch:
            for column, table in _KEYS:
                batch.create_foreign_key(f"fk_shipped_{column}_{table}", table, [column], ["id"])
        return
    for column, table in _KEYS:
        op.create_foreign_key(f"shipped_{column}_fkey", "shipped", table, [column], ["id"])
