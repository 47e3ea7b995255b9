"""Run the loopback Slack and Discord fakes in a process of their own (for bench/load.py).

    PYTHONPATH=tests python -m fakes.serve [--no-limits]

Prints one JSON line (`slack_api_url`, `discord_api_url`, `stats_url`) once both listen on
127.0.0.1, then serves until SIGTERM.  Both fakes enforce the platforms'
rate limits (`slack_limits`, `discord_limits`) unless `--no-limits`, and accept any channel.
`GET stats_url` answers what arrived, counted on the fakes' side (`stats`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
import time
from typing import Any

from aiohttp import web

from .discord import DISCORD_EPOCH_MS, FakeDiscord, discord_limits
from .loopback import serve_app
from .slack import FakeSlack, slack_limits

# The marker each Discord digest message carries (adapters/discord/client.py digest_marker).
_MARKER = re.compile(r"digest (\d+:[\dT:-]+:\d+) · (\d+)/(\d+)")


def stats(slack: FakeSlack, discord: FakeDiscord, posted_at: dict[str, float]) -> dict[str, Any]:
    """What the fakes received, counted on their side: digests per channel (Slack: top-level
    messages carrying digest metadata; Discord: part 1 of each marked digest), when each
    channel's first digest arrived (Unix seconds), requests answered 429 per limit, and the
    number of requests."""
    digests: dict[str, int] = {}
    first: dict[str, float] = {}
    for channel, messages in slack.messages.items():
        mine = [
            m
            for m in messages
            if not m.get("thread_ts") and (m.get("metadata") or {}).get("event_type")
        ]
        if mine:
            digests[f"slack:{channel}"] = len(mine)
            first[f"slack:{channel}"] = posted_at.get(mine[0]["ts"], 0.0)
    for channel, messages in discord.channel_messages.items():
        firsts = [m for m in messages if _part_one(m)]
        if firsts:
            digests[f"discord:{channel}"] = len(firsts)
            ms = (int(firsts[0]["id"]) >> 22) + DISCORD_EPOCH_MS  # the snowflake's time
            first[f"discord:{channel}"] = ms / 1000
    limited = {f"slack {k}": v for k, v in (slack.limits.limited if slack.limits else {}).items()}
    if discord.limits is not None:
        limited |= {f"discord {k}": v for k, v in discord.limits.limited.items()}
    return {
        "digests": digests,
        "first_arrival": first,
        "limited": limited,
        "status_429": sum(c.status == 429 for c in slack.calls)
        + sum(c.status == 429 for c in discord.calls),
        "requests": len(slack.calls) + len(discord.calls),
    }


def _part_one(message: dict[str, Any]) -> bool:
    texts = [message.get("content") or ""]
    texts += [((e or {}).get("footer") or {}).get("text") or "" for e in message["embeds"]]
    return any(m.group(2) == "1" for t in texts for m in _MARKER.finditer(t))


async def main(argv: list[str]) -> None:
    """Start both fakes and the stats endpoint; serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m fakes.serve")
    parser.add_argument("--no-limits", action="store_true", help="answer every request")
    args = parser.parse_args(argv)
    posted_at: dict[str, float] = {}  # Slack message ts -> when it arrived (Unix seconds)

    async def arrived(message: dict[str, Any]) -> None:
        posted_at[message["ts"]] = time.time()

    slack = FakeSlack(limits=None if args.no_limits else slack_limits(), on_post=arrived)
    await slack.start()
    discord = FakeDiscord(limits=None if args.no_limits else discord_limits(), any_channel=True)
    await discord.start()

    async def answer(request: web.Request) -> web.Response:
        return web.json_response(stats(slack, discord, posted_at))

    app = web.Application()
    app.router.add_get("/stats", answer)
    runner, port = await serve_app(app)
    print(
        json.dumps(
            {
                "slack_api_url": slack.api_url,
                "discord_api_url": discord.api_url,
                "stats_url": f"http://127.0.0.1:{port}/stats",
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await slack.stop()
    await discord.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
