"""Schema changes as Alembic revisions (`versions/`), on SQLite and PostgreSQL alike.

The baseline revision is the schema the legacy steps (`bot.store.MIGRATIONS`, versioned in
`meta.schema_version`) build; `Store` runs those first, then `upgrade` takes the store to the
newest revision, in the same transaction.  Revisions run inside briefbot (no `alembic.ini`
needed); `briefbot db upgrade` does the same on demand.  docs/architecture.md ("Schema
versions") says how to write a revision.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection

from bot.errors import BadArgument

HERE = Path(__file__).resolve().parent


@cache
def scripts() -> ScriptDirectory:
    """The revision scripts shipped in this package (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return ScriptDirectory.from_config(config)


def head() -> str:
    """The newest revision this briefbot knows."""
    found = scripts().get_current_head()
    assert found is not None, "bot/migrations/versions has no revision"
    return found


def current(conn: Connection) -> str | None:
    """The revision a database is at (its `alembic_version` row), None before the first."""
    return MigrationContext.configure(conn).get_current_revision()


def known(revision: str | None) -> None:
    """Raise BadArgument if `revision` is not one of this briefbot's (a newer one wrote it)."""
    if revision is None:
        return
    try:
        scripts().get_revision(revision)
    except CommandError:
        raise BadArgument(
            f"The database was written by a newer briefbot (schema revision {revision}); "
            "upgrade briefbot."
        ) from None


def upgrade(conn: Connection, target: str = "head") -> None:
    """Apply every revision after the database's own up to `target`, on `conn` and inside its
    open transaction (nothing is committed here).  Raises BadArgument for a database at a
    revision this briefbot does not know."""
    known(current(conn))
    script = scripts()

    def steps(revision: object, _context: MigrationContext) -> list:
        return script._upgrade_revs(target, revision)  # what `alembic upgrade` runs

    context = MigrationContext.configure(conn, opts={"script": script, "fn": steps})
    with Operations.context(context):
        context.run_migrations()
