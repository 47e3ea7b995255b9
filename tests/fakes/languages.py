"""Short news articles in German, Russian, Arabic and Chinese, written for these tests: three
stories a language, each article a headline line and sentences with the language's hard cases
(abbreviations, ordinal dates, numbers, quotes, scripts without capitals or spaces)."""

from __future__ import annotations

# lang -> [(headline, [sentences])]
ARTICLES: dict[str, list[tuple[str, list[str]]]] = {
    "de": [
        (
            "Hafen Hamburg meldet Rekordumschlag",
            [
                "Der Hamburger Hafen hat im 3. Quartal 2,4 Mio. Container umgeschlagen.",
                "Die Bauarbeiten am neuen Terminal beginnen am 1. Juni und dauern bis zum "
                "15. Juli.",
                "„Wir sind sehr zufrieden“, sagte Hafenchef Dr. Klaus Weber am Dienstag.",
                "Die Reedereien erwarten für das kommende Jahr ein Wachstum von rund 3 Prozent.",
            ],
        ),
        (
            "Bahnstreik legt Fernverkehr lahm",
            [
                "Ein Streik der Lokführer hat am Montag den Fernverkehr der Bahn weitgehend "
                "lahmgelegt.",
                "Betroffen waren u. a. die Strecken zwischen Berlin, München und Köln.",
                "Die Gewerkschaft fordert z. B. eine kürzere Arbeitszeit und mehr Lohn.",
                "Die nächste Verhandlungsrunde ist für den 12. März angesetzt.",
            ],
        ),
        (
            "Hochwasser in Sachsen",
            [
                "Nach tagelangem Regen ist die Elbe in Dresden über 6 Meter gestiegen.",
                "Die Feuerwehr evakuierte in der Nacht mehrere Straßen in der Altstadt.",
                "Laut Prof. Anna Schulz von der TU Dresden ist der Höchststand noch nicht "
                "erreicht.",
                "Der Landkreis hat den Katastrophenfall ausgerufen.",
            ],
        ),
    ],
    "ru": [
        (
            "В Казани открыли новый мост",
            [
                "В Казани в понедельник открыли новый мост через реку Казанку.",
                "Строительство началось в 2021 г. и обошлось в 12 млрд рублей.",
                "«Мост сократит путь в центр на двадцать минут», — заявил мэр города "
                "И. П. Смирнов.",
                "По мосту уже проехали первые автобусы.",
            ],
        ),
        (
            "Урожай пшеницы вырос",
            [
                "Урожай пшеницы в этом году вырос на 8 %, сообщило министерство сельского "
                "хозяйства.",
                "Больше всего зерна собрали в Ростовской обл. и Краснодарском крае.",
                "По словам проф. Кузнецова, причиной стала тёплая и влажная весна.",
                "Экспорт зерна, т. е. продажи за рубеж, также должен вырасти.",
            ],
        ),
        (
            "Землетрясение на Камчатке",
            [
                "На Камчатке произошло землетрясение магнитудой 6,1.",
                "Толчки ощущались в Петропавловске-Камчатском, но разрушений нет.",
                "Угроза цунами, по данным спасателей, не возникла.",
                "Последнее сильное землетрясение в регионе было в 2016 г.",
                "Тогда пострадавших не было.",
            ],
        ),
    ],
    "ar": [
        (
            "افتتاح محطة جديدة للطاقة الشمسية",
            [
                "افتتحت الحكومة يوم الثلاثاء محطة جديدة للطاقة الشمسية في جنوب البلاد.",
                "وقال وزير الطاقة د. خالد منصور إن المحطة ستنتج 500 ميغاواط.",
                "هل تكفي المحطة لتلبية الطلب المتزايد؟",
                "ويتوقع الخبراء أن تخفض المحطة فاتورة الوقود بنسبة 10 في المئة.",
            ],
        ),
        (
            "ارتفاع أسعار القمح",
            [
                "ارتفعت أسعار القمح في الأسواق المحلية للأسبوع الثالث على التوالي.",
                "وأرجع التجار الارتفاع إلى تراجع الواردات وزيادة تكاليف النقل.",
                "وأعلنت وزارة التجارة أنها ستطرح كميات إضافية من المخزون.",
            ],
        ),
        (
            "فوز المنتخب الوطني",
            [
                "فاز المنتخب الوطني لكرة القدم على منافسه بهدفين مقابل هدف.",
                "وسجل المهاجم هدف الفوز في الدقيقة 88 من المباراة.",
                "ويلعب المنتخب مباراته القادمة يوم الجمعة في العاصمة.",
            ],
        ),
    ],
    "zh": [
        (
            "长江大桥通车",
            [
                "连接两岸的长江大桥周一正式通车。",
                "大桥全长4.6公里，总投资约120亿元。",
                "市长在通车仪式上说：“大桥将把通勤时间缩短一半。”",
                "首批车辆于上午9时驶上大桥！",
            ],
        ),
        (
            "夏粮再获丰收",
            [
                "国家统计局公布的数据显示，今年夏粮产量比去年增长2.1%。",
                "专家认为，适宜的天气和新品种的推广是增产的主要原因。",
                "农业部门表示，将继续加强农田水利建设。",
            ],
        ),
        (
            "台风登陆广东",
            [
                "今年第5号台风周三凌晨在广东沿海登陆。",
                "当地已紧急转移群众三万多人。",
                "气象台提醒，未来两天仍有强降雨，市民外出要注意安全？",
            ],
        ),
    ],
}


def article_text(headline: str, sentences: list[str]) -> str:
    """A .txt article: headline line, blank line, the sentences as one paragraph (no spaces
    between Chinese ones, as Chinese is written)."""
    joiner = "" if any("\u4e00" <= c <= "\u9fff" for c in headline) else " "
    return f"{headline}\n\n{joiner.join(sentences)}\n"
