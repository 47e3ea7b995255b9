"""Slack OAuth settings (install into any workspace): each inconsistency is one line."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.errors import BadSettings

CLIENT = {
    "SLACK_CLIENT_ID": "1111111111.2222222222",
    "SLACK_CLIENT_SECRET": "0123456789abcdef0123456789abcdef",
    "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
}


def problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(BadSettings) as caught:
        load_settings(environ, dotenv=False)
    return caught.value.problems


def test_oauth_mode_needs_all_three_and_reads_them() -> None:
    settings = load_settings(
        {**CLIENT, "SLACK_REDIRECT_URI": "https://bot.example/slack/oauth_redirect"},
        dotenv=False,
    )
    assert settings.slack_oauth
    assert settings.slack_redirect_uri == "https://bot.example/slack/oauth_redirect"
    assert CLIENT["SLACK_CLIENT_SECRET"] in settings.secrets()
    assert CLIENT["SLACK_CLIENT_SECRET"] not in repr(settings)
    assert not load_settings({}, dotenv=False).slack_oauth


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SLACK_CLIENT_ID": CLIENT["SLACK_CLIENT_ID"]}, "SLACK_CLIENT_SECRET is not"),
        ({"SLACK_CLIENT_SECRET": "x" * 32}, "SLACK_CLIENT_ID is not"),
        ({**CLIENT, "SLACK_CLIENT_ID": "my-app"}, "is not a Slack Client ID"),
        ({**CLIENT, "SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "not both"),
        ({**CLIENT, "SLACK_APP_TOKEN": "xapp-1-A-2-abc"}, "leave SLACK_APP_TOKEN"),
        ({**CLIENT, "SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
        ({**CLIENT, "SLACK_REDIRECT_URI": "bot.example"}, "is not a web address"),
        ({**CLIENT, "SLACK_REDIRECT_URI": "http://bot.example/slack/oauth_redirect"}, "https"),
        ({**CLIENT, "SLACK_REDIRECT_URI": "https://bot.example/oauth"}, "/slack/oauth_redirect"),
        ({"SLACK_REDIRECT_URI": "https://bot.example/slack/oauth_redirect"}, "used only"),
    ],
)
def test_each_inconsistent_oauth_setting_is_one_line(
    environ: dict[str, str], expected: str
) -> None:
    [line] = problems(environ)
    assert expected in line
    assert "\n" not in line


def test_localhost_may_use_http() -> None:
    local = {**CLIENT, "SLACK_REDIRECT_URI": "http://localhost:3000/slack/oauth_redirect"}
    assert load_settings(local, dotenv=False).slack_redirect_uri.startswith("http://localhost")
