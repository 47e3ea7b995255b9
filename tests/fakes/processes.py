"""For tests that run briefbot in processes of their own (`briefbot run worker`, `run discord`,
`digest run-due`): those run on the system clock, so what they should post is made due by it;
and a fresh interpreter's last printed JSON line (`fresh_json`), for what a start imports."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.ledger import Ledger
from bot.models import Subscription

PROJECT = Path(__file__).resolve().parents[2]


def fresh_json(
    code: str,
    cwd: Path,
    *args: str,
    database_url: str | None = None,
    environment: Mapping[str, str] | None = None,
    without: Iterable[str] = (),
) -> object:
    """Run `code` (given `args` as sys.argv[1:]) in a fresh interpreter in `cwd`, on the store
    at `database_url` when given (no seeds loaded); the JSON value of its last line of output.
    Its environment is this process's without the variables named in `without`, plus
    `environment`.  Raises CalledProcessError when it fails."""
    dropped = set(without)
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    if database_url is not None:
        env.update(DATABASE_URL=database_url, BRIEFBOT_LOAD_SEEDS="0")
    env.update(environment or {}, PYTHONPATH=str(PROJECT))
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def subscribe_due(
    ledger: Ledger,
    due: datetime,
    now: datetime,
    *,
    platform: str,
    workspace: str,
    channel: str,
    created_by: str,
    made: timedelta = timedelta(days=2),
) -> Subscription:
    """A daily UTC digest (no topic, 3 bullets, not quiet) at `due`'s hour and minute, made
    `made` before `now` (aware UTC datetimes), its window opening a day before `now`: due at
    `due` today by the system clock when `due` is just past."""
    return ledger.subscribe(
        platform=platform,
        workspace=workspace,
        channel=channel,
        hour=due.hour,
        minute=due.minute,
        timezone="UTC",
        topic=None,
        bullets=3,
        quiet=False,
        created_by=created_by,
        created_at=now - made,
        window_start=now - timedelta(days=1),
    )


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Wait until `condition()` holds, failing the test naming `what` after `timeout` seconds.

    What it watches is written by other processes (their database rows, a fake's counters),
    and nothing of theirs can set an event in this one, so it is re-checked every 50 ms; the
    timeout only bounds a failure, no test waits on it to pass.
    """

    async def watch() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(watch(), timeout)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")
