"""Baseline: the schema the legacy steps build (bot.store.MIGRATIONS, meta.schema_version 16).

`Store` runs the legacy steps before Alembic, so this revision only marks a store, new or
created by an earlier briefbot, as being at the baseline; its data is untouched.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise NotImplementedError("briefbot migrates forward only")
