"""Logging set-up that can never print a credential.

Libraries log request headers at DEBUG (slack_sdk includes `Authorization: Bearer …`), so
redaction happens on every record, whatever logged it: the configured secret values, anything
shaped like a Slack or Discord token, and Slack `response_url`s.  Lines carrying request bodies
are never shown above DEBUG.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable

# Slack tokens of every family: bot xoxb-, user xoxp-, workspace xoxa-, refresh xoxr-, legacy
# xoxs-/xoxo-, client xoxc-/xoxd-, rotating xoxe- and xoxe.xoxp-/xoxe.xoxb-, app-level xapp-
# (https://api.slack.com/concepts/token-types).  Discord bot tokens whatever their first letter:
# three base64url parts separated by dots, the first the base64 of the bot's snowflake id.
_TOKEN_SHAPES = re.compile(
    r"(?<![A-Za-z\d])(?:xox[a-z](?:\.xox[a-z])?|xapp)-[0-9A-Za-z.-]{6,}"
    r"|(?<![A-Za-z\d_.-])[A-Za-z\d_-]{16,40}\.[A-Za-z\d_-]{4,10}\.[A-Za-z\d_-]{20,}"
)
# Slack `response_url`s: anyone holding one can post into the channel for 30 minutes.  Masked
# as URLs on Slack's hooks host, and as the value of any `response_url` field in a logged
# payload (JSON, a Python dict's repr, or a URL-encoded form, where `:`/`/` are %-escaped).
_RESPONSE_URLS = re.compile(
    r"(?:https?(?::|%3A)(?:/|%2F){2})?hooks\.slack\.com[^\s'\"<>,}]*"
    r"|(?<=response_url)(?P<sep>['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+",
    re.IGNORECASE,
)
# Library lines that carry a whole request or response body (slack_bolt logs a request whose
# signature fails at INFO, body included).  Above DEBUG they are lowered to DEBUG, so a body is
# only ever seen with --debug / LOG_LEVEL=DEBUG, and redacted even then.
_BODY_LINES = re.compile(r"\bbody\b\s*[:=]|Invalid request signature detected", re.IGNORECASE)
MASK = "***"


def _mask_response_url(match: re.Match[str]) -> str:
    sep = match.group("sep")
    return f"{sep}{MASK}" if sep is not None else MASK


class RedactSecrets(logging.Filter):
    """Replace secret values in a record's rendered message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Mask every secret, token-shaped string and Slack `response_url` in `text`."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _TOKEN_SHAPES.sub(MASK, text)
        return _RESPONSE_URLS.sub(_mask_response_url, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redacted, so no formatter sees the raw arguments.

        A line carrying a request or response body, logged above DEBUG, is lowered to DEBUG
        (and dropped unless the root logger shows DEBUG).
        """
        message = record.getMessage()
        if record.levelno > logging.DEBUG and _BODY_LINES.search(message):
            if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record (LOG_FORMAT=json): time (ISO-8601 UTC), level, logger,
    message, and the traceback as `exc` when there is one; redacted like text lines."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)

    converter = time.gmtime  # times in UTC, whatever the host's zone


def setup_logging(
    level: int | str, secrets: Iterable[str] = (), log_format: str = "text"
) -> RedactSecrets:
    """Log to stderr at `level`, with every handler redacting secrets; `log_format` "json"
    writes one JSON object per line (`JsonLines`)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    redactor = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(redactor)
    return redactor
