"""Sentences in each supported language: news-like paragraphs (written for these tests) whose
hard cases (abbreviations, ordinal dates, quotes, numbers, scripts without capitals) must split
exactly where a reader would."""

from __future__ import annotations

import pytest

from summarizers.languages import SUPPORTED, code, stop_words
from summarizers.text import split_sentences

PARAGRAPHS = {
    "en": [
        "Dr. Jane Smith of the U.S. Geological Survey said the quake struck at 3.40 a.m. Jan. 5.",
        "“Is it over?” she asked.",
        "Officials in Washington, D.C. disagreed.",
        "The agency, which has 1,200 staff, will report by No. 10 Downing St. on Friday.",
    ],
    "de": [
        "Die Spiele beginnen am 1. Juni und dauern bis zum 15. Juni.",
        "Laut Prof. Dr. Weber stieg der Umsatz um 3,5 Prozent auf 2,1 Mrd. Euro.",
        "Das betrifft z. B. Berlin, d. h. die Hauptstadt, sowie Nr. 7 der Liste.",
        "„Wir sind zufrieden“, sagte Bürgermeister Hans Müller.",
        "Im 19. Jahrhundert war die Stadt schon ein Zentrum des Handels.",
        "Der Verein feiert am 3. Oktober seinen 100. Geburtstag.",
    ],
    "fr": [
        "M. Dupont a rencontré Mme Martin le 3 mai à Paris.",
        "« Pourquoi maintenant ? » a demandé le journaliste.",
        "Le projet coûtera env. 4,5 millions d'euros, selon le Dr Lefèvre.",
        "La séance reprendra à 14 h.",
        "Les députés voteront ensuite.",
    ],
    "es": [
        "El Sr. García y la Dra. López llegaron a EE.UU. el martes.",
        "¿Qué pasará ahora?",
        "Nadie lo sabe.",
        "La empresa ganó 3,2 millones de euros, es decir, un 5 % más que en 2022.",
        "Según el art. 14 de la ley, el plazo vence el 1 de junio.",
    ],
    "it": [
        "Il sig. Rossi e il dott. Bianchi sono arrivati a Roma ieri sera.",
        "Secondo l'art. 5 del decreto, le scuole resteranno chiuse fino al 3 marzo.",
        "«Non ci arrenderemo», ha detto il sindaco.",
        "La produzione è cresciuta del 2,4 per cento.",
    ],
    "pt": [
        "O Sr. Silva e a Dra. Costa chegaram a Lisboa na terça-feira.",
        "Segundo o art. 3 da lei, o prazo termina em 15 de maio.",
        "“Vamos continuar”, disse o ministro.",
        "A inflação subiu 4,1 por cento no ano passado.",
    ],
    "nl": [
        "Volgens dhr. Jansen en prof. De Vries is de dijk veilig.",
        "Het kabinet trekt o.a. 2,5 miljard euro uit voor de zorg.",
        "„We gaan door”, zei de burgemeester.",
        "De stemming volgt op 12 maart.",
    ],
    "ru": [
        "Завод был построен в 1956 г. и закрыт через сорок лет.",
        "В 1991 г. страна изменилась.",
        "По словам проф. Иванова, рост составил 2,5 %.",
        "«Мы готовы», — заявил А. С. Петров, т. е. глава компании.",
        "Встреча прошла на ул. Ленина в Москве.",
    ],
    "uk": [
        "Міст відкрили у 2020 р. після тривалого ремонту.",
        "У 2021 р. рух знову зупинили.",
        "За словами проф. Коваленка, витрати зросли на 3,5 %.",
        "«Ми працюємо далі», — сказав мер м. Львова.",
    ],
    "pl": [
        "Most oddano do użytku w 2019 r. po dwóch latach budowy.",
        "W 2020 r. ruch wzrósł o 12 proc.",
        "Jak powiedział prof. Nowak, m.in. Kraków i Gdańsk dostaną środki.",
        "Spotkanie odbyło się przy ul. Długiej w Warszawie.",
        "– To dobra wiadomość – dodał burmistrz.",
    ],
    "tr": [
        "Prof. Dr. Ahmet Yılmaz toplantıya katıldı.",
        "1. Dünya Savaşı'nın yıl dönümünde törenler düzenlendi.",
        "Enflasyon yüzde 4,5 arttı.",
        "Toplantı 15 Mart'ta Ankara'da yapılacak.",
    ],
    "ar": [
        "قال د. أحمد إن الاجتماع سيعقد يوم الإثنين.",
        "هل ستنجح الخطة؟",
        "ارتفع الإنتاج بنسبة 3.5 في المئة خلال العام الماضي.",
        "وأضاف أن الحكومة ستعلن القرار قريبا.",
    ],
    "hi": [
        "सरकार ने सोमवार को नई योजना की घोषणा की।",
        "क्या यह योजना सफल होगी?",
        "डॉ. शर्मा ने कहा कि उत्पादन 3.5 प्रतिशत बढ़ा।",
        "बैठक अगले सप्ताह होगी।",
    ],
    "zh": [
        "国家统计局周一公布的数据显示，三季度经济增长4.9%。",
        "专家认为，这一数字好于预期！",
        "“我们会继续努力。”",
        "发言人说，明年的目标是什么？",
        "报告将于12月发布。",
    ],
    "ja": [
        "政府は月曜日、新しい経済対策を発表した。",
        "首相は「景気は回復している。」と述べた。",
        "成長率は3.5%だった！",
        "来年の予算はどうなるのか？",
        "発表は12月の予定だ。",
    ],
}


@pytest.mark.parametrize("lang", sorted(PARAGRAPHS))
def test_each_language_paragraph_splits_at_its_sentences(lang: str) -> None:
    sentences = PARAGRAPHS[lang]
    joiner = "" if lang in {"zh", "ja"} else " "
    assert split_sentences(joiner.join(sentences), lang) == sentences


def test_every_supported_language_has_a_paragraph() -> None:
    assert set(SUPPORTED) == set(PARAGRAPHS)


def test_german_ordinal_date_splits_wrong_under_english_rules_only() -> None:
    # The issue's own example: English rules see "15." as a sentence end.
    text = "Die Spiele beginnen am 1. Juni und dauern bis zum 15. Juni. Danach ist Pause."
    assert len(split_sentences(text, "de")) == 2
    assert len(split_sentences(text)) > 2


def test_scripts_split_whatever_language_is_given() -> None:
    # Script rules need no language: a mislabelled article still splits at 。 ؟ ।.
    assert split_sentences("第一句。第二句！第三句？") == ["第一句。", "第二句！", "第三句？"]
    assert split_sentences("هل هذا صحيح؟ نعم.", "en") == ["هل هذا صحيح؟", "نعم."]
    assert split_sentences("यह पहला है। यह दूसरा है।") == ["यह पहला है।", "यह दूसरा है।"]


def test_language_codes_and_stop_words() -> None:
    assert code("de-AT") == "de"
    assert code("PT_br") == "pt"
    assert code("") is None
    assert code("not a language") is None
    assert "und" in stop_words("de")
    assert "и" in stop_words("ru")
    assert stop_words("xx") == frozenset()


def test_detection_keeps_short_english_english() -> None:
    from summarizers.languages import detect

    assert detect("Budget approved. Taxes rise.") == "en"
    assert detect("") == "en"
    assert detect("Die Regierung beschloss am Montag neue Steuern für Unternehmen.") == "de"
    assert detect("国家统计局周一公布的数据显示，三季度经济增长4.9%。") == "zh"
    assert detect("قال د. أحمد إن الاجتماع سيعقد يوم الإثنين.") == "ar"


def test_terms_per_language() -> None:
    from summarizers.text import lang_terms

    # Snowball stems tie inflected forms; stop words are gone; CJK gives character bigrams.
    assert lang_terms("Die Streiks", "de") == lang_terms("der Streik", "de") == ["streik"]
    assert lang_terms("мостом", "ru") == lang_terms("мосты", "ru")
    assert lang_terms("长江大桥", "zh") == ["长江", "江大", "大桥"]
    assert lang_terms("The bridges", None) == lang_terms("the bridge", "en")


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "Снегопад начался 5 дек. 2023 г. Город встал."),
        ("ru", "Договор подписали 12 янв. 1992 г. в Минске. Он действует."),
        ("uk", "Зустріч відбулася 5 груд. 2023 р. Усі прийшли."),
    ],
)
def test_abbreviated_month_before_a_year_is_not_a_sentence_end(lang: str, text: str) -> None:
    from summarizers.text import split_sentences

    assert len(split_sentences(text, lang)) == 2
