"""Text in, ranked sentences out: offline tokenization and extractive summarizers.

`available()` lists the summarizer names and `get(name)` builds one.  Every summarizer copies
sentences verbatim, in document order, deterministically.  This package imports nothing of the
bot, so it can be reused and benchmarked on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Summarizer

DEFAULT = "news"

# name -> (module, class, constructor arguments).  Modules are imported on first use so that
# listing names, or using only `news`, never pays for sumy and NLTK.
_REGISTRY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "news": ("news", "NewsSummarizer", ()),
    "lead": ("lead", "LeadSummarizer", ()),
    "luhn": ("classic", "ClassicSummarizer", ("luhn",)),
    "lsa": ("classic", "ClassicSummarizer", ("lsa",)),
    "lexrank": ("classic", "ClassicSummarizer", ("lexrank",)),
    "textrank": ("classic", "ClassicSummarizer", ("textrank",)),
    "sumbasic": ("classic", "ClassicSummarizer", ("sumbasic",)),
    "kl": ("classic", "ClassicSummarizer", ("kl",)),
    "reduction": ("classic", "ClassicSummarizer", ("reduction",)),
}


class UnknownSummarizer(LookupError):
    """Raised for a name that is not registered; the message lists the valid ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"Unknown summarizer {name!r}. Available: {', '.join(available())}.")

    def __str__(self) -> str:
        return self.args[0]


def available() -> list[str]:
    """Return the names `get` accepts, the default first."""
    return list(_REGISTRY)


def get(name: str = DEFAULT) -> Summarizer:
    """Build the summarizer registered under `name`."""
    key = name.strip().lower()
    try:
        module_name, class_name, args = _REGISTRY[key]
    except KeyError:
        raise UnknownSummarizer(name) from None
    factory: Callable[..., Summarizer] = getattr(
        import_module(f"{__name__}.{module_name}"), class_name
    )
    return factory(*args)


__all__ = ["DEFAULT", "UnknownSummarizer", "available", "get"]
