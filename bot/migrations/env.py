"""Alembic's entry point for the `alembic` command line (briefbot itself calls
`bot.migrations.upgrade`).  The database is `DATABASE_URL`, as for briefbot."""

from __future__ import annotations

from alembic import context

from bot.config import load_settings
from bot.store import _engine_for

engine = _engine_for(load_settings().database_url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
