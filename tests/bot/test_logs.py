"""Secrets never reach a log line, whoever logs them and however."""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings, load_settings
from bot.logs import MASK, RedactSecrets

TOKEN = "xoxb-1234567890-0987654321-abcdefABCDEF"


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("slack_sdk", logging.DEBUG, __file__, 1, message, args, None)


def test_configured_secrets_and_token_shapes_are_masked() -> None:
    redactor = RedactSecrets(["my-signing-secret-value"])
    entry = record(
        "headers: %s, secret=%s", {"Authorization": f"Bearer {TOKEN}"}, "my-signing-secret-value"
    )
    assert redactor.filter(entry)
    message = entry.getMessage()
    assert TOKEN not in message and "my-signing-secret-value" not in message
    assert MASK in message


def test_tracebacks_are_redacted_too() -> None:
    redactor = RedactSecrets([])
    try:
        raise RuntimeError(f"auth failed for {TOKEN}")
    except RuntimeError:
        import sys

        entry = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    redactor.filter(entry)
    assert TOKEN not in logging.Formatter().format(entry)


def test_settings_repr_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "s3cr3t-value"})
    assert TOKEN not in repr(settings) and "s3cr3t-value" not in repr(settings)
    assert settings.secrets() == [TOKEN, "s3cr3t-value"]
    assert "slack_app_token=''" in repr(Settings())


def test_slack_api_url_gets_its_trailing_slash() -> None:
    assert load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url == (
        "http://127.0.0.1:9/api/"
    )


@pytest.mark.parametrize(
    "token",
    [
        "xoxb-1234567890-0987654321-abcdefABCDEF",
        "xoxp-1234567890-1234567890-1234567890-0123456789abcdef",
        "xoxa-2-1234567890-abcdefabcdef",
        "xoxr-1234567890-abcdefabcdef",
        "xoxs-1234567890-1234567890-abcdef",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtYWJjZGVm",
        "xoxe-1-My0xLTEyMzQ1Njc4OTAtYWJjZGVmYWJjZGVm",
        "xapp-1-A0123456789-1234567890123-abcdef0123456789",
        # Discord bot tokens: the first part is base64 of the bot id, whatever letter it gives.
        "MTAwMDAwMDAwMDAwMDAwMDAw.Gfake0.fake-bot-token-value-for-tests-only-123",
        "OTk5OTk5OTk5OTk5OTk5OTk5.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB",
        "ODg4ODg4ODg4ODg4ODg4ODg4ODg.X1y2Z3.abcdefghijklmnopqrstuvwxyz0",
    ],
)
def test_every_token_family_is_masked(token: str) -> None:
    entry = record("sending with %s now", token)
    RedactSecrets([]).filter(entry)
    assert token not in entry.getMessage() and MASK in entry.getMessage()
    assert entry.getMessage().startswith("sending with ")


@pytest.mark.parametrize(
    "line",
    [
        "posting to https://hooks.slack.com/commands/T0FAKE/123/abcSECRET",
        "payload {'response_url': 'http://127.0.0.1:5/response/abcSECRET', 'text': 'x'}",
        '{"response_url": "https://example.test/abcSECRET"}',
        "token=x&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FabcSECRET&text=hi",
    ],
)
def test_response_urls_are_masked(line: str) -> None:
    entry = record(line)
    RedactSecrets([]).filter(entry)
    assert "abcSECRET" not in entry.getMessage()


def test_request_bodies_never_show_above_debug() -> None:
    root = logging.getLogger()
    saved = root.level
    try:
        root.setLevel(logging.INFO)
        entry = logging.LogRecord(
            "slack_bolt.App", logging.INFO, __file__, 1, "request body: %s", ({"a": 1},), None
        )
        assert not RedactSecrets([]).filter(entry)
        plain = logging.LogRecord("x", logging.INFO, __file__, 1, "A new session", None, None)
        assert RedactSecrets([]).filter(plain)
        root.setLevel(logging.DEBUG)
        entry = logging.LogRecord(
            "slack_bolt.App", logging.INFO, __file__, 1, "request body: %s", ({"a": 1},), None
        )
        assert RedactSecrets([]).filter(entry) and entry.levelno == logging.DEBUG
    finally:
        root.setLevel(saved)
