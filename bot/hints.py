"""Command hints named the way each platform types them.

The core writes every hint as a code span in its own words (`` `articles nato` ``,
`` `digest list` ``, `` `brief why 1` ``); a renderer passes the text through `name_hints`
with its platform's `Spelling`, so Slack shows `/articles nato`, Discord
`/articles query:nato` and the command line `articles nato`.  The spellings themselves live
with each renderer (`adapters.slack.blocks.SPELLING`, `adapters.discord.embeds.SPELLING`,
`CLI` here): the core knows its commands and their arguments, never a platform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each command's arguments, in the order the text form takes them positionally; the named
# form (`Spelling.named`) writes them as `name:value`.
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "brief": ("topic", "bullets", "since"),
    "brief why": ("why",),
    "summarize": ("article", "sentences"),
    "articles": ("query",),
    "digest subscribe": ("time", "timezone", "topic", "bullets", "quiet", "threads", "mention"),
    "digest list": (),
    "digest unsubscribe": ("digest",),
    "digest now": ("digest",),
    "digest help": (),
    "digest": (),
    "feeds add": ("url", "name"),
    "feeds list": (),
    "feeds remove": ("feed",),
    "feeds": (),
    "help": (),
}
# Verbs as typed, to their command (aliases the parser accepts read the same).
_VERBS = {
    "brief": "brief",
    "summarize": "summarize",
    "articles": "articles",
    "digest": "digest",
    "feeds": "feeds",
    "help": "help",
}
# A placeholder's words to the argument it stands for (`[N]` is bullets, or sentences).
_PLACEHOLDERS = {
    "topic": "topic",
    "since": "since",
    "query": "query",
    "id|url": "article",
    "url": "url",
    "name": "name",
    "hh:mm": "time",
    "time zone": "timezone",
    "timezone": "timezone",
    "quiet": "quiet",
    "threads": "threads",
}
_SPAN = re.compile(r"`([^`\n]+)`")
_WINDOW = re.compile(r"^\d+\s*[a-z]+$|^all$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^[\[<](.+)[\]>]$")


@dataclass(frozen=True)
class Spelling:
    """How a platform types a command: `prefix` before the verb (`/` in chat), and whether
    arguments are named options (`named`, as Discord's `topic:ukraine`)."""

    prefix: str = ""
    named: bool = False


CLI = Spelling()


def spell(command: str, spelling: Spelling) -> str | None:
    """`command` (core words, e.g. `brief ukraine 3`) as `spelling` types it; None if it does
    not start with a command verb (then it is not a hint, e.g. `08:30`)."""
    if " | " in command:
        # `digest list | unsubscribe <id|all>`: each alternative is a command of that verb.
        first, *others = command.split(" | ")
        head = spell(first, spelling)
        if head is None:
            return None
        verb = first.split()[0]
        return " · ".join([head, *(spell(f"{verb} {o}", spelling) or o for o in others)])
    words = _split(command.strip())
    if not words:
        return None
    verb = _VERBS.get(words[0].lstrip("/").lower())
    if verb is None:
        return None
    name, rest = verb, words[1:]
    if rest and f"{verb} {rest[0].lower()}" in ARGUMENTS:
        name, rest = f"{verb} {rest[0].lower()}", rest[1:]
    if verb == "help" and rest and spelling.named:
        rest = []  # Discord has one /help
    if name == "digest help" and spelling.named:
        return f"{spelling.prefix}help command:digest"  # Discord: one /help, with a choice
    if name == "brief why" and spelling.named:
        return f"{spelling.prefix}brief " + " ".join(f"why:{w}" for w in rest[:1])
    head = spelling.prefix + name
    if not spelling.named or not rest:
        return " ".join([head, *rest])
    return " ".join([head, *_named(name, rest)])


def _split(text: str) -> list[str]:
    """Words, keeping a bracketed placeholder with spaces (`[time zone]`) as one."""
    words: list[str] = []
    depth = 0
    for word in text.split():
        if depth:
            words[-1] += " " + word
        else:
            words.append(word)
        depth += word.count("[") + word.count("<") - word.count("]") - word.count(">")
        depth = max(depth, 0)
    return words


def _named(name: str, rest: list[str]) -> list[str]:
    arguments = ARGUMENTS.get(name, ())
    if name == "brief":
        return _named_brief(rest)
    if name == "digest subscribe":
        return _named_subscribe(rest)
    out: list[str] = []
    for i, word in enumerate(rest):
        if i >= len(arguments):
            if not out:
                out.append(word)
                continue
            out[-1] += " " + word  # the last argument takes the rest (a query, a name)
            continue
        out.append(_option(arguments[i], word))
    return out


def _option(argument: str, word: str) -> str:
    placeholder = _PLACEHOLDER.match(word)
    if placeholder and word.startswith("["):
        return f"[{argument}:…]"
    if placeholder:
        return f"{argument}:…"
    return f"{argument}:{word}"


def _named_brief(rest: list[str]) -> list[str]:
    topic: list[str] = []
    out: list[str] = []
    for word in rest:
        inner = _PLACEHOLDER.match(word)
        key = inner.group(1).lower() if inner else ""
        if key in {"n", "bullets"}:
            out.append(_option("bullets", word))
        elif key == "since":
            out.append(_option("since", word))
        elif key == "topic":
            out.insert(0, _option("topic", word))
        elif word.isdigit():
            out.append(f"bullets:{word}")
        elif _WINDOW.match(word):
            out.append(f"since:{word}")
        else:
            topic.append(word)
    if topic:
        out.insert(0, "topic:" + " ".join(topic))
    return out


def _named_subscribe(rest: list[str]) -> list[str]:
    out: list[str] = []
    topic: list[str] = []
    for i, word in enumerate(rest):
        inner = _PLACEHOLDER.match(word)
        key = inner.group(1).lower() if inner else ""
        argument = _PLACEHOLDERS.get(key) or ("bullets" if key in {"n", "bullets"} else "")
        if argument:
            out.append(_option(argument, word))
        elif i == 0:
            out.append(f"time:{word}")
        elif "/" in word or word.upper() in {"UTC", "GMT"}:
            out.append(f"timezone:{word}")
        elif word.isdigit():
            out.append(f"bullets:{word}")
        elif word.lower() in {"quiet", "threads"}:
            out.append(f"{word.lower()}:True")
        elif ":" in word and word.split(":", 1)[0] in ARGUMENTS["digest subscribe"]:
            out.append(word)  # already named (`threads`, `mention:` and the like pass too)
        else:
            topic.append(word)
    if topic:
        where = sum(1 for o in out if o.startswith(("time:", "timezone:")))
        out.insert(where, "topic:" + " ".join(topic))
    return out


def name_hints(text: str, spelling: Spelling) -> str:
    """Every code span of `text` that is a command, spelled the platform's way; other code
    spans (a time `08:30`, a path) are left as they are."""

    def one(match: re.Match[str]) -> str:
        spelled = spell(match.group(1), spelling)
        return f"`{spelled}`" if spelled is not None else match.group(0)

    return _SPAN.sub(one, text)
