"""Who asked a command, and where: the `Context` every command is answered in.

Its own small module, so that the command layer (`bot.commands`), the command line and the
adapters name it without importing the digest scheduler (`bot.digests`, which re-exports it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .scopes import Scope, scope_of


@dataclass(frozen=True)
class Context:
    """Who asked, and where: digests belong to one workspace/server and channel."""

    platform: str = "cli"
    workspace: str = ""
    channel: str = ""
    user: str = ""
    can_manage: bool = True  # may change this channel's subscriptions and feeds
    # What changing them takes, named the platform's way (for the refusal).
    manage_permission: str = "permission to manage this channel"
    default_timezone: str = "UTC"
    # Where digests may ping a role (`mention:<role id>`): the id of the role that names
    # everyone there, which is refused (the adapter knows it); None: they ping no role.
    everyone_role: str | None = None

    @property
    def scope(self) -> Scope:
        """Whose articles this command may read (bot.scopes): its workspace's and the shared
        library; the command line (platform "cli") reads every article."""
        return scope_of(self.platform, self.workspace)


CLI = Context()
