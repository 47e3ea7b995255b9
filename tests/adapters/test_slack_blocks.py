"""The Block Kit renderer, offline: Slack's limits, escaping, links and the text fallback."""

from __future__ import annotations

import json

from fakes.briefings import WHEN, make_briefing, make_bullet

from adapters.slack.blocks import (
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_MAX,
    TEXT_BUDGET,
    articles_message,
    briefing_message,
    escape,
    literal,
    notice_literal,
    render,
    shorten,
    source_link,
)
from bot.commands import ArticlesReply, ErrorReply, HelpReply, NoticeReply, SourcesReply
from bot.models import Article, Bullet, Source


def block_text_chars(blocks: list[dict]) -> int:
    total = 0
    for block in blocks:
        if "text" in block:
            total += len(block["text"]["text"])
        total += sum(len(e.get("text", "")) for e in block.get("elements", ()))
    return total


def test_each_bullet_is_a_section_with_its_sources_as_links_in_a_context_line() -> None:
    message = briefing_message(make_briefing([make_bullet(1), make_bullet(2, sources=1)]))
    blocks = message["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Briefing: ukraine", "emoji": True},
    }
    sections = [b for b in blocks if b["type"] == "section"]
    assert [s["text"]["text"].split()[:2] for s in sections] == [["•", "w1x0"], ["•", "w2x0"]]
    contexts = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert "Sources: <https://news.test/1/0|Report 1.0> · <https://news.test/1/1|Report 1.1>" in (
        contexts
    )
    assert "Source: <https://news.test/2/0|Report 2.0>" in contexts
    assert message["text"].startswith("Briefing: ukraine")


def test_sixty_bullets_are_cut_at_a_bullet_boundary_within_every_limit() -> None:
    bullets = [make_bullet(i, words=40, sources=3) for i in range(60)]
    message = briefing_message(make_briefing(bullets))
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert block_text_chars(blocks) <= TEXT_BUDGET < 12_000
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    shown = len(sections)
    assert 0 < shown < 60
    # Whole bullets only, in order.
    assert sections == ["• " + escape(b.text) for b in bullets[:shown]]
    note = blocks[-1]["elements"][0]["text"]
    assert f"{60 - shown} more bullets left out" in note
    assert len(json.dumps(message)) < 40_000
    assert message["text"]


def test_long_bullets_use_the_character_budget_before_the_block_count() -> None:
    bullets = [make_bullet(i, words=300, sources=1) for i in range(20)]  # ~3,000 chars each
    blocks = briefing_message(make_briefing(bullets))["blocks"]
    assert block_text_chars(blocks) <= TEXT_BUDGET
    assert all(len(b["text"]["text"]) <= SECTION_MAX for b in blocks if b["type"] == "section")
    assert "left out" in blocks[-1]["elements"][0]["text"]


def test_an_overlong_sentence_is_cut_at_a_word_not_mid_word() -> None:
    text = "alpha " * 1200  # 7,200 characters
    blocks = briefing_message(make_briefing([Bullet(text.strip(), ())]))["blocks"]
    section = next(b for b in blocks if b["type"] == "section")["text"]["text"]
    assert len(section) <= SECTION_MAX
    assert section.endswith("alpha…")


def test_header_is_at_most_150_characters() -> None:
    blocks = briefing_message(make_briefing([make_bullet(1)], title="T" * 80 + " " + "x" * 200))[
        "blocks"
    ]
    assert len(blocks[0]["text"]["text"]) <= HEADER_MAX


def test_mrkdwn_control_characters_are_escaped_everywhere() -> None:
    risky = Bullet(
        "Profits <rose> & fell <!channel>.",
        (Source(1, "A|B <c> & d", "https://x.test/a?b=1&c=<2>|3"),),
    )
    message = briefing_message(make_briefing([risky]))
    dumped = json.dumps(message["blocks"])
    assert "<!channel>" not in dumped
    assert "&lt;rose&gt; &amp; fell &lt;!channel&gt;" in dumped
    link = source_link(risky.sources[0])
    assert link.startswith("<https://x.test/a?b=1&c=%3C2%3E%7C3|")
    assert link.count("|") == 1 and link.count("<") == 1 and link.count(">") == 1


def test_escaping_never_pushes_a_section_over_the_limit() -> None:
    text = "& " * 2000  # escapes to five times its length
    blocks = briefing_message(make_briefing([Bullet(text, ())]))["blocks"]
    section = next(b for b in blocks if b["type"] == "section")["text"]["text"]
    assert len(section) <= SECTION_MAX
    assert "&am…" not in section and not section.rstrip("…").endswith("&amp")


def test_sources_without_a_url_are_named_and_many_sources_are_counted() -> None:
    many = Bullet(
        "Talks resumed.", tuple(Source(i, f"Outlet report {i}" * 10, None) for i in range(40))
    )
    context = briefing_message(make_briefing([many]))["blocks"][3]["elements"][0]["text"]
    assert context.startswith("Sources: _Outlet report 0")
    assert len(context) <= 2000
    assert context.endswith("more")


def test_other_replies_render_with_a_fallback_text() -> None:
    article = Article(
        id=7,
        title="Harbour reopens",
        text="…",
        source="Test Herald",
        url="https://news.test/h",
        published_at=WHEN,
        ingested_at=WHEN,
        content_hash="h",
    )
    listing = articles_message(ArticlesReply((article,), None, 1))
    assert "`7` <https://news.test/h|Harbour reopens>" in json.dumps(listing["blocks"])
    assert render(HelpReply("brief [topic]"))["text"]
    error = render(ErrorReply("No stored article has id 99999."))
    assert error["text"] == "No stored article has id 99999."
    assert "99999" in error["blocks"][0]["text"]["text"]


def test_shorten_keeps_short_text_and_marks_cuts() -> None:
    assert shorten("short text", 50) == "short text"
    assert shorten("one two three four five", 12) == "one two…"


def test_an_error_full_of_markup_stays_under_the_section_limit() -> None:
    error = render(ErrorReply("<" * 2990))
    assert len(error["blocks"][0]["text"]["text"]) <= SECTION_MAX


# -- nothing pings anyone ------------------------------------------------------------------

HOSTILE = (
    "<!channel> <!here> <!everyone> <@U0VICTIM> <#C0SECRET> <!subteam^S0T|@team> "
    "<https://evil.test/x|click> *bold* _it_ ~gone~ `code`"
)


def mrkdwn_texts(message: dict) -> list[str]:
    found = [message["text"]]
    for block in message["blocks"]:
        parts = [block.get("text"), *block.get("elements", ())]
        found += [p["text"] for p in parts if p and p["type"] == "mrkdwn"]
    return found


def test_article_markup_is_inert_in_the_blocks_and_the_notification_text() -> None:
    bullet = Bullet(f"Said {HOSTILE} today.", (Source(1, f"Report {HOSTILE}", "https://a.test/1"),))
    message = briefing_message(make_briefing([bullet], title=f"Summary: {HOSTILE}"))
    texts = mrkdwn_texts(message)
    for text in texts:
        assert "<!" not in text and "<@" not in text and "<#" not in text
        assert "<https://evil" not in text
        for marker in ("*bold*", "_it_", "~gone~", "`code`"):
            assert marker not in text
    assert "&lt;!channel&gt; &lt;!here&gt;" in message["text"]  # notifications: escaped too
    assert "∗bold∗ ˍitˍ ∼gone∼ ˋcodeˋ" in texts[2]  # look-alikes: shown, never formatted
    header = message["blocks"][0]["text"]
    assert header["type"] == "plain_text" and "<!" not in header["text"]
    assert header["text"].replace("\u200b", "") == f"Summary: {HOSTILE}"
    assert all(b["text"]["verbatim"] for b in message["blocks"] if b["type"] == "section")


def test_markers_inside_words_stay_and_a_leading_quote_does_not_quote() -> None:
    assert literal("America/New_York a*b*c") == "America/New_York a*b*c"
    assert literal("> not a quote") == "\u00ad&gt; not a quote"
    assert notice_literal("use `feeds list` for *all*") == "use `feeds list` for ∗all∗"


def test_a_notice_mentions_only_its_doer_and_escapes_the_rest() -> None:
    reply = NoticeReply(f"added feed #1 ({HOSTILE}): 2 articles stored.", by="U0ASKER")
    message = render(reply)
    for text in mrkdwn_texts(message):
        assert text.startswith("<@U0ASKER> added feed #1 (&lt;!channel&gt;")
        assert text.count("<") == 1
    # Anything but a Slack user id is shown as text, never as markup.
    assert render(NoticeReply("did it", by="<!channel>"))["text"] == "&lt;!channel&gt; did it"


def test_errors_quoting_user_input_are_escaped() -> None:
    error = render(ErrorReply(f"No stored articles about '{HOSTILE}'."))
    for text in mrkdwn_texts(error):
        assert "<!" not in text and "<@" not in text and "*bold*" not in text


def _story_bullet() -> Bullet:
    return Bullet(
        "Talks *resumed* on Monday.",
        (Source(1, "Talks resume", "https://a.test/1", evidence="Talks *resumed* on Monday."),),
        coverage=(Source(2, "Peace <b>push</b> & more", "https://b.test/2"),),
        story="Ukraine *peace* talks",
    )


def test_a_story_line_coverage_and_evidence_links_are_shown_escaped() -> None:
    blocks = briefing_message(make_briefing([_story_bullet()]))["blocks"]
    dumped = json.dumps(blocks, ensure_ascii=False)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0].startswith("*Ukraine ") and "*peace*" not in sections[0]
    context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert any(c.startswith("Source: <https://a.test/1#:~:text=Talks%20") for c in context)
    [covered] = [c for c in context if c.startswith("Also covered by:")]
    assert "&lt;b&gt;" in covered and "&amp;" in covered and "<https://b.test/2|" in covered
    assert "<b>" not in dumped


def test_the_sources_button_lists_coverage_apart_from_the_sources_that_state_the_bullet() -> None:
    message = render(SourcesReply("Briefing: ukraine", (_story_bullet(),)))
    [section] = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    stated = [line for line in section.splitlines() if line.startswith("↳ ")]
    assert len(stated) == 1 and "https://a.test/1" in stated[0]  # only the one stating it
    assert "Also covered by: <https://b.test/2|Peace &lt;b&gt;push&lt;/b&gt; &amp; more>" in section
