"""A loopback fake of the Slack Web API and Socket Mode (aiohttp on 127.0.0.1), and a signer.

It answers `auth.test`, `chat.postMessage`, `chat.postEphemeral`, `conversations.history` and
`response_url` posts the way Slack does (JSON with `ok`, errors as `ok: false`, 429 with
`Retry-After`), checks the bot token, and records every call.  Posted messages are kept per
channel with their `metadata`; `conversations.history` returns them newest first, after
`oldest` (exclusive), paged by `cursor`, and shows `metadata` only with `include_all_metadata`.
Message timestamps (`ts`) come from `now` (seconds since the epoch; a test passes its fake
clock), each one unique.  Tests wait on `wait_for`, never on time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .limits import Bucket, Limiter, whole_seconds
from .loopback import serve_app

BOT_TOKEN = "xoxb-0000000000-1111111111-testbottokenvalue"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APP_TOKEN = "xapp-1-A111-222-testapptokenvalue"


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str  # Web API method, or "response_url"
    payload: dict[str, Any]
    status: int  # what the fake answered
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic seconds)


@dataclass
class Failure:
    """A programmed failure: the next `times` calls of a method answer like this."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1
    # Accept the call (a message is posted) but drop the connection instead of answering, as
    # when a network fails after Slack took the request.
    lost: bool = False


@dataclass
class FakeSlack:
    """The fake server; `url` is its base, `api_url` what SLACK_API_URL should be."""

    token: str = BOT_TOKEN
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    port: int = 0
    app_token: str = APP_TOKEN
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    now: Callable[[], float] = time.time
    # Awaited with each message chat.postMessage stores, before the answer is sent (a test
    # may kill the client there: the post landed, the client never heard).
    on_post: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    # channel id -> messages posted there, oldest first
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Slack's rate limits, enforced when set (`slack_limits()`): a call over one answers 429
    # with Retry-After and is counted in `limits.limited`; None (the default): no limits.
    limits: Limiter | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url that this fake accepts, as Slack puts in a command payload."""
        return f"{self.url}/response/{name}"

    def fail(self, method: str, **how: Any) -> None:
        """Make the next call(s) of `method` fail (see Failure)."""
        self.failures.setdefault(method, []).append(Failure(**how))

    async def start(self) -> FakeSlack:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._add_routes(app)
        self._runner, self.port = await serve_app(app)
        return self

    def _add_routes(self, app: web.Application) -> None:
        """More routes for a subclass (tests/fakes/slack_oauth.py: Slack's authorize page)."""

    def _authorized(self, request: web.Request) -> bool:
        """Whether a Web API call carries an accepted token (subclasses accept more)."""
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def stop(self) -> None:
        for socket in list(self.sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- reading back ---------------------------------------------------------------------

    def of(self, method: str, *, ok: bool = True) -> list[Call]:
        """Calls of one method (by default only the ones answered with success)."""
        return [c for c in self.calls if c.method == method and (c.status == 200) == ok]

    async def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 10) -> Any:
        """Wait until `predicate(self)` is truthy (re-checked on every call); return it."""
        assert self._changed is not None

        async def check() -> Any:
            async with self._changed:
                while not (result := predicate(self)):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(check(), timeout)

    # -- handlers -------------------------------------------------------------------------

    async def _record(self, call: Call) -> None:
        assert self._changed is not None
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _next_failure(self, method: str) -> Failure | None:
        queue = self.failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    async def _payload(self, request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        payload: dict[str, Any] = dict(form)
        for key in ("blocks", "attachments"):
            if isinstance(payload.get(key), str):
                payload[key] = json.loads(payload[key])
        return payload

    async def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        """Deliver a Socket Mode envelope (e.g. kind "slash_commands") to the connected app."""
        assert self.sockets, "no Socket Mode connection"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0BRIEF"}}
        )
        await self._record(Call("socket.connect", {}, 200))
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                await self._record(Call("socket.ack", json.loads(message.data), 200))
        self.sockets.remove(socket)
        return socket

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        payload = await self._payload(request)
        if method == "apps.connections.open":
            ok = request.headers.get("Authorization") == f"Bearer {self.app_token}"
            await self._record(Call(method, payload, 200 if ok else 401))
            if not ok:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if not self._authorized(request):
            await self._record(Call(method, payload, 401))
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if (wait := self._over_limit(method, payload, request)) > 0:
            await self._record(Call(method, payload, 429))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(whole_seconds(wait))},
            )
        failure = self._next_failure(method)
        if failure is not None and failure.lost:
            answer = await self._answer(method, payload)
            assert request.transport is not None
            request.transport.abort()  # the client never hears back
            return answer
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            status = failure.status if failure.status != 200 else 400
            await self._record(Call(method, payload, status))
            body = {"ok": False, "error": failure.error or "ratelimited"}
            return web.json_response(body, status=failure.status, headers=headers)
        return await self._answer(method, payload)

    def _over_limit(self, method: str, payload: dict[str, Any], request: web.Request) -> float:
        """Seconds until `method` may be called again by this caller (0.0: now)."""
        if self.limits is None:
            return 0.0
        workspace = request.headers.get("Authorization", "")  # one token per workspace
        if method == "chat.postMessage":
            channel = str(payload.get("channel") or "")
            return self.limits.check(
                "chat.postMessage/channel", f"{workspace} {channel}"
            ) or self.limits.check("chat.postMessage/workspace", workspace)
        return self.limits.check(method, workspace)

    async def _answer(self, method: str, payload: dict[str, Any]) -> web.Response:
        await self._record(Call(method, payload, 200))
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": "https://fake.slack.test/",
                    "team": "Fake",
                    "user": "briefbot",
                    "team_id": "T0FAKE",
                    "user_id": "U0BOT",
                    "bot_id": "B0BOT",
                }
            )
        if method in {"chat.postMessage", "chat.postEphemeral"}:
            ts = f"{int(self.now())}.{next(self._ts):06d}"
            channel = str(payload.get("channel") or "")
            message = {
                "type": "message",
                "user": "U0BOT",
                "bot_id": "B0BOT",
                "app_id": "A0BRIEF",
                "text": payload.get("text") or "",
                "blocks": payload.get("blocks") or [],
                "ts": ts,
            }
            metadata = payload.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            if metadata:
                message["metadata"] = metadata
            if payload.get("thread_ts"):
                message["thread_ts"] = str(payload["thread_ts"])
            if method == "chat.postMessage":
                self.messages.setdefault(channel, []).append(message)
                if self.on_post is not None:
                    await self.on_post(message)
            return web.json_response(
                {"ok": True, "channel": channel, "ts": ts, "message_ts": ts, "message": message}
            )
        if method == "conversations.history":
            return web.json_response(self._history(payload))
        if method in self._interactive:
            return web.json_response(self._interactive[method](self, payload))
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)

    # -- interactivity (issue 15): chat.update, conversations.replies --------------------

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies posted in the thread of message `ts` (not the parent), oldest first."""
        return [m for m in self.messages.get(channel, []) if m.get("thread_ts") == ts]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A posted message by its ts."""
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    def _update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """chat.update: replace a posted message's text and blocks (message_not_found else)."""
        channel, ts = str(payload.get("channel") or ""), str(payload.get("ts") or "")
        message = self.message(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message["text"] = payload.get("text") or message["text"]
        if "blocks" in payload:
            message["blocks"] = payload.get("blocks") or []
        message["edited"] = {"user": "U0BOT", "ts": ts}
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"]}

    def _replies(self, query: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the parent, then its thread's replies, oldest first."""
        channel, ts = str(query.get("channel") or ""), str(query.get("ts") or "")
        parent = self.message(channel, ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": [parent, *self.thread(channel, ts)], "has_more": False}

    _interactive: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = field(
        default_factory=lambda: {
            "chat.update": FakeSlack._update,
            "conversations.replies": FakeSlack._replies,
        }
    )

    def _history(self, query: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, `oldest`/`latest` exclusive, cursor paging."""
        channel = str(query.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(query.get("oldest") or 0)
        latest = float(query.get("latest") or "inf")
        limit = max(1, min(int(query.get("limit") or 100), 999))
        start = int(query.get("cursor") or 0)
        with_metadata = str(query.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = [
            m for m in reversed(self.messages.get(channel, [])) if oldest < float(m["ts"]) < latest
        ]
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": [
                m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                for m in page
            ],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    async def _response_url(self, request: web.Request) -> web.Response:
        payload = await self._payload(request)
        failure = self._next_failure("response_url")
        if failure is not None:
            status = failure.status if failure.status != 200 else 500
            await self._record(Call("response_url", payload, status))
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return web.Response(status=status, text=failure.error or "error", headers=headers)
        await self._record(Call("response_url", payload, 200))
        return web.Response(text="ok")


def slack_limits(workspace_per_minute: float | None = None) -> Limiter:
    """Slack's published limits: chat.postMessage one per second per channel (a burst of
    one), conversations.history Tier 3 (50 a minute per workspace); `workspace_per_minute`
    adds a workspace-wide chat.postMessage limit (Slack keeps one but publishes no figure)."""
    buckets = {
        "chat.postMessage/channel": Bucket(1.0, 1),
        "conversations.history": Bucket(50 / 60, 50),
    }
    if workspace_per_minute is not None:
        buckets["chat.postMessage/workspace"] = Bucket(
            workspace_per_minute / 60, max(1, int(workspace_per_minute // 60))
        )
    return Limiter(buckets)


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a request: `v0=` HMAC-SHA256 of `v0:timestamp:body`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


async def post_signed(
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    content_type: str = "application/x-www-form-urlencoded",
) -> int:
    """POST a body to the app as Slack does (signed now, unless `headers` says otherwise);
    return the HTTP status."""
    import aiohttp

    sent = {"Content-Type": content_type, **(sign(body) if headers is None else headers)}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=sent) as response,
    ):
        await response.read()
        return response.status


def command_body(
    command: str,
    text: str,
    response_url: str,
    *,
    channel: str = "C0NEWS",
    user: str = "U0ASKER",
    team: str = "T0FAKE",
) -> bytes:
    """A form-encoded slash-command body, field for field as Slack sends it (from `team`)."""
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "news",
            "user_id": user,
            "user_name": "asker",
            "command": command,
            "text": text,
            "api_app_id": "A0BRIEF",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    ).encode()


def mention_body(
    text: str, *, channel: str = "C0NEWS", user: str = "U0ASKER", team: str = "T0FAKE"
) -> bytes:
    """An Events API `app_mention` callback as JSON (from `team`)."""
    return json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "api_app_id": "A0BRIEF",
            "type": "event_callback",
            "event_id": "Ev0001",
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": user,
                "text": f"<@U0BOT> {text}",
                "ts": "1700000000.000100",
                "channel": channel,
                "event_ts": "1700000000.000100",
            },
        }
    ).encode()


# -- interactivity (issue 15) ----------------------------------------------------------------


def action_body(
    message: dict[str, Any],
    action_id: str,
    *,
    value: str | None = None,
    selected: str | None = None,
    block_id: str | None = None,
    response_url: str,
    channel: str = "C0NEWS",
    user: str = "U0ASKER",
    team: str = "T0FAKE",
) -> bytes:
    """A `block_actions` interaction as Slack posts it (form field `payload`, JSON), for a
    press of the element `action_id` on `message` (as the fake stored it).  The button's
    value (or the menu's block_id) is read from the message unless given."""
    element, found_block = None, None
    for block in message.get("blocks") or []:
        for candidate in block.get("elements") or []:
            if isinstance(candidate, dict) and candidate.get("action_id") == action_id:
                element, found_block = candidate, block
    assert element is not None, f"no {action_id} in the message"
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": action_id,
        "block_id": block_id or found_block.get("block_id", "b1"),
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action["value"] = value if value is not None else element.get("value")
        action["text"] = element["text"]
    else:
        option = next(o for o in element["options"] if o["value"] == selected)
        action["selected_option"] = option
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "asker", "name": "asker", "team_id": team},
        "api_app_id": "A0BRIEF",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "1.2.3",
        "team": {"id": team, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "news"},
        "message": message,
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()
