"""Install into any workspace: slack-bolt's OAuth flow, with installations kept in briefbot's
own database.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set (`Settings.slack_oauth`), the Bolt app is
built with `AsyncOAuthSettings` instead of one token: `/slack/install` shows Slack's "Add to
Slack" button (a state issued and set as a cookie), `/slack/oauth_redirect` checks that state
(cookie and database, single use, 10 minutes), exchanges the code with `oauth.v2.access` and
saves the installation.  Installations (`slack_bots`, `slack_installations`) and OAuth states
(`slack_oauth_states`) live on the store's own engine through slack-sdk's SQLAlchemy stores,
so there is nothing else to run; their tables are created at start.  Those stores are
synchronous, so every call is awaited on a worker thread.

Every request is authorized by its team id (`installation_store_bot_only`: the bot token,
looked up in `slack_bots`), so its `client` carries that workspace's token; scheduled digests
look the token up the same way (`TeamDigestPoster`).  `app_uninstalled` and a `tokens_revoked`
naming the bot delete the workspace's installation and pause its digests
(`bot.ledger.Ledger.pause`); a reinstall resumes them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.app import Core
from bot.config import SLACK_REDIRECT_PATH, Settings
from bot.digests import DigestMark, Landed, Scheduler
from bot.ledger import Ledger
from bot.models import Subscription
from bot.store import Store

from .app import DigestPoster, describe_failure

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = SLACK_REDIRECT_PATH
STATE_SECONDS = 600  # an install must be finished within 10 minutes of opening /slack/install
# The bot scopes briefbot asks for: exactly manifest.yml's (README § Scopes says why each).
SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "im:history",
    "im:write",
)


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack-sdk's synchronous `SQLAlchemyInstallationStore`, awaited on worker threads:
    `reader` finds (a plain read transaction), `store` saves and deletes (on SQLite its
    transactions take the write lock up front, as the store's own writes do)."""

    def __init__(
        self, store: SQLAlchemyInstallationStore, reader: SQLAlchemyInstallationStore
    ) -> None:
        self.store = store
        self.reader = reader

    @property
    def logger(self) -> logging.Logger:
        return self.store.logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.reader.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.reader.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.store.delete_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
        )


class ThreadedStateStore(AsyncOAuthStateStore):
    """slack-sdk's synchronous `SQLAlchemyOAuthStateStore`, awaited on worker threads."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return self.store.logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


@dataclass(frozen=True)
class Installations:
    """The installation and OAuth state stores, on one database engine."""

    installations: ThreadedInstallationStore
    states: ThreadedStateStore

    async def bot_token(self, team_id: str) -> str | None:
        """The bot token (xoxb-…) of the workspace `team_id`, or None if not installed."""
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None


def open_installations(engine: Engine, client_id: str) -> Installations:
    """slack-sdk's SQLAlchemy stores on `engine` (the store's), their tables created if new.

    On SQLite their writing transactions take the write lock up front, as the store's own
    writes do (`bot.store`), so two processes never fail upgrading a read to a write.
    """
    writer = engine.execution_options(briefbot_write=True)
    logger = logging.getLogger("slack_sdk.oauth")
    installations = SQLAlchemyInstallationStore(client_id=client_id, engine=writer, logger=logger)
    reader = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=logger)
    states = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_SECONDS, engine=writer, logger=logger
    )
    installations.create_tables()
    states.create_tables()
    return Installations(
        ThreadedInstallationStore(installations, reader), ThreadedStateStore(states)
    )


def authorization_url(settings: Settings) -> str:
    """Slack's authorize page beside SLACK_API_URL: https://slack.com/oauth/v2/authorize for
    https://slack.com/api/ (GovSlack and test fakes alike)."""
    return urljoin(settings.slack_api_url, "../oauth/v2/authorize")


def app_options(core: Core, settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `AsyncApp` in OAuth mode (empty in single-workspace mode):
    the OAuth settings on the store's database, bot-only authorization by team id."""
    if not settings.slack_oauth:
        return {}
    stores = open_installations(core.store.engine, settings.slack_client_id)

    async def installed(args: AsyncSuccessArgs) -> BoltResponse:
        team = args.installation.team_id or ""
        if team and await asyncio.to_thread(Ledger(core.store).resume, "slack", team):
            log.info("Slack workspace %s reinstalled: its digests run again", team)
        return await args.default.success(args)

    async def failed(args: Any) -> BoltResponse:
        log.warning("A Slack install did not finish: %s", args.reason)
        return await args.default.failure(args)

    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri or None,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings),
        installation_store=stores.installations,
        installation_store_bot_only=True,
        state_store=stores.states,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=installed, failure=failed),
    )
    return {
        "oauth_settings": oauth,
        "installation_store_bot_only": True,
        "user_facing_authorize_error_message": not_installed_message(settings),
    }


def install_url(settings: Settings) -> str | None:
    """The public /slack/install address, when SLACK_REDIRECT_URI says where briefbot is."""
    if not settings.slack_redirect_uri:
        return None
    return urljoin(settings.slack_redirect_uri, INSTALL_PATH)


def not_installed_message(settings: Settings) -> str:
    """What a user of a workspace without an installation is told (one line)."""
    where = install_url(settings)
    again = f" at {where}" if where else " from its install page (/slack/install)"
    return (
        f":warning: briefbot is not installed in this workspace any more. Install it again{again}."
    )


def register(app: AsyncApp, core: Core, scheduler: Scheduler | None = None) -> None:
    """Listen for `app_uninstalled` and `tokens_revoked` (OAuth mode only): delete the
    workspace's installation and pause its digests until it installs the app again."""
    flow = app.oauth_flow
    if flow is None:
        return
    installations = flow.settings.installation_store

    async def forget(team: str, enterprise: str | None, reason: str) -> None:
        await installations.async_delete_all(enterprise_id=enterprise, team_id=team)
        paused = await asyncio.to_thread(
            Ledger(core.store).pause, "slack", team, reason, core.clock.now()
        )
        log.info("Slack workspace %s: %s; %s digest(s) paused", team, reason, paused)
        if scheduler is not None:
            scheduler.poke()

    @app.event("app_uninstalled")
    async def on_uninstalled(context: AsyncBoltContext) -> None:
        if context.team_id:
            await forget(context.team_id, context.enterprise_id, "app_uninstalled")

    @app.event("tokens_revoked")
    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        if not context.team_id:
            return
        if tokens.get("bot"):
            await forget(context.team_id, context.enterprise_id, "tokens_revoked")
            return
        for user in tokens.get("oauth") or []:  # user tokens only: briefbot asks for none
            await installations.async_delete_installation(
                enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user
            )


class NotInstalled(Exception):
    """A digest's workspace has no installation (uninstalled since, or never installed)."""


class TeamDigestPoster:
    """Posts each digest with the bot token of the subscription's workspace, looked up in the
    installation store by team id (OAuth mode's `DigestPoster`).

    One `adapters.slack.app.DigestPoster` per token does the posting and read-back.  Opens its
    own `Store` on DATABASE_URL when not given one (`briefbot digest run-due`); `close()`
    releases it.
    """

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._own = store is None
        self.store = store if store is not None else Store(settings.database_url)
        self.installations = open_installations(self.store.engine, settings.slack_client_id)
        self._posters: dict[str, DigestPoster] = {}

    async def _poster(self, subscription: Subscription) -> DigestPoster:
        token = await self.installations.bot_token(subscription.workspace)
        if not token:
            raise NotInstalled(
                f"briefbot is not installed in Slack workspace {subscription.workspace}"
            )
        poster = self._posters.get(token)
        if poster is None:
            poster = DigestPoster(dataclasses.replace(self.settings, slack_bot_token=token))
            self._posters[token] = poster
        return poster

    async def post(self, subscription: Subscription, reply: Any, mark: DigestMark) -> str:
        """Post with the workspace's own token (see `DigestPoster.post`)."""
        return await (await self._poster(subscription)).post(subscription, reply, mark)

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        """Read back with the workspace's own token (see `DigestPoster.landed`)."""
        return await (await self._poster(subscription)).landed(subscription, mark)

    def describe(self, exc: Exception) -> str:
        """A failed post in one line (see `DigestPoster.describe`)."""
        if isinstance(exc, NotInstalled):
            return str(exc)
        return describe_failure(exc)

    async def close(self) -> None:
        """Release the store this poster opened itself."""
        if self._own:
            await asyncio.to_thread(self.store.close)
