"""`briefbot run` tells the truth at start and stops when asked: real subprocesses against the
loopback fakes.  Timeouts here are hang guards, never assertions about speed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from fakes.discord import GUILD_ID, TOKEN, FakeDiscord
from fakes.loopback import serve_app
from fakes.slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack, command_body, post_signed

PROJECT = Path(__file__).resolve().parents[2]
HANG_GUARD = 60  # seconds; a run that takes this long has hung
_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DISCORD_TOKEN",
    "DISCORD_GUILD_ID",
    "DISCORD_APPLICATION_ID",
    "DISCORD_API_URL",
    "DISCORD_GATEWAY_URL",
    "LOG_LEVEL",
)


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "PORT": "0",
            "PYTHONPATH": str(PROJECT),
            # The guarded fetcher only reaches loopback servers an operator allowed.
            "BRIEFBOT_FETCH_ALLOW": "127.0.0.1",
            **settings,
        }
    )
    return env


async def start(tmp_path: Path, platform: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        platform,
        "--host",
        "127.0.0.1",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def listening_port(process: asyncio.subprocess.Process) -> int:
    """Read the started Slack app's stdout up to its "listening on …:PORT/…" line."""
    assert process.stdout is not None
    line = ""
    while "listening on" not in line:
        line = (await asyncio.wait_for(process.stdout.readline(), HANG_GUARD)).decode()
        assert line, "the process ended before Slack was listening"
    return int(line.rsplit(":", 1)[1].split("/")[0])


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, platform: str, env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`briefbot run PLATFORM` for the block; killed at its end if it has not ended."""
    process = await start(tmp_path, platform, env)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def end_with(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> str:
    """Send `sig` and wait (at most HANG_GUARD) for the process to end; its stderr."""
    process.send_signal(sig)
    _, err = await asyncio.wait_for(process.communicate(), HANG_GUARD)
    return err.decode()


async def run_to_end(tmp_path: Path, platform: str, env: dict[str, str]) -> tuple[int, str]:
    async with running(tmp_path, platform, env) as process:
        _, err = await asyncio.wait_for(process.communicate(), HANG_GUARD)
    assert process.returncode is not None
    return process.returncode, err.decode()


def assert_one_line_naming(stderr: str, setting: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert setting in lines[0] and lines[0].startswith("briefbot: ")
    assert "Traceback" not in stderr


async def test_wrong_slack_bot_token_is_named_at_start(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    try:
        env = environment(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-0000000000-1111111111-wrongwrongwrong",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        )
        status, stderr = await run_to_end(tmp_path, "slack", env)
        assert status == 2
        assert_one_line_naming(stderr, "SLACK_BOT_TOKEN")
        assert "wrongwrongwrong" not in stderr
        assert slack.of("auth.test", ok=False)
    finally:
        await slack.stop()


@pytest.mark.parametrize(
    "app_token", ["xapp-1-A111-222-wrongapptoken", BOT_TOKEN], ids=["refused", "bot-token"]
)
async def test_wrong_slack_app_token_is_one_line_not_a_reconnect_loop(
    tmp_path: Path, app_token: str
) -> None:
    slack = await FakeSlack().start()
    try:
        env = environment(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=app_token,
            SLACK_API_URL=slack.api_url,
        )
        status, stderr = await run_to_end(tmp_path, "slack", env)
        assert status == 2
        assert_one_line_naming(stderr, "SLACK_APP_TOKEN")
        assert len(slack.of("apps.connections.open", ok=False)) <= 1
    finally:
        await slack.stop()


async def test_socket_mode_connects_with_the_url_the_token_check_was_given(
    tmp_path: Path,
) -> None:
    slack = await FakeSlack().start()
    try:
        env = environment(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_API_URL=slack.api_url,
        )
        async with running(tmp_path, "slack", env) as process:
            await slack.wait_for(lambda f: f.sockets, timeout=HANG_GUARD)
            assert len(slack.of("apps.connections.open")) == 1
            err = await end_with(process)
        assert process.returncode == 0, err
    finally:
        await slack.stop()


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DISCORD_TOKEN", "not-a-bot-token"),
        ("DISCORD_TOKEN", "aGVsbG8gd29ybGQ.Gfake0.fake-bot-token-value-for-tests-only-123"),
        ("DISCORD_GUILD_ID", "my-server"),
        ("DISCORD_APPLICATION_ID", "12ab"),
    ],
)
async def test_malformed_discord_settings_are_named_before_connecting(
    tmp_path: Path, setting: str, value: str
) -> None:
    env = environment(
        tmp_path,
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_URL="http://127.0.0.1:9/api",  # never reached
        DISCORD_GATEWAY_URL="ws://127.0.0.1:9/gateway",
    )
    env[setting] = value
    status, stderr = await run_to_end(tmp_path, "discord", env)
    assert status == 2
    assert_one_line_naming(stderr, setting)


@pytest.mark.parametrize("command", ["discord", "worker"])
async def test_a_discord_token_refused_at_login_is_named(tmp_path: Path, command: str) -> None:
    # `run discord` logs in on the gateway client; `run worker` checks the poster's REST login.
    wrong = TOKEN.rsplit(".", 1)[0] + ".this-is-not-the-right-secret-part-000000"
    async with FakeDiscord() as discord:
        env = environment(
            tmp_path,
            DISCORD_TOKEN=wrong,
            DISCORD_GUILD_ID=GUILD_ID,
            DISCORD_API_URL=discord.api_url,
            DISCORD_GATEWAY_URL=discord.gateway_url,
        )
        status, stderr = await run_to_end(tmp_path, command, env)
    assert status == 2
    assert_one_line_naming(stderr, "DISCORD_TOKEN")
    assert "this-is-not-the-right" not in stderr


async def test_worker_checks_the_slack_token_at_start(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    try:
        env = environment(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-0000000000-1111111111-wrongwrongwrong",
            SLACK_API_URL=slack.api_url,
        )
        status, stderr = await run_to_end(tmp_path, "worker", env)
        assert status == 2
        assert_one_line_naming(stderr, "SLACK_BOT_TOKEN")
        assert "invalid_auth" in stderr and "wrongwrongwrong" not in stderr
        assert slack.of("auth.test", ok=False) and not slack.of("chat.postMessage", ok=False)
    finally:
        await slack.stop()


# What a captive portal, a proxy or a mistyped API URL answers instead of the chat API:
# (HTTP status, Content-Type, body, words the one line must carry).
_NOT_THE_API = {
    "html-200": (200, "text/html", "<html><body>Sign in to the Wi-Fi</body></html>", "HTTP 200"),
    "json-garbage": (200, "application/json", "<html>not json</html>", "HTTP 200"),
    "text-401": (401, "text/plain", "401 Authorization Required", "HTTP 401"),
    "html-404": (404, "text/html", "<html><body>Not Found</body></html>", "HTTP 404"),
}


async def answering(status: int, content_type: str, body: str) -> web.AppRunner:
    """A loopback server answering every request with `status`, `content_type` and `body`."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body.encode(), content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return await serve_app(app)


def api_environment(tmp_path: Path, platform: str, url: str) -> tuple[dict[str, str], str, str]:
    """The worker's environment with good-looking tokens and `url` as the platform's API
    address; returns it with the setting a failure must name and the token it must hide."""
    if platform == "slack":
        env = environment(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=url)
        return env, "SLACK_API_URL", BOT_TOKEN
    env = environment(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_API_URL=url)
    return env, "DISCORD_API_URL", TOKEN


# The worker checks its tokens over REST; `run discord` logs in as it starts.
_STARTS = [("slack", "worker"), ("discord", "worker"), ("discord", "discord")]


@pytest.mark.parametrize(("platform", "command"), _STARTS)
@pytest.mark.parametrize("answer", list(_NOT_THE_API))
async def test_start_names_an_api_url_that_does_not_answer_as_the_api(
    tmp_path: Path, platform: str, command: str, answer: str
) -> None:
    status, content_type, body, words = _NOT_THE_API[answer]
    runner, port = await answering(status, content_type, body)
    try:
        env, setting, token = api_environment(tmp_path, platform, f"http://127.0.0.1:{port}/api/")
        exit_status, stderr = await run_to_end(tmp_path, command, env)
    finally:
        await runner.cleanup()
    assert exit_status == 2, stderr
    assert_one_line_naming(stderr, setting)
    assert "did not answer as" in stderr and words in stderr and f"127.0.0.1:{port}" in stderr
    assert token not in stderr and "Unclosed" not in stderr


@pytest.mark.parametrize(("platform", "command"), _STARTS)
async def test_start_names_an_api_url_with_a_password(
    tmp_path: Path, platform: str, command: str
) -> None:
    runner, port = await answering(200, "text/html", "<html></html>")
    try:
        url = f"http://user:hunter2@127.0.0.1:{port}/api/"
        env, setting, token = api_environment(tmp_path, platform, url)
        exit_status, stderr = await run_to_end(tmp_path, command, env)
    finally:
        await runner.cleanup()
    assert exit_status == 2, stderr
    assert_one_line_naming(stderr, setting)
    assert "hunter2" not in stderr and token not in stderr


@pytest.mark.parametrize(("platform", "command"), _STARTS)
async def test_start_names_an_api_url_with_nobody_listening(
    tmp_path: Path, platform: str, command: str
) -> None:
    runner, port = await answering(200, "text/plain", "")
    await runner.cleanup()  # the port is free again: nothing listens there
    env, setting, token = api_environment(tmp_path, platform, f"http://127.0.0.1:{port}/api/")
    exit_status, stderr = await run_to_end(tmp_path, command, env)
    assert exit_status == 2, stderr
    assert_one_line_naming(stderr, setting)
    assert "Cannot reach" in stderr and token not in stderr


async def test_worker_with_good_tokens_starts(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    try:
        async with FakeDiscord() as discord:
            env = environment(
                tmp_path,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_API_URL=slack.api_url,
                DISCORD_TOKEN=TOKEN,
                DISCORD_API_URL=discord.api_url,
                LOG_LEVEL="INFO",
            )
            async with running(tmp_path, "worker", env) as process:
                assert process.stderr is not None
                line = ""
                while "Worker started" not in line:
                    line = (await asyncio.wait_for(process.stderr.readline(), HANG_GUARD)).decode()
                    assert line, "the worker ended before it started"
                assert "slack, discord" in line
                err = await end_with(process)
        assert process.returncode == 0, err
        assert len(slack.of("auth.test")) == 1
    finally:
        await slack.stop()


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers; `reached` is set on the first."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> SilentServer:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.append(writer)
            self.reached.set()

        self._server = await asyncio.start_server(hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._writers:
            writer.close()
        assert self._server is not None
        self._server.close()


@pytest.mark.parametrize(
    ("stop", "command", "words"),
    [
        (signal.SIGTERM, "/summarize", ""),
        (signal.SIGINT, "/summarize", ""),
        (signal.SIGTERM, "/feeds", "add "),  # the feed's first fetch
    ],
    ids=["SIGTERM-page", "SIGINT-page", "SIGTERM-feed"],
)
async def test_stop_signal_ends_run_while_a_fetch_is_stalled(
    tmp_path: Path, stop: signal.Signals, command: str, words: str
) -> None:
    slack = await FakeSlack().start()
    try:
        async with SilentServer() as silent:
            env = environment(
                tmp_path,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=slack.api_url,
                BRIEFBOT_HTTP_TIMEOUT="300",  # the fetch would hold for minutes
            )
            async with running(tmp_path, "slack", env) as process:
                port = await listening_port(process)
                target = f"{words}http://127.0.0.1:{silent.port}/story"
                body = command_body(command, target, slack.response_url())
                assert await post_signed(f"http://127.0.0.1:{port}/slack/events", body) == 200
                await asyncio.wait_for(silent.reached.wait(), HANG_GUARD)
                err = await end_with(process, stop)
        assert process.returncode == 0, err
        assert "Traceback" not in err
    finally:
        await slack.stop()


async def test_signature_failures_warn_once_naming_the_signing_secret(tmp_path: Path) -> None:
    slack = await FakeSlack().start()
    try:
        env = environment(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET="not-the-apps-signing-secret",
            SLACK_API_URL=slack.api_url,
            LOG_LEVEL="INFO",
        )
        async with running(tmp_path, "slack", env) as process:
            port = await listening_port(process)
            body = command_body("/brief", "ukraine", slack.response_url("secret-hook"))
            for _ in range(3):
                assert await post_signed(f"http://127.0.0.1:{port}/slack/events", body) == 401
            stderr = await end_with(process)
        assert process.returncode == 0, stderr
        assert len([x for x in stderr.splitlines() if "SLACK_SIGNING_SECRET" in x]) == 1, stderr
        assert "secret-hook" not in stderr and "body" not in stderr.lower()
    finally:
        await slack.stop()


async def test_sigterm_stops_discord_with_status_0(tmp_path: Path) -> None:
    async with FakeDiscord() as discord:
        env = environment(
            tmp_path,
            DISCORD_TOKEN=TOKEN,
            DISCORD_GUILD_ID=GUILD_ID,
            DISCORD_API_URL=discord.api_url,
            DISCORD_GATEWAY_URL=discord.gateway_url,
        )
        async with running(tmp_path, "discord", env) as process:
            await discord.wait_ready(timeout=HANG_GUARD)
            err = await end_with(process)
    assert process.returncode == 0, err
    assert "Traceback" not in err


async def test_discord_invite_names_a_malformed_application_id(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "discord",
        "invite",
        cwd=tmp_path,
        env=environment(tmp_path, DISCORD_APPLICATION_ID="my-app"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), HANG_GUARD)
    assert process.returncode == 2 and not out
    assert_one_line_naming(err.decode(), "DISCORD_APPLICATION_ID")
