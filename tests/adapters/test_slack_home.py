"""The App Home tab, Brief me, DMs to the bot and the "Summarize link" shortcut: the real Bolt
app over HTTP on 127.0.0.1 (single-workspace mode, SLACK_BOT_TOKEN) against the loopback fake
Slack, every request signed as Slack signs it.  Tests wait on the fake's calls, never on time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from fakes import HARBOUR, story_html
from fakes.apps import running_bolt
from fakes.slack import post_signed
from fakes.slack_oauth import (
    DEFAULT_TEAM,
    FakeSlackWorkspaces,
    brief_me_body,
    dm_body,
    home_opened_body,
    shortcut_body,
)
from fakes.web import WebServer

from adapters.slack.home import BRIEF_ME_ACTION, TOPIC_ACTION, first_link, home_view
from bot.app import Core, build_core
from bot.commands import answer
from bot.config import Settings
from bot.digests import Context

JSON = "application/json"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackWorkspaces]:
    server = await FakeSlackWorkspaces().start()
    server.workspaces[DEFAULT_TEAM].members = {
        "C0NEWS": {"U0ASKER", "U0OTHER"},
        "C0SECRET": {"U0OTHER"},
    }
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def app(slack_settings: Settings, clock) -> AsyncIterator[tuple[str, Core]]:
    async with running_bolt(slack_settings, clock) as running:
        yield running


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def subscribe(core: Core, channel: str, words: str, team: str = DEFAULT_TEAM) -> None:
    context = Context(platform="slack", workspace=team, channel=channel, user="U0OTHER")
    reply = answer(core, f"digest subscribe {words}", context)
    assert "subscribed" in getattr(reply, "text", ""), reply


# -- the Home tab --------------------------------------------------------------------------


async def test_home_tab_shows_digests_in_the_openers_channels_only_and_brief_me(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, core = app
    await asyncio.to_thread(subscribe, core, "C0NEWS", "08:30 Europe/Paris ferry strike 3")
    await asyncio.to_thread(subscribe, core, "C0SECRET", "09:00 UTC secret merger")
    await asyncio.to_thread(subscribe, core, "DU0ASKER", "07:00 UTC wheat")  # the opener's DM
    await asyncio.to_thread(subscribe, core, "C0ELSE", "07:00 UTC elsewhere", team="T0OTHER")

    assert await post_signed(url, home_opened_body(), content_type=JSON) == 200

    [published] = await fake.wait_for(lambda f: f.of("views.publish"))
    assert published.payload["user_id"] == "U0ASKER"
    view = fake.views[(DEFAULT_TEAM, "U0ASKER")]
    shown = texts(view["blocks"])
    assert "<#C0NEWS>" in shown and "ferry strike" in shown and "Europe/Paris" in shown
    assert "<#DU0ASKER>" in shown and "wheat" in shown
    assert "C0SECRET" not in shown and "merger" not in shown  # a channel they are not in
    assert "elsewhere" not in shown  # another workspace's
    actions = [e["action_id"] for b in view["blocks"] for e in b.get("elements", [])]
    assert BRIEF_ME_ACTION in actions
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert inputs[0]["element"]["action_id"] == TOPIC_ACTION
    assert "No feeds yet" in shown
    [asked] = fake.of("users.conversations")
    assert asked.payload["user"] == "U0ASKER"


def test_home_view_stays_within_slacks_limits_however_many_digests(core: Core) -> None:
    channels = {f"C0{i:04d}" for i in range(120)}
    for channel in sorted(channels):
        subscribe(core, channel, "08:30 UTC " + "very long topic " * 10)
    view = home_view(core, DEFAULT_TEAM, channels, "", core.clock.now())
    assert len(view["blocks"]) <= 100
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")
    assert "more channels" in texts(view["blocks"])


async def test_brief_me_answers_the_typed_topic_in_the_openers_dm(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, _ = app
    assert await post_signed(url, brief_me_body("china 2")) == 200

    [posted] = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert posted.payload["channel"] == "DU0ASKER"
    assert fake.of("conversations.open")[0].payload["users"] == "U0ASKER"
    bullets = [
        b for b in posted.payload["blocks"] if b["type"] == "section" and "• " in b["text"]["text"]
    ]
    assert 1 <= len(bullets) <= 2


async def test_brief_me_on_nothing_stored_says_so_in_the_dm(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, _ = app
    assert await post_signed(url, brief_me_body("zzyzx-nothing")) == 200

    [posted] = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert posted.payload["channel"] == "DU0ASKER"
    assert "No stored articles about 'zzyzx-nothing'" in posted.payload["text"]
    assert not fake.of("chat.postEphemeral")


# -- DMs -------------------------------------------------------------------------------------


async def test_a_dm_is_answered_like_a_command_in_the_dm(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, _ = app
    assert await post_signed(url, dm_body("brief ukraine 2"), content_type=JSON) == 200

    [posted] = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert posted.payload["channel"] == "DU0ASKER"
    assert posted.payload["blocks"][0]["type"] == "header"
    assert "thread_ts" not in posted.payload or not posted.payload["thread_ts"]


async def test_dm_help_and_errors_are_plain_dm_messages_and_bot_messages_are_ignored(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, _ = app
    # The bot's own message and an edit come first; only the human's command is answered.
    own = json.loads(dm_body("brief ukraine"))
    own["event"]["bot_id"] = "B0BOT"
    edit = json.loads(dm_body("brief ukraine"))
    edit["event"]["subtype"] = "message_changed"
    for body in (own, edit):
        assert await post_signed(url, json.dumps(body).encode(), content_type=JSON) == 200
    assert await post_signed(url, dm_body("frobnicate"), content_type=JSON) == 200

    [posted] = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert "Unknown command 'frobnicate'" in posted.payload["text"]
    assert not fake.of("chat.postEphemeral")
    assert await post_signed(url, dm_body("help"), content_type=JSON) == 200
    later = await fake.wait_for(lambda f: f.of("chat.postMessage")[1:])
    assert "/brief" in texts(later[0].payload["blocks"])
    assert len(fake.of("chat.postMessage")) == 2


# -- the Summarize link shortcut -------------------------------------------------------------


async def test_summarize_link_shortcut_answers_only_the_user(
    app: tuple[str, Core], fake: FakeSlackWorkspaces, web: WebServer
) -> None:
    url, _ = app
    page = web.serve("/harbour.html?a=1&b=2", story_html(HARBOUR))
    message = {
        "text": f"Read this: <{page.replace('&', '&amp;')}|the harbour> and <https://x.test/>"
    }
    body = shortcut_body(message, fake.response_url())
    assert await post_signed(url, body) == 200

    [reply] = await fake.wait_for(lambda f: f.of("response_url"))
    assert reply.payload["response_type"] == "ephemeral"
    assert "Northport" in texts(reply.payload["blocks"])
    assert [r.path for r in web.requests] == ["/harbour.html?a=1&b=2"]
    assert not fake.of("chat.postMessage")


async def test_summarize_link_shortcut_on_a_message_without_a_link(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, _ = app
    body = shortcut_body({"text": "no links here"}, fake.response_url())
    assert await post_signed(url, body) == 200

    [reply] = await fake.wait_for(lambda f: f.of("response_url"))
    assert reply.payload["response_type"] == "ephemeral"
    assert "no link to summarize" in reply.payload["text"]


async def test_summarize_link_goes_through_the_fetch_guard(
    slack_settings: Settings, clock, fake: FakeSlackWorkspaces, web: WebServer
) -> None:
    guarded = dataclasses.replace(slack_settings, fetch_allow=())
    page = web.serve("/harbour.html", story_html(HARBOUR))
    async with running_bolt(guarded, clock) as (url, _):
        body = shortcut_body({"text": f"<{page}>"}, fake.response_url())
        assert await post_signed(url, body) == 200
        [reply] = await fake.wait_for(lambda f: f.of("response_url"))
    assert reply.payload["response_type"] == "ephemeral"
    assert "cannot be fetched: the address is not allowed" in reply.payload["text"]
    assert "Traceback" not in reply.payload["text"]
    assert not web.requests  # refused before any connection


def test_first_link_reads_slack_links_blocks_and_bare_urls() -> None:
    assert first_link({"text": "see <https://a.test/x?p=1&amp;q=2|label>"}) == (
        "https://a.test/x?p=1&q=2"
    )
    rich = {
        "text": "see this",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "link", "url": "https://b.test/"}],
                    }
                ],
            }
        ],
    }
    assert first_link(rich) == "https://b.test/"
    assert first_link({"text": "plain https://c.test/y now"}) == "https://c.test/y"
    assert first_link({"text": "<mailto:a@b.test|mail> <#C123>"}) is None


def test_manifest_declares_exactly_what_the_app_uses() -> None:
    from adapters.slack import MANIFEST
    from adapters.slack.app import COMMANDS
    from adapters.slack.home import SHORTCUT
    from adapters.slack.oauth import REDIRECT_PATH, SCOPES

    text = MANIFEST.read_text(encoding="utf-8")
    bot_scopes = text.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    declared = [line.split("#")[0].strip(" -") for line in bot_scopes.splitlines()]
    assert [s for s in declared if s] == list(SCOPES)
    for command in COMMANDS:
        assert f"- command: {command}\n" in text
    assert f"callback_id: {SHORTCUT}\n" in text
    assert f"https://YOUR-HOST{REDIRECT_PATH}" in text
    assert "home_tab_enabled: true" in text
    for event in ("app_home_opened", "message.im", "app_uninstalled", "tokens_revoked"):
        assert f"      - {event} " in text


async def test_home_tab_shows_no_digests_when_channels_cannot_be_read(
    app: tuple[str, Core], fake: FakeSlackWorkspaces
) -> None:
    url, core = app
    await asyncio.to_thread(subscribe, core, "C0NEWS", "08:30 UTC harbour works")
    fake.fail("users.conversations", error="missing_scope")
    assert await post_signed(url, home_opened_body(), content_type=JSON) == 200

    await fake.wait_for(lambda f: f.of("views.publish"))
    shown = texts(fake.views[(DEFAULT_TEAM, "U0ASKER")]["blocks"])
    assert "couldn't read which channels you are in (missing_scope)" in shown
    assert "harbour works" not in shown  # never a digest of a channel it could not check


async def test_home_tab_and_shortcut_over_socket_mode(
    fake: FakeSlackWorkspaces, slack_settings: Settings, clock
) -> None:
    from urllib.parse import parse_qsl

    from fakes.slack import APP_TOKEN

    from adapters.slack import serve

    settings = dataclasses.replace(
        slack_settings, slack_signing_secret="", slack_app_token=APP_TOKEN
    )
    core = build_core(settings, clock)
    core.store  # noqa: B018
    stop = asyncio.Event()
    task = asyncio.create_task(serve(core, settings, host="127.0.0.1", scheduler=None, stop=stop))
    try:
        await fake.wait_for(lambda f: f.of("socket.connect"))
        await fake.send_envelope("events_api", json.loads(home_opened_body()), "env-home")
        await fake.wait_for(lambda f: f.of("views.publish"))
        form = dict(parse_qsl(shortcut_body({"text": "none"}, fake.response_url()).decode()))
        await fake.send_envelope("interactive", json.loads(form["payload"]), "env-shortcut")
        [reply] = await fake.wait_for(lambda f: f.of("response_url"))
        assert "no link to summarize" in reply.payload["text"]
        wanted = {"env-home", "env-shortcut"}
        await fake.wait_for(
            lambda f: wanted <= {c.payload["envelope_id"] for c in f.of("socket.ack")}
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await asyncio.to_thread(core.close)
