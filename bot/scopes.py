"""Tenancy: which articles a reader may see, and whose an article becomes when it is stored.

Every article belongs to one or more *scopes*: a workspace (a Slack team or a Discord guild,
keyed as ``platform:workspace``, e.g. ``slack:T0123`` or ``discord:81384788765712384``) or the
operator's shared library (``shared``: the seeds, command-line ingests and command-line feeds).
A workspace reads its own articles plus the shared library; the operator (the command line)
reads everything.
"""

from __future__ import annotations

from dataclasses import dataclass

SHARED = "shared"
OPERATOR_PLATFORM = "cli"


def workspace_key(platform: str, workspace: str) -> str:
    """The scope key of a workspace, e.g. ``slack:T0123``; the command line's is ``shared``."""
    if platform == OPERATOR_PLATFORM:
        return SHARED
    return f"{platform}:{workspace}"


@dataclass(frozen=True)
class Scope:
    """Whose articles a read may return, and where an article stored by the reader lands.

    `key` is a workspace key (see `workspace_key`), ``shared`` for the shared library only, or
    None for the operator, who reads every article and stores into the shared library.
    """

    key: str | None

    @property
    def visible(self) -> tuple[str, ...] | None:
        """The scope keys whose articles may be read; None means every article."""
        if self.key is None:
            return None
        return (SHARED,) if self.key == SHARED else (self.key, SHARED)

    @property
    def owner(self) -> str:
        """The scope key an article stored by this reader belongs to."""
        return self.key or SHARED


OPERATOR = Scope(None)
SHARED_LIBRARY = Scope(SHARED)


def scope_of(platform: str, workspace: str) -> Scope:
    """The scope of a command from `platform`/`workspace`: the command line is the operator."""
    if platform == OPERATOR_PLATFORM:
        return OPERATOR
    return Scope(workspace_key(platform, workspace))
