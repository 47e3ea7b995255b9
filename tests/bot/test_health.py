"""/healthz and /metrics over real HTTP on loopback, and JSON log lines."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from sqlalchemy import create_engine

from bot.app import Core
from bot.config import load_settings
from bot.errors import BadArgument, BadSettings
from bot.health import HealthServer
from bot.logs import JsonLines, RedactSecrets


def test_healthz_is_ready_while_the_database_answers_and_metrics_are_served(core: Core) -> None:
    server = HealthServer(core.store, 0, "127.0.0.1").start()
    engine = core.store.engine
    try:
        base = f"http://127.0.0.1:{server.port}"
        ok = httpx.get(f"{base}/healthz")
        assert (ok.status_code, ok.text) == (200, "ok\n")
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert "briefbot_feed_polls_total" in metrics.text
        assert "briefbot_feed_claim_lag_seconds" in metrics.text
        assert httpx.get(f"{base}/nothing").status_code == 404
        # A database that no longer answers: not ready.
        core.store.engine = create_engine("sqlite:////nonexistent-dir/x.db")
        down = httpx.get(f"{base}/healthz")
        assert down.status_code == 503 and "database not answering" in down.text
    finally:
        core.store.engine = engine
        server.stop()


def test_a_taken_metrics_port_is_one_line_naming_the_port_and_the_setting(core: Core) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BadArgument) as raised:
            HealthServer(core.store, port, "127.0.0.1")
    message = str(raised.value)
    assert len(message.splitlines()) == 1
    assert f"127.0.0.1:{port}" in message and "BRIEFBOT_METRICS_PORT" in message


def test_json_log_lines_are_one_redacted_object_each() -> None:
    secret = "xoxb-123456-abcdef"
    record = logging.LogRecord("bot.feeds", logging.WARNING, "x", 1, "token %s", (secret,), None)
    RedactSecrets().filter(record)
    line = JsonLines().format(record)
    parsed = json.loads(line)
    assert parsed["level"] == "WARNING" and parsed["logger"] == "bot.feeds"
    assert parsed["message"] == "token ***"
    assert parsed["time"].endswith("Z") and "\n" not in line


def test_log_format_and_metrics_port_settings() -> None:
    settings = load_settings({"LOG_FORMAT": "JSON", "BRIEFBOT_METRICS_PORT": "9108"})
    assert (settings.log_format, settings.metrics_port) == ("json", 9108)
    assert load_settings({}).metrics_port is None
    with pytest.raises(BadSettings, match="LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "xml"})
    with pytest.raises(BadSettings, match="BRIEFBOT_METRICS_PORT"):
        load_settings({"BRIEFBOT_METRICS_PORT": "http"})


async def test_a_worker_without_chat_tokens_serves_healthz_metrics_and_json_logs(
    bare_core: Core, tmp_path
) -> None:
    import asyncio
    import os
    import signal
    import socket
    import sys
    from pathlib import Path

    with socket.socket() as probe:  # a free port for the worker to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "DATABASE_URL": bare_core.settings.database_url,
        "BRIEFBOT_LOAD_SEEDS": "0",
        "BRIEFBOT_METRICS_PORT": str(port),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "worker", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> httpx.Response:
                while True:
                    try:
                        return await client.get("/healthz")
                    except httpx.TransportError:  # not listening yet
                        await asyncio.sleep(0.05)

            healthz = await asyncio.wait_for(ready(), 60)
            assert (healthz.status_code, healthz.text) == (200, "ok\n")
            metrics = await client.get("/metrics")
            assert "briefbot_feed_polls_total" in metrics.text
        worker.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(worker.communicate(), 60)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert worker.returncode == 0, err.decode()
    lines = [json.loads(line) for line in err.decode().splitlines()]
    assert any(line["message"].startswith("Worker started") for line in lines), lines
