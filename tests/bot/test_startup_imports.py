"""What the command line imports to start (issue 14 part 6): `brief`, `articles` and `chat`
never need the digest scheduler, metrics or ingest, so they do not import them.  Checked in a
fresh interpreter (a subprocess), where nothing else has imported them yet."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.processes import fresh_json

# What only `digest`, `feeds`, `ingest` and `run` need: prometheus_client (via bot.metrics),
# the scheduler and its buttons, feeds and the ingest pipeline.
NOT_NEEDED = (
    "prometheus_client",
    "bot.metrics",
    "bot.digests",
    "bot.buttons",
    "bot.feeds",
    "bot.ingest",
)


def imported_after(code: str, tmp_path: Path) -> list[str]:
    """Run `code` in a fresh interpreter on an empty store; which of NOT_NEEDED it imported."""
    probe = (
        f"import json\n{code}\nimport sys\n"
        f"print(json.dumps([m for m in {NOT_NEEDED!r} if m in sys.modules]))"
    )
    found = fresh_json(probe, tmp_path, database_url=f"sqlite:///{tmp_path / 'imports.db'}")
    assert isinstance(found, list)
    return found


def test_importing_the_command_layer_imports_no_scheduler_metrics_or_ingest(
    tmp_path: Path,
) -> None:
    assert imported_after("import bot.commands", tmp_path) == []


@pytest.mark.parametrize(
    "argv", [["brief"], ["articles", "xi"], ["chat", "brief"], ["--help"]], ids=str
)
def test_brief_articles_and_chat_import_no_scheduler_metrics_or_ingest(
    tmp_path: Path, argv: list[str]
) -> None:
    code = f"from bot.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert imported_after(code, tmp_path) == []
