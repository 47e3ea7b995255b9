"""The loopback Slack fake, grown to serve any number of workspaces (issue 15, parts 4 and 6).

`FakeSlackWorkspaces` extends `FakeSlack` (tests/fakes/slack.py) with what installing into
many workspaces and the App Home need, each answered the way Slack documents it:

- Slack's authorize page (`GET /oauth/v2/authorize`): checks the client id and the scopes,
  then sends the browser back to the redirect URI with a one-time `code` and the `state`;
- `oauth.v2.access` (HTTP Basic client credentials, one-time code): a new bot token for
  that workspace;
- every other Web API call is checked against the token of *some* installed workspace, and
  recorded with that token and team (`TokenCall`), so a test sees which workspace's token
  each call carried; `auth.test` answers with that token's workspace;
- `views.publish` (refusing more than 100 blocks, a header over 150 or a section over 3,000
  characters), `users.conversations` (paged) and `conversations.open`.

Payload builders below make the requests Slack sends to the app (`app_home_opened`, DM
`message`, `message_action` shortcut, Home `block_actions`, `app_uninstalled`,
`tokens_revoked`); `post_signed` signs them for real.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
from aiohttp import web

from .slack import BOT_TOKEN, Call, FakeSlack

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
DEFAULT_TEAM = "T0FAKE"
# The token (and so the workspace) of the request being answered: set when it is checked.
_TOKEN: ContextVar[str] = ContextVar("fake_slack_token", default="")


@dataclass(frozen=True)
class TokenCall(Call):
    """A recorded call, with the token it carried and that token's workspace."""

    token: str = ""
    team: str = ""


@dataclass
class Workspace:
    """A Slack workspace in the fake: who is in which channel, and the bot's token there."""

    team: str
    name: str
    token: str | None = None  # None: briefbot is not installed (or was uninstalled)
    members: dict[str, set[str]] = field(default_factory=dict)  # channel -> user ids
    bot_user: str = "U0BOT"
    bot_id: str = "B0BOT"


@dataclass
class FakeSlackWorkspaces(FakeSlack):
    """FakeSlack for many workspaces; T0FAKE is installed with BOT_TOKEN from the start, so
    single-workspace tests run on it unchanged."""

    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    redirect_uri: str = ""  # as set under OAuth & Permissions (the app's redirect URL)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    views: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (team, user)
    requested_scopes: list[list[str]] = field(default_factory=list)
    _codes: dict[str, str] = field(default_factory=dict)  # one-time code -> team
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.workspaces.setdefault(DEFAULT_TEAM, Workspace(DEFAULT_TEAM, "Fake", token=self.token))

    def add_workspace(self, team: str, name: str, members: dict[str, set[str]] | None = None):
        """A workspace where briefbot is not installed yet."""
        self.workspaces[team] = Workspace(team, name, members=dict(members or {}))
        return self.workspaces[team]

    def token_of(self, team: str) -> str | None:
        return self.workspaces[team].token

    def uninstall(self, team: str) -> None:
        """Someone removed the app from the workspace: its token stops working."""
        self.workspaces[team].token = None

    def calls_of(self, team: str, method: str | None = None) -> list[TokenCall]:
        """Successful calls made with `team`'s token (optionally of one method)."""
        return [
            c
            for c in self.calls
            if isinstance(c, TokenCall)
            and c.team == team
            and c.status == 200
            and (method is None or c.method == method)
        ]

    def _team_of(self, token: str) -> str | None:
        return next((w.team for w in self.workspaces.values() if w.token == token), None)

    # -- hooks into FakeSlack ----------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/oauth/v2/authorize", self._authorize)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        _TOKEN.set(header.removeprefix("Bearer ") if header.startswith("Bearer ") else header)
        if request.match_info.get("method") == "oauth.v2.access":
            return True  # client credentials, checked in the answer
        return header.startswith("Bearer ") and self._team_of(_TOKEN.get()) is not None

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        # slack_sdk sends some methods' arguments as query parameters even on POST
        # (conversations.open): Slack reads both.
        return {**dict(request.query), **await super()._payload(request)}

    async def _record(self, call: Call) -> None:
        token = _TOKEN.get()
        team = self._team_of(token) or ""
        await super()._record(
            TokenCall(call.method, call.payload, call.status, call.at, token=token, team=team)
        )

    async def _answer(self, method: str, payload: dict[str, Any]) -> web.Response:
        handlers = {
            "auth.test": self._auth_test,
            "oauth.v2.access": self._oauth_access,
            "views.publish": self._views_publish,
            "users.conversations": self._users_conversations,
            "conversations.open": self._conversations_open,
        }
        handler = handlers.get(method)
        if handler is None:
            return await super()._answer(method, payload)
        body = handler(payload)
        await self._record(Call(method, payload, 200 if body.get("ok") else 400))
        return web.json_response(body)

    # -- the Web API methods -------------------------------------------------------------------

    def _auth_test(self, payload: dict[str, Any]) -> dict[str, Any]:
        team = self._team_of(_TOKEN.get())
        if team is None:
            return {"ok": False, "error": "invalid_auth"}
        space = self.workspaces[team]
        return {
            "ok": True,
            "url": f"https://{space.name.lower()}.slack.test/",
            "team": space.name,
            "user": "briefbot",
            "team_id": team,
            "user_id": space.bot_user,
            "bot_id": space.bot_id,
        }

    def _oauth_access(self, payload: dict[str, Any]) -> dict[str, Any]:
        # slack_sdk sends the client credentials as HTTP Basic auth (or in the form).
        client_id, secret = payload.get("client_id"), payload.get("client_secret")
        header = _TOKEN.get()
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        team = self._codes.pop(str(payload.get("code") or ""), None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        space = self.workspaces[team]
        space.token = f"xoxb-{team}-{next(self._serial)}-installedtokenvalue"
        _TOKEN.set(space.token)  # recorded as that workspace's call
        return {
            "ok": True,
            "access_token": space.token,
            "token_type": "bot",
            "scope": ",".join(self.requested_scopes[-1] if self.requested_scopes else []),
            "bot_user_id": space.bot_user,
            "app_id": "A0BRIEF",
            "team": {"id": team, "name": space.name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U0INSTALLER"},
        }

    def _views_publish(self, payload: dict[str, Any]) -> dict[str, Any]:
        view = payload.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        user = str(payload.get("user_id") or "")
        if not isinstance(view, dict) or view.get("type") != "home" or not user:
            return {"ok": False, "error": "invalid_arguments"}
        blocks = view.get("blocks") or []
        too_long = any(
            (b["type"] == "header" and len(b["text"]["text"]) > 150)
            or (b["type"] == "section" and len(b["text"]["text"]) > 3000)
            for b in blocks
        )
        if len(blocks) > 100 or too_long:
            return {"ok": False, "error": "invalid_blocks"}
        self.views[(self._team_of(_TOKEN.get()) or "", user)] = view
        return {"ok": True, "view": {"id": "V0HOME", **view}}

    def _users_conversations(self, payload: dict[str, Any]) -> dict[str, Any]:
        space = self.workspaces[self._team_of(_TOKEN.get()) or DEFAULT_TEAM]
        user = str(payload.get("user") or "")
        ids = sorted(c for c, people in space.members.items() if user in people)
        limit = max(1, min(int(payload.get("limit") or 100), 1000))
        start = int(payload.get("cursor") or 0)
        page = ids[start : start + limit]
        more = start + limit < len(ids)
        return {
            "ok": True,
            "channels": [{"id": c, "is_channel": True} for c in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_open(self, payload: dict[str, Any]) -> dict[str, Any]:
        users = str(payload.get("users") or "")
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied"}
        return {"ok": True, "channel": {"id": f"D{users}"}}

    # -- Slack's authorize page ----------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        """The user approves the install in the workspace named by `team`: back to the
        redirect URI with a one-time code and the state, as Slack does."""
        query = request.query
        team = query.get("team", "")
        if query.get("client_id") != self.client_id or team not in self.workspaces:
            return web.Response(status=400, text="invalid client_id or team")
        self.requested_scopes.append(query.get("scope", "").split(","))
        code = f"code-{team}-{next(self._serial)}"
        self._codes[code] = team
        target = query.get("redirect_uri") or self.redirect_uri
        back = urlencode({"code": code, "state": query.get("state", "")})
        raise web.HTTPFound(f"{target}?{back}")


# -- a browser going through the install --------------------------------------------------------


@dataclass
class Install:
    """What one install through /slack/install → Slack → /slack/oauth_redirect gave."""

    status: int  # of the redirect page
    text: str
    callback_url: str  # /slack/oauth_redirect?code=…&state=…, to replay


async def install(base_url: str, team: str, *, keep_cookie: bool = True) -> Install:
    """Open `base_url`/slack/install?team=…, follow its Add to Slack link to the fake's
    authorize page, and come back to the redirect with (or without) the state cookie.

    Bolt marks the cookie `Secure`; browsers send such cookies to http://localhost (a
    secure context) but aiohttp's jar does not, so the cookie is carried back by hand."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/slack/install?team={team}") as page:
            assert page.status == 200, await page.text()
            found = re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', await page.text())
            assert found, "no Add to Slack link"
            authorize = html.unescape(found.group(1))
            cookie = page.headers.get("Set-Cookie", "").split(";", 1)[0]
            assert cookie.startswith("slack-app-oauth-state="), cookie
        async with session.get(authorize, allow_redirects=False) as slack:
            assert slack.status == 302, await slack.text()
            callback = slack.headers["Location"]
        headers = {"Cookie": cookie} if keep_cookie else {}
        async with session.get(callback, headers=headers, allow_redirects=False) as done:
            return Install(done.status, await done.text(), callback)


async def replay(callback_url: str, cookie_state: str | None = None) -> int:
    """Call the redirect URL again (a replayed or forged callback); the HTTP status."""
    state = parse_qs(urlsplit(callback_url).query).get("state", [""])[0]
    cookie = {"Cookie": f"slack-app-oauth-state={cookie_state or state}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(callback_url, headers=cookie, allow_redirects=False) as response,
    ):
        return response.status


# -- what Slack sends to the app ------------------------------------------------------------------


def _event(team: str, event: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "api_app_id": "A0BRIEF",
            "type": "event_callback",
            "event_id": f"Ev{int(time.time() * 1000)}",
            "event_time": int(time.time()),
            "event": {"event_ts": "1700000000.000200", **event},
        }
    ).encode()


def home_opened_body(user: str = "U0ASKER", team: str = DEFAULT_TEAM) -> bytes:
    """`app_home_opened` for the Home tab (JSON)."""
    return _event(
        team, {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
    )


def dm_body(text: str, user: str = "U0ASKER", team: str = DEFAULT_TEAM) -> bytes:
    """A `message.im` event: `user` wrote `text` in their DM with the bot (JSON)."""
    return _event(
        team,
        {
            "type": "message",
            "channel": f"D{user}",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": "1700000000.000300",
        },
    )


def uninstalled_body(team: str) -> bytes:
    """`app_uninstalled` (JSON)."""
    return _event(team, {"type": "app_uninstalled"})


def tokens_revoked_body(team: str, bot_user: str = "U0BOT") -> bytes:
    """`tokens_revoked` naming the bot's token (JSON)."""
    return _event(team, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [bot_user]}})


def _interaction(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def shortcut_body(
    message: dict[str, Any],
    response_url: str,
    *,
    channel: str = "C0NEWS",
    user: str = "U0ASKER",
    team: str = DEFAULT_TEAM,
) -> bytes:
    """A `message_action` (message shortcut "Summarize link") on `message` (form-encoded)."""
    return _interaction(
        {
            "type": "message_action",
            "token": "deprecated-verification-token",
            "callback_id": "summarize_link",
            "trigger_id": "1.2.3",
            "action_ts": "1700000000.000400",
            "message_ts": message.get("ts", "1700000000.000100"),
            "team": {"id": team, "domain": "fake"},
            "user": {"id": user, "name": "asker", "team_id": team},
            "channel": {"id": channel, "name": "news"},
            "is_enterprise_install": False,
            "enterprise": None,
            "message": {"type": "message", "ts": "1700000000.000100", **message},
            "response_url": response_url,
        }
    )


def brief_me_body(topic: str, user: str = "U0ASKER", team: str = DEFAULT_TEAM) -> bytes:
    """`block_actions` from the Home tab: Brief me pressed with `topic` typed (form)."""
    from adapters.slack.home import BRIEF_ME_ACTION, TOPIC_ACTION, TOPIC_BLOCK

    return _interaction(
        {
            "type": "block_actions",
            "token": "deprecated-verification-token",
            "trigger_id": "1.2.3",
            "api_app_id": "A0BRIEF",
            "team": {"id": team, "domain": "fake"},
            "user": {"id": user, "username": "asker", "team_id": team},
            "is_enterprise_install": False,
            "enterprise": None,
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {
                "id": "V0HOME",
                "type": "home",
                "team_id": team,
                "state": {
                    "values": {
                        TOPIC_BLOCK: {TOPIC_ACTION: {"type": "plain_text_input", "value": topic}}
                    }
                },
            },
            "actions": [
                {
                    "type": "button",
                    "action_id": BRIEF_ME_ACTION,
                    "block_id": "actions",
                    "text": {"type": "plain_text", "text": "Brief me"},
                    "action_ts": "1700000000.000500",
                }
            ],
        }
    )


__all__ = [
    "BOT_TOKEN",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DEFAULT_TEAM",
    "FakeSlackWorkspaces",
    "Install",
    "TokenCall",
    "Workspace",
    "brief_me_body",
    "dm_body",
    "home_opened_body",
    "install",
    "replay",
    "shortcut_body",
    "tokens_revoked_body",
    "uninstalled_body",
]
