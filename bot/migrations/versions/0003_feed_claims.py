"""Feed claims: the lease a worker holds on a canonical feed URL while it polls it.

Revision ID: 0003_feed_claims
Revises: 0002_postgres_search
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from bot.store import feed_claims

revision = "0003_feed_claims"
down_revision = "0002_postgres_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    feed_claims.create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    raise NotImplementedError("briefbot migrates forward only")
