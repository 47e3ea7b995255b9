"""`briefbot run all`: Slack and Discord in one process, against both loopback fakes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from fakes.discord import GUILD_ID, TOKEN, FakeDiscord
from fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, post_signed

PROJECT = Path(__file__).resolve().parents[2]


async def test_run_all_serves_both_platforms(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    try:
        async with FakeDiscord() as discord:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'all.db'}",
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "PORT": "0",
                "DISCORD_TOKEN": TOKEN,
                "DISCORD_GUILD_ID": GUILD_ID,
                "DISCORD_API_URL": discord.api_url,
                "DISCORD_GATEWAY_URL": discord.gateway_url,
                "PYTHONPATH": str(PROJECT),
            }
            env.pop("SLACK_APP_TOKEN", None)
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "all",
                "--host",
                "127.0.0.1",
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                assert process.stdout is not None
                line = ""
                while "listening on" not in line:
                    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
                    assert line, "the process ended before Slack was listening"
                port = int(line.rsplit(":", 1)[1].split("/")[0])
                body = command_body("/brief", "ukraine", slack.response_url())
                url = f"http://127.0.0.1:{port}/slack/events"
                assert await post_signed(url, body) == 200
                await slack.wait_for(lambda f: f.of("chat.postMessage"), timeout=30)

                await discord.wait_ready(timeout=60)
                await discord.wait_for(lambda f: f.commands, timeout=60)
                interaction = await discord.inject_command("brief", {"topic": "ukraine"})
                await discord.wait_for(
                    lambda f: [c for c in f.responses(interaction) if "/webhooks/" in c.path],
                    timeout=30,
                )
            finally:
                process.terminate()
                await asyncio.wait_for(process.communicate(), 30)
    finally:
        await slack.stop()
