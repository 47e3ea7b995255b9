"""sumy's algorithms behind our interface, fed with our offline tokenizer and stemmer."""

from __future__ import annotations

from importlib import import_module

from .analysis import Analysis
from .base import Summarizer, fill_to
from .text import SentenceTokenizer, stem

# name -> (sumy module, class)
_SUMY = {
    "luhn": ("sumy.summarizers.luhn", "LuhnSummarizer"),
    "lsa": ("sumy.summarizers.lsa", "LsaSummarizer"),
    "lexrank": ("sumy.summarizers.lex_rank", "LexRankSummarizer"),
    "textrank": ("sumy.summarizers.text_rank", "TextRankSummarizer"),
    "sumbasic": ("sumy.summarizers.sum_basic", "SumBasicSummarizer"),
    "kl": ("sumy.summarizers.kl", "KLSummarizer"),
    "reduction": ("sumy.summarizers.reduction", "ReductionSummarizer"),
}


class ClassicSummarizer(Summarizer):
    """One of sumy's summarizers, selected by name."""

    def __init__(self, name: str) -> None:
        from sumy.utils import get_stop_words

        module_name, class_name = _SUMY[name]
        self.name = name
        self._impl = getattr(import_module(module_name), class_name)(stem)
        self._impl.stop_words = get_stop_words("english")
        self._tokenizer = SentenceTokenizer()

    def select(self, analysis: Analysis, count: int) -> list[int]:
        """Run sumy on our sentences and map its picks back to their indices."""
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

        n = len(analysis)
        if count <= 0 or n == 0:
            return []
        if n <= count:
            return list(range(n))
        objects = [Sentence(s, self._tokenizer) for s in analysis.sentences]
        paragraphs: list[list[Sentence]] = []
        last = None
        for sentence, number in zip(objects, analysis.paragraphs.tolist(), strict=True):
            if number != last:
                paragraphs.append([])
                last = number
            paragraphs[-1].append(sentence)
        document = ObjectDocumentModel(tuple(Paragraph(p) for p in paragraphs))
        index_of = {id(s): i for i, s in enumerate(objects)}
        # sumy keys ratings by sentence text, so a repeated sentence may come back as another
        # object with the same text: fall back to the first sentence with that text.
        first_by_text: dict[str, int] = {}
        for i, text in enumerate(analysis.sentences):
            first_by_text.setdefault(text.strip(), i)
        chosen = set()
        for sentence in self._impl(document, count):
            i = index_of.get(id(sentence), first_by_text.get(str(sentence)))
            if i is not None:
                chosen.add(i)
        return fill_to(sorted(chosen), n, count)
