"""Front matter: the `key: value` lines between `---` lines at the top of a .txt or .md article.

The block follows the convention of static site generators (Jekyll, Hugo): a first line of
`---`, flat `key: value` lines, and a closing `---` line.  briefbot reads only flat string
fields (`title`, `source`/`publisher`, `url`/`link`, `published`/`date`, `lang`/`language`:
an ISO 639-1 code such as `de` or a tag such as `de-AT`), so the block is read
line by line rather than as YAML: YAML would turn `title: No` into a boolean and `published:
2024-05-01` into a date object, and it adds a dependency for three fields.

Malformed blocks are never ignored in silence:

- **Unclosed** (`---`, then `key: value` lines, and no closing `---`): the file is refused.
  Where the fields end and the story begins cannot be told (a story's first line may well read
  "Update: the council voted…"), and storing a guess would put metadata into bullets.  Adding
  one line fixes the file, and the refusal says which.
- **A line that is not `key: value`** inside a closed block: the article is stored and the
  line is reported as a problem.  The block's bounds are certain, so every other field is
  still right; only that line is skipped.  Blank lines, `#` comments, indented continuation
  lines and `- item` list lines are valid front matter and are skipped without a word.

A first line of `---` whose next line (blank lines and comments aside) is not `key: value` is
a rule in the text, not front matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = "---"
_FIELD = re.compile(r"^([A-Za-z][\w.-]*)\s*:\s*(.*?)\s*$")
_QUOTED = re.compile(r"""^(["'])(.*)\1$""")
# Lines shown in a problem report are cut to this many characters.
_SHOWN = 40


@dataclass(frozen=True)
class FrontMatter:
    """What `read_front_matter` found.

    `fields` maps lower-case keys to their values (quotes removed); `body` is the text after
    the block (all of the text when there is none); `problems` are lines to report; `error`
    says why the block cannot be read at all (the article should then be refused).
    """

    fields: dict[str, str] = field(default_factory=dict)
    body: str = ""
    problems: tuple[str, ...] = ()
    error: str | None = None


def read_front_matter(text: str) -> FrontMatter:
    """Split `text` into its front matter and the article after it (see the module rules).

    Never raises; a byte-order mark and Windows line endings are accepted.
    """
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        return FrontMatter(body=text)
    first = next(
        (i for i in range(1, len(lines)) if lines[i].strip() and lines[i][:1] != "#"), None
    )
    if first is None or not _FIELD.match(lines[first].rstrip()):
        return FrontMatter(body=text)  # a rule, not front matter
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _FENCE), None)
    if close is None:
        return FrontMatter(
            body=text,
            error=(
                "its front matter (the --- line at the top) is never closed: "
                "add a --- line after the last `key: value` line"
            ),
        )
    fields: dict[str, str] = {}
    problems: list[str] = []
    for number in range(1, close):
        line = lines[number].rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or line[:1].isspace() or line[:2] == "- ":
            continue
        match = _FIELD.match(line)
        if match is None:
            shown = stripped if len(stripped) <= _SHOWN else stripped[: _SHOWN - 1] + "…"
            problems.append(
                f"front matter line {number + 1} ({shown!r}) is not `key: value` and was skipped"
            )
            continue
        value = match.group(2) or ""
        quoted = _QUOTED.match(value)
        fields[match.group(1).lower()] = quoted.group(2) if quoted else value
    return FrontMatter(fields, "".join(lines[close + 1 :]), tuple(problems))
