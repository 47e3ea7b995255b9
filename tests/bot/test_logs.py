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
