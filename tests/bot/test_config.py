"""Settings are checked at start: every bad one named on its own line; `.env` only from here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import BadSettings

PROJECT = Path(__file__).resolve().parents[2]


def test_every_bad_setting_is_reported_not_only_the_first() -> None:
    bad = {
        "BRIEFBOT_BULLETS": "0",
        "BRIEFBOT_FEED_INTERVAL_MINUTES": "0",
        "BRIEFBOT_DIGEST_GRACE_HOURS": "-1",
        "PORT": "65536",
        "BRIEFBOT_HTTP_TIMEOUT": "nan",
        "LOG_LEVEL": "chatty",
        "BRIEFBOT_SUMMARIZER": "gpt",
    }
    with pytest.raises(BadSettings) as caught:
        load_settings(bad)
    problems = caught.value.problems
    assert len(problems) == len(bad)
    for name, line in zip(sorted(bad), sorted(problems), strict=True):
        assert line.startswith(f"{name}=") and "\n" not in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BRIEFBOT_BULLETS", "21"),
        ("BRIEFBOT_BULLETS", "five"),
        ("PORT", "-1"),
        ("BRIEFBOT_HTTP_TIMEOUT", "0"),
        ("BRIEFBOT_HTTP_TIMEOUT", "100000"),
        ("BRIEFBOT_HTTP_TIMEOUT", "inf"),
        ("BRIEFBOT_DIGEST_LEASE_MINUTES", "0.5"),
    ],
)
def test_out_of_range_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(BadSettings, match=name):
        load_settings({name: value})


def test_good_values_pass_through() -> None:
    settings = load_settings(
        {
            "BRIEFBOT_BULLETS": "20",
            "PORT": "65535",
            "BRIEFBOT_HTTP_TIMEOUT": "2.5",
            "LOG_LEVEL": "debug",
            "BRIEFBOT_SUMMARIZER": "LexRank",
            "BRIEFBOT_DIGEST_GRACE_HOURS": "0",
            "BRIEFBOT_FEED_INTERVAL_MINUTES": "1",
            "BRIEFBOT_DIGEST_LEASE_MINUTES": "2",
        }
    )
    assert settings.digest_lease_minutes == 2.0 and load_settings({}).digest_lease_minutes == 15
    assert (settings.bullets, settings.port, settings.http_timeout) == (20, 65535, 2.5)
    assert settings.log_level == "DEBUG" and settings.feed_interval_minutes == 1


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "LOG_LEVEL"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(PROJECT), "BRIEFBOT_LOAD_SEEDS": "0", **env},
        capture_output=True,
        text=True,
        timeout=120,  # hang guard
    )


def test_cli_prints_one_line_per_bad_setting_and_exits_2(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path,
        "articles",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        BRIEFBOT_BULLETS="99",
        LOG_LEVEL="LOUD",
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("briefbot: ") for line in lines)
    assert "BRIEFBOT_BULLETS" in lines[0] and "LOG_LEVEL" in lines[1]


def test_dotenv_is_read_from_the_working_directory_never_a_parent(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    here = parent / "project"
    here.mkdir(parents=True)
    # A parent's .env must not be read: its bad setting would stop the command.
    (parent / ".env").write_text("BRIEFBOT_BULLETS=999\n")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli(here, "articles", DATABASE_URL=db).returncode == 0

    # The working directory's own .env is read.
    (here / ".env").write_text("LOG_LEVEL=nonsense\n")
    done = run_cli(here, "articles", DATABASE_URL=db)
    assert done.returncode == 2 and "LOG_LEVEL" in done.stderr
    assert "BRIEFBOT_BULLETS" not in done.stderr
