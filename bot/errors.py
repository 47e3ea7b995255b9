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
        super().__init__(f"No article with id {article_id}. Try `articles` to list them.")


class BadArgument(UserError):
    """An argument could not be understood."""


class BadSettings(UserError):
    """Settings that cannot be used; `problems` holds one line per bad setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class FetchFailed(UserError):
    """A URL or file could not be read.

    `status` is the HTTP status when there was one; `retry_after` the seconds the server
    asked us to wait (429/503), so pollers can honour it.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
