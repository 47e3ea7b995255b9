"""What the splitter and the term extractor know about each supported language.

Languages are ISO 639-1 codes ("en", "de", "zh").  `SUPPORTED` lists those whose sentences and
terms briefbot handles; any other code (or None) falls back to the English rules for
abbreviations, while the script rules (。！？, ؟, ।, caseless scripts) hold for every text.

The abbreviation lists are ordinary dictionary knowledge of each language's news copy (style
guides and the abbreviation tables of Wiktionary and the Duden/Larousse/RAE/Treccani/Priberam/
Van Dale/Rosental/Słownik/TDK dictionaries), not fitted to any test corpus.  Each entry is the
word before the final period, lower-case; inner periods stay ("z.b", "m.in").
"""

from __future__ import annotations

import array
import contextlib
import io
import os
import re
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

SUPPORTED = "en de fr es it pt nl ru uk pl tr ar hi zh ja".split()  # the fifteen languages


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class SplitRules:
    """Sentence-boundary knowledge of one language.

    - `abbreviations`: words that end in a period but never end a sentence (titles, "z.B.",
      street and place prefixes: what comes before a name or noun).
    - `before_number`: abbreviations that hold only when a number follows ("Nr. 5").
    - `months`: month names (lower-case) a period after a day number does not end a sentence
      before ("am 1. Juni"), for languages that write ordinals with a period.
    - `ordinal_nouns`: nouns that follow an ordinal number with a period ("im 19. Jahrhundert",
      "2. Bundesliga"), lower-case.
    - `ordinal_before`: words that govern an ordinal, so "am 3." cannot end a sentence.
    - `after_number`: one-letter abbreviations that follow a year and may end a sentence
      ("в 1991 г.", "w 2020 r."); other one-letter abbreviations never end one ("z. B.").
    """

    abbreviations: frozenset[str] = frozenset()
    before_number: frozenset[str] = frozenset()
    months: frozenset[str] = frozenset()
    ordinal_nouns: frozenset[str] = frozenset()
    ordinal_before: frozenset[str] = frozenset()
    after_number: frozenset[str] = frozenset()
    lang: str = ""

    @property
    def ordinal_dots(self) -> bool:
        """True when the language writes ordinals as a number and a period ("1. Juni")."""
        return bool(self.months)


_GERMAN_MONTHS = _words(
    "januar jänner februar feber märz april mai juni juli august september oktober november "
    "dezember jan feb mär märz apr jun jul aug sep sept okt nov dez"
)
_TURKISH_MONTHS = _words(
    "ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık"
)
_POLISH_MONTHS = _words(
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień "
    "październik listopad grudzień"
)

RULES: dict[str, SplitRules] = {
    "de": SplitRules(
        abbreviations=_words(
            "hr hrn fr frl dr prof dipl ing mag dkfm rer nat med phil jur habil hon st sankt "
            "str bzw ca vgl sog evtl ggf inkl exkl zzgl abzgl gem lt usf ebd bspw insb "
            "allg bzgl mind max min jh jhd jhs geb gest verh ehem verst urspr hl hll "
            "z.b d.h u.a v.a o.ä u.ä s.o s.u z.t i.d.r u.u z.zt zz zzt v.chr n.chr "
            "mio mrd tsd abb kap bd bde hrsg aufl tel fa co gebr erg bsp u.v.m "
            "mo di mi do fr sa so"
        ),
        before_number=_words(
            "nr no abs art s bd ziff kap abschn anm jan feb mär apr jun jul aug sep sept okt "
            "nov dez seite tab"
        ),
        months=_GERMAN_MONTHS,
        ordinal_nouns=_words(
            "jahrhundert jahrtausend jahrestag geburtstag todestag mal platz rang runde liga "
            "bundesliga spieltag etappe klasse stock stockwerk etage weltkrieg auflage sitzung "
            "legislaturperiode amendment parteitag kongress lauf minute quartal halbjahr "
            "kalenderwoche woche tag fc"
        ),
        ordinal_before=_words(
            "am vom zum beim im dem den der die das des jedem jeden einem einer eines ihrem seinem"
        ),
    ),
    "fr": SplitRules(
        abbreviations=_words(
            "m mm mme mmes mlle mlles dr drs pr me mgr st ste sts stes vve cie ets "
            "av bd boul fg pl r rte imp chap cf env ex hab resp c.-à-d c-à-d p.-s sq "
            "éd trad coll dir vol t j.-c apr"
        ),
        before_number=_words(
            "n no nos p pp art al fig tab chap vol t janv févr avr juil sept oct nov déc"
        ),
        after_number=_words("h m g s"),
    ),
    "es": SplitRules(
        abbreviations=_words(
            "sr sra sres sras srta srtas d dña dn dr dra dres ud uds vd vds lic lda ing arq "
            "prof gral cnel cap tte sgto mons fr sto sta sto pdte pte excmo excma ilmo ilma "
            "av avda c cía dpto dept depto ee.uu pza ctra gob admón "
            "ej p.ej aprox etc vid cf pág págs núm vol ed eds op ss a.c d.c"
        ),
        before_number=_words(
            "n no nº núm art arts cap fig p pp vol t ene feb mar abr may jun jul ago sep sept "
            "oct nov dic"
        ),
    ),
    "it": SplitRules(
        abbreviations=_words(
            "sig sigg sig.ra sig.na dott dott.ssa dr prof prof.ssa avv ing geom rag arch on "
            "sen dep mons fr padre suor s ss sant spett egr gent gent.mo ill.mo "
            "ecc es ca cfr p.es c.a c.so v.le p.za p.zza vol cap pag pagg fig sez"
        ),
        before_number=_words(
            "n nn art artt p pp pag comma c lett gen feb mar apr mag giu lug ago set sett ott "
            "nov dic"
        ),
    ),
    "pt": SplitRules(
        abbreviations=_words(
            "sr sra srs sras srta dr dra drs dras prof profa profs exmo exma exmos ilmo ilma "
            "v.exa v.sa eng arq gen cel maj cap ten sgt pe fr d dom sto sta s "
            "av r pç lda ltda cia s.a dep sen gov pres min "
            "ex p.ex aprox etc cf pág págs vol ed a.c d.c séc"
        ),
        before_number=_words(
            "n nº no nos art arts cap fig p pp vol jan fev mar abr mai jun jul ago set out nov dez"
        ),
    ),
    "nl": SplitRules(
        abbreviations=_words(
            "dhr mevr mw mej mr dr drs ir ing prof ds st sr jr "
            "bijv bv d.w.z o.a m.b.t i.p.v t.o.v n.a.v m.n a.s z.g zgn zg e.d ca evt "
            "incl excl resp vs resp i.v.m m.u.v"
        ),
        before_number=_words(
            "nr no art blz p pag hfst jan feb mrt apr jun jul aug sep sept okt nov dec"
        ),
    ),
    "ru": SplitRules(
        abbreviations=_words(
            "им ул пр просп пер пл бул наб ш обл р-н пос дер с-з св проф акад доц ген "
            "адм полк подполк капт лейт тов гр г-н г-жа тт т.е т.к т.н т.о напр см ср "
            "др.-греч лат англ нем франц букв ок"
        ),
        # Abbreviated months before a year ("5 дек. 2023 г.").
        before_number=_words(
            "№ стр ст ч гл рис табл п пп т тт д кв корп "
            "янв фев февр мар апр июн июл авг сен сент окт нояб ноя дек"
        ),
        after_number=_words("г в р"),
    ),
    "uk": SplitRules(
        abbreviations=_words(
            "ім вул просп пров пл бульв наб обл р-н смт сел проф акад доц ген полк тов гр "
            "п-ні т.зв т.б т.я напр див пор англ нім лат букв бл св"
        ),
        # Abbreviated months before a year ("5 груд. 2023 р.").
        before_number=_words(
            "№ стор ст ч гл рис табл п пп т тт буд кв корп "
            "січ лют бер квіт трав черв лип серп вер жовт лист груд"
        ),
        after_number=_words("р в м"),
    ),
    "pl": SplitRules(
        abbreviations=_words(
            "prof dr hab inż mgr lek ks bp abp kard gen płk ppłk mjr kpt por ppor sierż "
            "św pp p ob red dyr prez min wicemin tzw tj np m.in ok wg ws ul al pl os "
            "woj pow gm m gm. wsch zach płn płd im jw zob por godz dn"
        ),
        before_number=_words("nr s str art ust pkt poz rozdz t tab rys"),
        months=_POLISH_MONTHS,
        after_number=_words("r w"),
    ),
    "tr": SplitRules(
        abbreviations=_words(
            "dr prof doç av yrd op uzm müh öğr gör sn sayın bkz hz alb gen org kur yzb tğm "
            "ütğm bnb bşk cad sok mah bul apt ltd şti a.ş t.c m.ö m.s vb vs vd"
        ),
        before_number=_words("no nr s sf md"),
        months=_TURKISH_MONTHS,
        ordinal_nouns=_words(
            "dünya lig yüzyıl kat sınıf yıl ordu kolordu tümen cumhurbaşkanı köprü baskı "
            "dönem madde maddesi tur hafta"
        ),
    ),
    "ar": SplitRules(abbreviations=_words("د أ م.م ص.ب"), after_number=_words("م ه هـ ق")),
    "hi": SplitRules(abbreviations=_words("डॉ प्रो श्री श्रीमती सुश्री कु")),
}


RULES = {lang: replace(r, lang=lang) for lang, r in RULES.items()}


@lru_cache(maxsize=1024)  # asked once per sentence analysed, of a handful of tags
def code(lang: str | None) -> str | None:
    """Normalise a language tag ("de-AT", "PT_br", "zh-Hans") to its ISO 639-1 code, or None."""
    if not lang:
        return None
    base = lang.replace("_", "-").split("-")[0].strip().lower()
    return base if len(base) in (2, 3) and base.isalpha() else None


def rules(lang: str | None) -> SplitRules | None:
    """The splitting rules of `lang` (a language tag), None for English or unknown codes."""
    base = code(lang)
    return RULES.get(base) if base else None


@lru_cache(maxsize=64)
def stop_words(lang: str) -> frozenset[str]:
    """Lower-case stop words of a non-English language, from stopwords-iso (empty if none).

    stopwords-iso (github.com/stopwords-iso, MIT) collects the maintained lists of each
    language (Snowball's, Ranks NL's and others) in one package with its data inside.
    """
    # Imported here: stopwordsiso imports importlib.metadata for its version (~15 ms of every
    # start), and English, most briefings' language, needs no list from it.
    import stopwordsiso

    try:
        return frozenset(w.lower() for w in stopwordsiso.stopwords(lang))
    except Exception:  # an unknown code: stopwordsiso raises for languages it lacks
        return frozenset()


_identifier: Any = None
_loading = threading.Lock()


def _model() -> Any:
    """py3langid's identifier restricted to SUPPORTED, loaded once per process; a caller
    arriving while `warm_up`'s thread loads it waits for that load.

    The packaged model is LZMA-compressed: ~0.8-1.2 s of CPU to decompress.  The first process
    to load it keeps the arrays detection uses (the SUPPORTED languages' columns and the
    tokenizer) in the user's cache (`model_cache_path`, ~3 MB, zlib), which later processes
    read in ~0.1-0.4 s instead; the identifier is the same either way (same arrays, same order).
    """
    global _identifier
    if _identifier is None:
        with _loading:
            if _identifier is None:
                cache = model_cache_path()
                identifier = _read_cached_model(cache)
                if identifier is None:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier

                    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                    identifier.set_languages(list(SUPPORTED))
                    if cache is not None:
                        threading.Thread(
                            target=_write_cached_model,
                            args=(identifier, cache),
                            name="langid-cache",  # not a daemon: exit waits for it
                        ).start()
                _identifier = identifier
    return _identifier


def model_cache_path() -> Path | None:
    """Where the language model's restricted arrays are kept between processes (see
    `_model`): $XDG_CACHE_HOME/briefbot, else ~/.cache/briefbot; the name says which packaged
    model file (size, modification time) and which languages it was made from, so an upgraded
    py3langid or another SUPPORTED list makes a new one.  None when the packaged model or the
    user's home cannot be found (nothing is cached then)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    try:
        packaged = (MODEL_DIR / MODEL_FILE).stat()
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "briefbot")
    except (OSError, RuntimeError):  # Path.home() raises RuntimeError without a home
        return None
    languages = zlib.crc32(" ".join(SUPPORTED).encode("ascii"))
    return folder / f"langid-{packaged.st_size}-{packaged.st_mtime_ns}-{languages:08x}.npz.zlib"


def _read_cached_model(path: Path | None) -> Any:
    """The identifier kept at `path` by `_write_cached_model`, or None when there is none or
    it cannot be read (then the packaged model is loaded, and the cache written again)."""
    if path is None:
        return None
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    try:
        with np.load(io.BytesIO(zlib.decompress(path.read_bytes()))) as data:
            identifier = LanguageIdentifier(
                data["ptc"],
                data["pc"],
                data["classes"].tolist(),
                array.array("I", data["nextmove"].tobytes()),
                data["output"].tolist(),
                norm_probs=True,
                tk_row=array.array("H", data["row"].tobytes()),
            )
    except Exception:  # unreadable for whatever reason (another layout, a damaged file)
        return None
    identifier.set_languages(list(SUPPORTED))
    return identifier


def _write_cached_model(identifier: Any, path: Path) -> None:
    """Keep the arrays of `identifier` (restricted to SUPPORTED) at `path` for `_model`:
    written to a temporary file and renamed, so a reader never sees half of one.  A cache
    that cannot be written is no error: the next process decompresses the package's again."""
    import numpy as np

    arrays = {
        "ptc": identifier.nb_ptc,
        "pc": identifier.nb_pc,
        "classes": np.array(identifier.nb_classes),
        "nextmove": np.frombuffer(identifier.tk_nextmove, dtype=np.uint32),
        "row": np.frombuffer(identifier.tk_row, dtype=np.uint16),
        "output": np.array(identifier.tk_output, dtype=np.int32),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when the cache is written: ~1 ms of every start otherwise

        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(zlib.compress(buffer.getvalue(), 1))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def warm_up() -> None:
    """Start loading the language model in a background (daemon) thread, unless it is loaded
    or loading, so a long ingest does not wait ~0.8 s for it at its first non-English-looking
    text: the decompression releases the GIL and runs beside the ingest on another core.
    Never raises; a load that fails there is tried again (and raises) in `detect`."""
    if _identifier is not None or _loading.locked():
        return

    def load() -> None:
        try:
            _model()
        except Exception:  # detect loads it again and reports
            return

    threading.Thread(target=load, name="langid-warm-up", daemon=True).start()


_ENGLISH_CUES = _words(
    "the of and to in a is that for on with was said by as at from it his her be has have "
    "are were an will not this which they but their its after who been"
)
_NON_ASCII_LETTER = re.compile(r"[^\W\d_A-Za-z]")
# A text this long is enough to tell its language; longer ones are cut (detection is linear).
_DETECT_CHARS = 2000


def detect(text: str) -> str:
    """The language of `text` as one of SUPPORTED (ISO 639-1), by py3langid's model.

    py3langid (Lui & Baldwin's langid.py, BSD) ships its trained model inside the package:
    nothing is downloaded.  The model is loaded on first use (about a second).  Text whose
    letters are all ASCII is taken as English without it when English function words are at
    least 15% of its words (1% of English news articles fall below that), and whenever the
    model is less than 90% sure of another language: short English snippets must not turn
    into Dutch.  Never raises; "en" for text with no letters.
    """
    sample = text[:_DETECT_CHARS]
    latin = _NON_ASCII_LETTER.search(sample) is None
    if latin:
        tokens = sample.lower().split()
        cues = sum(map(_ENGLISH_CUES.__contains__, tokens))  # a generator costs 3x as much
        if not tokens or 100 * cues >= 15 * len(tokens):
            return "en"
    lang, probability = _model().classify(sample)
    if latin and lang != "en" and probability < 0.9:
        return "en"
    return str(lang)


# The Snowball stemmer (PyStemmer name) of each supported language that has one; Ukrainian,
# Chinese and Japanese have none.
SNOWBALL = {
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "ru": "russian",
    "pl": "polish",
    "tr": "turkish",
    "ar": "arabic",
    "hi": "hindi",
}
# A stem shorter than this is not searched as a prefix: "ma*" would find everything.
_MIN_PREFIX = 4


# The Chinese and Japanese characters that make a word unsplittable by FTS and count as half
# a word (summarizers.analysis.word_count): hiragana, katakana, CJK ideographs (extension A on).
CJK_WORD_CHARS = "\u3040-\u30ff\u3400-\u9fff"


@cache
def cjk_word_char() -> re.Pattern[str]:
    """One character of CJK_WORD_CHARS; compiled on first use (its wide class: ~1 ms)."""
    return re.compile(f"[{CJK_WORD_CHARS}]")


def is_cjk(word: str) -> bool:
    """True when `word` holds Chinese or Japanese characters (which FTS cannot split)."""
    return cjk_word_char().search(word) is not None


def search_forms(word: str, langs: Iterable[str]) -> list[str]:
    """The forms a topic word is searched as: the word itself, then the Snowball stem of it
    in each of `langs` (the store's languages, English aside) that has one, as a prefix, so
    "мосты" finds "мостом" and "Streiks" finds "Streik".  Lower-case; quotes removed.

    Case and accents are the full-text tokenizer's part (SQLite FTS5 `unicode61
    remove_diacritics 2`); English inflection its `porter` stemmer's.  A prefix form ends
    in "*".
    """
    import Stemmer

    lower = word.lower().replace('"', "")
    forms = [lower]
    for lang in sorted(set(langs)):
        name = SNOWBALL.get(lang)
        if name is None:
            continue
        stem = Stemmer.Stemmer(name).stemWord(lower)
        if len(stem) >= _MIN_PREFIX and stem != lower and f"{stem}*" not in forms:
            forms.append(f"{stem}*")
    return forms
