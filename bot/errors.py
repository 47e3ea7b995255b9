"""Domain errors whose message is fit to show a user as it is.

They are raised anywhere in the core and turned into a reply once, at the edge (the CLI exits
with status 2; chat adapters answer ephemerally).
"""


class UserError(Exception):
    """A mistake the user can fix; the message says how."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Something was wrong with that request."


class UnknownArticle(UserError):
    """No article has the id the user gave."""

    def __init__(self, article_id: int | str) -> None:
        super().__init__(f"No article with id {article_id}. Try 'articles' to list them.")


class BadArgument(UserError):
    """An argument could not be understood."""


class FetchFailed(UserError):
    """A URL or file could not be read."""
