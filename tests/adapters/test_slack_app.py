"""The real slack-bolt app over HTTP on 127.0.0.1, against the loopback fake Slack Web API.

Requests are built and signed exactly as Slack sends them.  Nothing here waits on time:
tests wait for the fake to record a call, with a timeout only as a guard against hangs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes import HARBOUR, story_html
from fakes.apps import running_bolt
from fakes.slack import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    command_body,
    mention_body,
    post_signed,
    sign,
)
from fakes.web import WebServer

import adapters.slack.app as slack_app
from adapters.slack import EVENTS_PATH, check_settings
from bot.app import Core, build_core
from bot.config import Settings
from bot.errors import BadArgument

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def bolt(slack_settings: Settings, clock) -> AsyncIterator[str]:
    """Serve the real Bolt app on a free loopback port; yield its events URL."""
    async with running_bolt(slack_settings, clock) as (url, _):
        yield url


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def context_texts(blocks: list[dict]) -> list[str]:
    return [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]


# -- the briefing --------------------------------------------------------------------------


async def test_brief_is_acked_then_posted_to_the_channel_as_sourced_blocks(
    bolt: str, fake: FakeSlack
) -> None:
    status = await post_signed(bolt, command_body("/brief", "ukraine 3", fake.response_url()))
    assert status == 200

    posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    message = posted[0].payload
    assert message["channel"] == "C0NEWS"
    assert message["text"]  # the notification fallback
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    assert "Ukraine" in blocks[0]["text"]["text"] or "ukraine" in blocks[0]["text"]["text"]
    bullets = [t for t in section_texts(blocks) if t.startswith("• ")]
    assert 1 <= len(bullets) <= 3
    sources = [t for t in context_texts(blocks) if t.startswith("Source")]
    assert len(sources) == len(bullets)
    assert all("Xi" in s or "China" in s for s in sources)  # the seed articles' titles
    assert not fake.of("chat.postEphemeral") and not fake.of("response_url")


async def test_a_mention_is_answered_in_a_thread(bolt: str, fake: FakeSlack) -> None:
    body = mention_body("brief china 2")
    assert await post_signed(bolt, body, content_type="application/json") == 200

    posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert posted[0].payload["thread_ts"] == "1700000000.000100"
    assert any(t.startswith("• ") for t in section_texts(posted[0].payload["blocks"]))


async def test_a_mention_with_a_slack_wrapped_link_summarizes_the_bare_url(
    bolt: str, fake: FakeSlack, web: WebServer
) -> None:
    url = web.serve("/harbour.html?from=chat&lang=en", story_html(HARBOUR))
    # Slack wraps links as <url|label> and escapes & in the text it sends.
    wrapped = f"<{url.replace('&', '&amp;')}|harbour story>"
    body = mention_body(f"summarize\u00a0{wrapped}\u00a0２")
    assert await post_signed(bolt, body, content_type="application/json") == 200

    posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    bullets = [t for t in section_texts(posted[0].payload["blocks"]) if t.startswith("• ")]
    assert len(bullets) == 2
    assert [r.path for r in web.requests] == ["/harbour.html?from=chat&lang=en"]


async def test_a_mention_with_a_wrapped_link_that_fails_names_the_bare_url(
    bolt: str, fake: FakeSlack, web: WebServer
) -> None:
    url = web.url("/gone.html")
    assert (
        await post_signed(
            bolt, mention_body(f"summarize <{url}|gone story>"), content_type="application/json"
        )
        == 200
    )

    told = await fake.wait_for(lambda f: f.of("chat.postEphemeral"))
    text = json.dumps(told[0].payload)
    assert f"{url} answered HTTP 404" in text
    assert "gone story" not in text
    assert not fake.of("chat.postMessage")


# -- things only the asker sees ----------------------------------------------------------


async def test_unknown_article_gets_an_ephemeral_message_naming_it(
    bolt: str, fake: FakeSlack
) -> None:
    assert await post_signed(bolt, command_body("/summarize", "99999", fake.response_url())) == 200

    replies = await fake.wait_for(lambda f: f.of("response_url"))
    payload = replies[0].payload
    assert payload["response_type"] == "ephemeral"
    assert "99999" in payload["text"]
    assert "Traceback" not in json.dumps(payload)
    assert not fake.of("chat.postMessage")


async def test_brief_help_is_ephemeral_and_names_the_slash_commands(
    bolt: str, fake: FakeSlack
) -> None:
    assert await post_signed(bolt, command_body("/brief", "help", fake.response_url())) == 200

    replies = await fake.wait_for(lambda f: f.of("response_url"))
    payload = replies[0].payload
    assert payload["response_type"] == "ephemeral"
    assert "/brief" in json.dumps(payload["blocks"])
    assert not fake.of("chat.postMessage")


async def test_brief_why_answers_only_the_asker_with_each_sources_sentence(
    bolt: str, fake: FakeSlack
) -> None:
    assert await post_signed(bolt, command_body("/brief", "why 1", fake.response_url())) == 200
    [none_yet] = await fake.wait_for(lambda f: f.of("response_url"))
    assert none_yet.payload["response_type"] == "ephemeral"
    assert "run `/brief` first" in none_yet.payload["text"]

    assert await post_signed(bolt, command_body("/brief", "ukraine 2", fake.response_url())) == 200
    [posted] = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    bullet = next(t for t in section_texts(posted.payload["blocks"]) if t.startswith("• "))

    assert await post_signed(bolt, command_body("/brief", "why 1", fake.response_url())) == 200
    replies = await fake.wait_for(lambda f: f.of("response_url")[1:])
    payload = replies[0].payload
    assert payload["response_type"] == "ephemeral"
    assert payload["blocks"][0]["text"]["text"] == "Why bullet 1 of 2"
    texts = section_texts(payload["blocks"])
    assert texts[0] == bullet
    assert any(t.startswith("*Stated by (") for t in texts)
    assert any(f"\n“{bullet[2:42]}" in t for t in texts)  # the bullet's words as its evidence
    assert len(fake.of("chat.postMessage")) == 1  # nothing more in the channel

    # Another channel of the workspace has had no briefing.
    other = command_body("/brief", "why 1", fake.response_url(), channel="C0OTHER")
    assert await post_signed(bolt, other) == 200
    replies = await fake.wait_for(lambda f: f.of("response_url")[2:])
    assert "No briefing in this channel yet" in replies[0].payload["text"]


async def test_articles_list_goes_only_to_the_asker(bolt: str, fake: FakeSlack) -> None:
    assert await post_signed(bolt, command_body("/articles", "", fake.response_url())) == 200

    replies = await fake.wait_for(lambda f: f.of("response_url"))
    assert replies[0].payload["response_type"] == "ephemeral"
    assert "`1`" in json.dumps(replies[0].payload["blocks"])


# -- reliability --------------------------------------------------------------------------


async def test_a_429_is_retried_after_retry_after_and_then_posted(
    bolt: str, fake: FakeSlack
) -> None:
    fake.fail("chat.postMessage", status=429, error="ratelimited", retry_after=0)
    assert await post_signed(bolt, command_body("/brief", "", fake.response_url())) == 200

    posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert len(fake.of("chat.postMessage", ok=False)) == 1  # the 429
    assert len(posted) == 1
    assert not fake.of("response_url")  # no error was shown to anyone


async def test_not_in_channel_falls_back_to_the_response_url(bolt: str, fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", error="not_in_channel")
    assert await post_signed(bolt, command_body("/brief", "", fake.response_url())) == 200

    replies = await fake.wait_for(lambda f: f.of("response_url"))
    assert replies[0].payload["response_type"] == "in_channel"
    assert replies[0].payload["blocks"][0]["type"] == "header"


async def test_a_post_that_finally_fails_is_logged_and_the_user_told(
    bolt: str, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("chat.postMessage", status=429, retry_after=0, times=10)
    caplog.set_level(logging.ERROR, logger="adapters.slack.app")
    assert await post_signed(bolt, command_body("/brief", "", fake.response_url())) == 200

    replies = await fake.wait_for(lambda f: f.of("response_url"))
    payload = replies[0].payload
    assert payload["response_type"] == "ephemeral"
    assert "couldn't post the briefing" in payload["text"]
    assert "ratelimited" in caplog.text


# -- trust ---------------------------------------------------------------------------------


async def test_a_forged_signature_gets_401_and_nothing_is_posted(
    bolt: str, fake: FakeSlack
) -> None:
    body = command_body("/brief", "ukraine", fake.response_url())
    forged = sign(body, secret="not-the-signing-secret")
    assert await post_signed(bolt, body, forged) == 401
    # A well-signed request afterwards proves the app was listening and would have posted.
    assert await post_signed(bolt, command_body("/brief", "", fake.response_url("r2"))) == 200
    posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert len(posted) == 1


async def test_a_stale_timestamp_gets_401_and_nothing_is_posted(bolt: str, fake: FakeSlack) -> None:
    body = command_body("/brief", "ukraine", fake.response_url())
    stale = sign(body, timestamp=int(time.time()) - 6 * 60)  # correctly signed, 6 minutes old
    assert await post_signed(bolt, body, stale) == 401
    assert await post_signed(bolt, command_body("/brief", "", fake.response_url("r2"))) == 200
    posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert len(posted) == 1


# -- concurrency ---------------------------------------------------------------------------


async def test_twenty_concurrent_briefs_are_all_acked_before_any_is_composed(
    bolt: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hold every composition until all twenty acks are back: if composing blocked the event
    # loop (or ack waited for it), the acks could never arrive and this test would time out.
    gate = threading.Event()
    real_answer = slack_app.answer

    def gated_answer(core: Core, text: str, context):
        gate.wait(timeout=30)
        return real_answer(core, text, context)

    monkeypatch.setattr(slack_app, "answer", gated_answer)
    bodies = [command_body("/brief", "", fake.response_url(f"r{i}")) for i in range(20)]
    statuses = await asyncio.wait_for(
        asyncio.gather(*(post_signed(bolt, body) for body in bodies)), timeout=30
    )
    assert statuses == [200] * 20
    assert not fake.of("chat.postMessage")
    gate.set()
    await fake.wait_for(lambda f: len(f.of("chat.postMessage")) == 20, timeout=60)


# -- settings and the real command ---------------------------------------------------------


def test_each_missing_setting_is_named_with_where_to_get_it(settings: Settings) -> None:
    with pytest.raises(BadArgument, match=r"SLACK_BOT_TOKEN.*OAuth & Permissions"):
        check_settings(settings)
    with_token = dataclasses.replace(settings, slack_bot_token=BOT_TOKEN)
    with pytest.raises(BadArgument, match=r"SLACK_SIGNING_SECRET.*Basic Information"):
        check_settings(with_token)
    assert check_settings(dataclasses.replace(with_token, slack_signing_secret="s" * 32)) is False
    assert check_settings(dataclasses.replace(with_token, slack_app_token=APP_TOKEN)) is True
    with pytest.raises(BadArgument, match="xapp-"):
        check_settings(dataclasses.replace(with_token, slack_app_token=BOT_TOKEN))


async def test_briefbot_run_slack_serves_signed_commands_and_never_logs_tokens(
    fake: FakeSlack, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": "0",
        "LOG_LEVEL": "DEBUG",
    }
    env.pop("SLACK_APP_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "slack",
        "--host",
        "127.0.0.1",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(PROJECT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert "listening on" in line, line
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        status = await post_signed(url, command_body("/brief", "ukraine", fake.response_url()))
        assert status == 200
        posted = await fake.wait_for(lambda f: f.of("chat.postMessage"), timeout=30)
        assert any(t.startswith("• ") for t in section_texts(posted[0].payload["blocks"]))
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    logs = stderr.decode()
    assert "chat.postMessage" in logs  # DEBUG logging really was on
    assert BOT_TOKEN not in logs
    assert SIGNING_SECRET not in logs


# -- digests ---------------------------------------------------------------------------------


async def run_due_cli(settings: Settings, now: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_API_URL": settings.slack_api_url,
        "PYTHONPATH": str(PROJECT),
    }
    env.pop("DISCORD_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "digest",
        "run-due",
        "--now",
        now,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_digest_subscribed_in_slack_is_posted_once_by_run_due(
    bolt: str, fake: FakeSlack, slack_settings: Settings
) -> None:
    # The bolt fixture's clock says 2024-05-01 09:00 UTC.
    body = command_body("/digest", "subscribe 08:30 Europe/Paris", fake.response_url())
    assert await post_signed(bolt, body) == 200
    notice = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert "<@U0ASKER> subscribed this channel" in notice[0].payload["text"]

    code, output = await run_due_cli(slack_settings, "2024-05-02T08:31+02:00")
    assert code == 0, output
    posts = fake.of("chat.postMessage")
    assert len(posts) == 2
    digest = posts[1].payload
    assert digest["channel"] == "C0NEWS"
    assert digest["blocks"][0]["text"]["text"].startswith("Daily digest · Thu 02 May 2024")

    code, output = await run_due_cli(slack_settings, "2024-05-02T08:40+02:00")
    assert code == 0 and "0 posted" in output
    assert len(fake.of("chat.postMessage")) == 2

    assert await post_signed(bolt, command_body("/digest", "list", fake.response_url("l"))) == 200
    listing = await fake.wait_for(lambda f: f.of("response_url"))
    assert listing[0].payload["response_type"] == "ephemeral"
    assert "posted 02 May" in listing[0].payload["text"]


# -- feeds -----------------------------------------------------------------------------------


async def test_a_feed_added_from_slack_feeds_the_next_brief(
    bolt: str, fake: FakeSlack, web
) -> None:
    from fakes import VOLCANO, FeedEntry, make_rss

    html = "".join(f"<p>{p}</p>" for p in VOLCANO.paragraphs)
    feed = make_rss(
        "Loopback News",
        web.url("/"),
        [FeedEntry(VOLCANO.title, web.url("/volcano"), content_html=html)],
    )
    url = web.serve("/rss", feed, "application/rss+xml")
    body = command_body("/feeds", f"add {url}", fake.response_url())
    assert await post_signed(bolt, body) == 200
    [notice] = await fake.wait_for(lambda f: f.of("chat.postMessage"))
    assert "1 article stored" in notice.payload["text"]

    assert await post_signed(bolt, command_body("/brief", "volcano", fake.response_url("b"))) == 200
    posts = await fake.wait_for(
        lambda f: len(f.of("chat.postMessage")) == 2 and f.of("chat.postMessage")
    )
    assert VOLCANO.title in json.dumps(posts[1].payload["blocks"], ensure_ascii=False)


# -- Socket Mode ---------------------------------------------------------------------------


async def test_socket_mode_receives_a_slash_command_acks_it_and_posts(
    fake: FakeSlack, slack_settings: Settings, clock
) -> None:
    from urllib.parse import parse_qsl

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
        command = dict(parse_qsl(command_body("/brief", "ukraine 2", fake.response_url()).decode()))
        await fake.send_envelope("slash_commands", command, "env-1")
        acks = await fake.wait_for(lambda f: f.of("socket.ack"))
        assert acks[0].payload["envelope_id"] == "env-1"
        posted = await fake.wait_for(lambda f: f.of("chat.postMessage"))
        assert any(t.startswith("• ") for t in section_texts(posted[0].payload["blocks"]))
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await asyncio.to_thread(core.close)
