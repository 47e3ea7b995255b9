"""Logging set-up that can never print a credential.

Libraries log request headers at DEBUG (slack_sdk includes `Authorization: Bearer …`), so
redaction happens on every record, whatever logged it: the configured secret values, and
anything shaped like a Slack or Discord token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# Slack tokens (xoxb-, xoxp-, xapp-, …) and Discord bot tokens (three dot-separated parts).
_TOKEN_SHAPES = re.compile(
    r"\b(?:xox[abposr]|xapp)-[0-9A-Za-z-]{8,}"
    r"|\b[MN][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"
)
MASK = "***"


class RedactSecrets(logging.Filter):
    """Replace secret values in a record's rendered message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Mask every secret and token-shaped string in `text`."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _TOKEN_SHAPES.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, redacted, so no formatter sees the raw arguments."""
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: int | str, secrets: Iterable[str] = ()) -> RedactSecrets:
    """Log to stderr at `level`, with every handler redacting secrets."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redactor = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(redactor)
    return redactor
