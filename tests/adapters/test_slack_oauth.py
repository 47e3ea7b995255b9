"""Install into any workspace (Slack OAuth): the real Bolt app, built as `briefbot run slack`
builds it with SLACK_CLIENT_ID/SECRET, over HTTP on 127.0.0.1, against the loopback fake
Slack, which issues one token per workspace and records which token every call carried.

A browser goes through /slack/install → Slack's authorize page (the fake) →
/slack/oauth_redirect with the state cookie.  The digest scheduler runs for real; tests wait
on its `idle` event and on the fake's calls, never on time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.slack import SIGNING_SECRET, command_body, post_signed
from fakes.slack_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeSlackWorkspaces,
    home_opened_body,
    install,
    replay,
    tokens_revoked_body,
    uninstalled_body,
)

from adapters import run_due_once
from adapters.slack import EVENTS_PATH, build_app, check_settings, digest_poster, serve_http
from adapters.slack.oauth import SCOPES, open_installations
from bot.app import Core, build_core
from bot.commands import answer
from bot.config import Settings
from bot.digests import Context, Scheduler
from bot.errors import BadArgument
from bot.ledger import Ledger

PROJECT = Path(__file__).resolve().parents[2]
NORTH, SOUTH = "T0NORTH", "T0SOUTH"
CHANNEL = {NORTH: "C0NORTH", SOUTH: "C0SOUTH"}
JSON = "application/json"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackWorkspaces]:
    server = await FakeSlackWorkspaces().start()
    server.add_workspace(NORTH, "North", {CHANNEL[NORTH]: {"U0ASKER"}})
    server.add_workspace(SOUTH, "South", {CHANNEL[SOUTH]: {"U0ASKER"}})
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def oauth_settings(settings: Settings, fake: FakeSlackWorkspaces) -> Settings:
    return dataclasses.replace(
        settings,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
    )


@dataclasses.dataclass
class Running:
    base: str  # http://127.0.0.1:PORT
    core: Core
    scheduler: Scheduler

    @property
    def events(self) -> str:
        return self.base + EVENTS_PATH


@pytest.fixture
async def bolt(
    oauth_settings: Settings, clock, fake: FakeSlackWorkspaces
) -> AsyncIterator[Running]:
    """The app as `serve` builds it in OAuth mode, with the digest scheduler running."""
    core = build_core(oauth_settings, clock)
    core.store  # noqa: B018 - open and seed before serving, as `run` does
    scheduler = Scheduler(core, {})
    app = build_app(core, oauth_settings, scheduler=scheduler)
    scheduler.posters["slack"] = digest_poster(oauth_settings, core.store)
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve_http(app, "127.0.0.1", 0, bound.set_result))
    ticker = asyncio.create_task(scheduler.run())
    try:
        port = await asyncio.wait_for(bound, 10)
        base = f"http://127.0.0.1:{port}"
        fake.redirect_uri = f"{base}/slack/oauth_redirect"  # as set in the Slack app
        await asyncio.wait_for(scheduler.idle.wait(), 30)  # the first pass is done
        yield Running(base, core, scheduler)
    finally:
        for task in (server, ticker):
            task.cancel()
        await asyncio.gather(server, ticker, return_exceptions=True)
        await asyncio.to_thread(core.close)


def subscribe(core: Core, team: str, at: str) -> None:
    context = Context(platform="slack", workspace=team, channel=CHANNEL[team], user="U0ASKER")
    reply = answer(core, f"digest subscribe {at} UTC", context)
    assert "subscribed" in getattr(reply, "text", ""), reply


async def pass_after(running: Running, nudge) -> None:
    """Do `nudge` (which pokes the scheduler), then wait for the pass it caused."""
    running.scheduler.idle.clear()
    await nudge()
    await asyncio.wait_for(running.scheduler.idle.wait(), 30)


async def test_two_workspaces_installed_are_each_served_with_their_own_token(
    bolt: Running, fake: FakeSlackWorkspaces
) -> None:
    for team in (NORTH, SOUTH):
        done = await install(bolt.base, team)
        assert done.status == 200, done.text
        assert fake.token_of(team) is not None
    assert fake.token_of(NORTH) != fake.token_of(SOUTH)
    assert fake.requested_scopes == [list(SCOPES), list(SCOPES)]
    stores = open_installations(bolt.core.store.engine, CLIENT_ID)
    assert await stores.bot_token(NORTH) == fake.token_of(NORTH)

    for team in (NORTH, SOUTH):
        body = command_body(
            "/brief", "ukraine 2", fake.response_url(team), channel=CHANNEL[team], team=team
        )
        assert await post_signed(bolt.events, body) == 200
    posts = await fake.wait_for(
        lambda f: len(f.of("chat.postMessage")) == 2 and f.of("chat.postMessage")
    )
    for call in posts:
        team = NORTH if call.payload["channel"] == CHANNEL[NORTH] else SOUTH
        assert call.token == fake.token_of(team)  # type: ignore[attr-defined]
    # Bolt checked each request's token against its own workspace.
    assert fake.calls_of(NORTH, "auth.test") and fake.calls_of(SOUTH, "auth.test")

    # The Home tab too is read and published with the opener's workspace's token.
    await asyncio.to_thread(subscribe, bolt.core, SOUTH, "07:15")
    assert await post_signed(bolt.events, home_opened_body(team=SOUTH), content_type=JSON) == 200
    [published] = await fake.wait_for(lambda f: f.of("views.publish"))
    assert published.team == SOUTH  # type: ignore[attr-defined]
    assert [c.team for c in fake.of("users.conversations")] == [SOUTH]  # type: ignore[attr-defined]
    assert "<#C0SOUTH>" in json.dumps(fake.views[(SOUTH, "U0ASKER")])


async def test_uninstalling_one_workspace_pauses_only_its_digests_until_reinstalled(
    bolt: Running, fake: FakeSlackWorkspaces, clock
) -> None:
    for team in (NORTH, SOUTH):
        assert (await install(bolt.base, team)).status == 200
        await asyncio.to_thread(subscribe, bolt.core, team, "09:30")
    north_token = fake.token_of(NORTH)

    clock.advance(timedelta(minutes=31))  # 09:31: both digests are due
    fake.uninstall(NORTH)

    async def uninstall_north() -> None:
        assert await post_signed(bolt.events, uninstalled_body(NORTH), content_type=JSON) == 200

    await pass_after(bolt, uninstall_north)
    assert await asyncio.to_thread(Ledger(bolt.core.store).paused, "slack", NORTH)
    stores = open_installations(bolt.core.store.engine, CLIENT_ID)
    assert await stores.bot_token(NORTH) is None
    posted = fake.of("chat.postMessage")
    assert [c.payload["channel"] for c in posted] == [CHANNEL[SOUTH]]
    assert posted[0].token == fake.token_of(SOUTH)  # type: ignore[attr-defined]
    assert not [c for c in fake.calls if getattr(c, "token", "") == north_token and c.status != 200]

    # Reinstalled: North's digests run again, with the new token.
    assert (await install(bolt.base, NORTH)).status == 200
    assert not await asyncio.to_thread(Ledger(bolt.core.store).paused, "slack", NORTH)
    # As `briefbot digest run-due` does: its own poster, tokens from the database.
    outcomes = await run_due_once(bolt.core, bolt.core.settings, clock.advance(timedelta(days=1)))
    # Yesterday's North digest fell due while paused and is past its grace period: missed.
    assert sorted(o.status for o in outcomes) == ["delivered", "delivered", "missed"]
    north_posts = [c for c in fake.of("chat.postMessage") if c.payload["channel"] == CHANNEL[NORTH]]
    assert [c.token for c in north_posts] == [fake.token_of(NORTH)]  # type: ignore[attr-defined]
    assert fake.token_of(NORTH) != north_token


async def test_tokens_revoked_forgets_the_installation_and_pauses_digests(
    bolt: Running, fake: FakeSlackWorkspaces
) -> None:
    assert (await install(bolt.base, SOUTH)).status == 200
    await asyncio.to_thread(subscribe, bolt.core, SOUTH, "10:00")
    fake.uninstall(SOUTH)

    async def revoke() -> None:
        assert await post_signed(bolt.events, tokens_revoked_body(SOUTH), content_type=JSON) == 200

    await pass_after(bolt, revoke)
    ledger = Ledger(bolt.core.store)
    assert await asyncio.to_thread(ledger.paused, "slack", SOUTH) == "tokens_revoked"
    assert await asyncio.to_thread(ledger.subscriptions, "slack", SOUTH) == []
    stores = open_installations(bolt.core.store.engine, CLIENT_ID)
    assert await stores.bot_token(SOUTH) is None


async def test_the_oauth_state_is_checked_cookie_and_single_use(
    bolt: Running, fake: FakeSlackWorkspaces
) -> None:
    # Without the browser's state cookie (another browser, or a forged link): refused.
    stolen = await install(bolt.base, NORTH, keep_cookie=False)
    assert stolen.status == 400
    assert fake.token_of(NORTH) is None and not fake.of("oauth.v2.access")

    done = await install(bolt.base, SOUTH)
    assert done.status == 200
    # The same callback again (a replay): the state was used up.
    assert await replay(done.callback_url) == 401
    # A state briefbot never issued, with a matching cookie: refused too.
    forged = done.callback_url.replace("state=", "state=forged")
    assert await replay(forged, cookie_state="forged" + forged.split("state=forged")[1]) == 401
    assert len(fake.of("oauth.v2.access")) == 1


async def test_a_request_from_a_workspace_that_never_installed_posts_nothing(
    bolt: Running, fake: FakeSlackWorkspaces
) -> None:
    body = command_body("/brief", "", fake.response_url("x"), channel="C0NORTH", team=NORTH)
    assert await post_signed(bolt.events, body) == 200
    # Bolt tells the asker through the response_url; nothing is posted with any token.
    [told] = await fake.wait_for(lambda f: f.of("response_url"))
    assert "briefbot is not installed in this workspace" in told.payload["text"]
    assert not fake.of("chat.postMessage")


async def test_briefbot_run_slack_serves_the_install_and_logs_no_secret(
    fake: FakeSlackWorkspaces, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": "0",
        "LOG_LEVEL": "DEBUG",
        "PYTHONPATH": str(PROJECT),
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_REDIRECT_URI"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "slack",
        "--host",
        "127.0.0.1",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert "listening on" in line, line
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        base = f"http://127.0.0.1:{port}"
        fake.redirect_uri = f"{base}/slack/oauth_redirect"
        assert (await install(base, NORTH)).status == 200
        body = command_body("/brief", "ukraine", fake.response_url(), channel="C0NORTH", team=NORTH)
        assert await post_signed(base + EVENTS_PATH, body) == 200
        [posted] = await fake.wait_for(lambda f: f.of("chat.postMessage"), timeout=30)
        assert posted.token == fake.token_of(NORTH)  # type: ignore[attr-defined]
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    logs = stderr.decode()
    assert "oauth.v2.access" in logs  # DEBUG logging really was on
    for secret in (CLIENT_SECRET, SIGNING_SECRET, fake.token_of(NORTH) or "unset"):
        assert secret not in logs


def test_oauth_mode_runs_over_http_and_needs_the_signing_secret(oauth_settings: Settings) -> None:
    assert check_settings(oauth_settings) is False  # HTTP mode, no SLACK_BOT_TOKEN needed
    with pytest.raises(BadArgument, match="SLACK_SIGNING_SECRET"):
        check_settings(dataclasses.replace(oauth_settings, slack_signing_secret=""))
