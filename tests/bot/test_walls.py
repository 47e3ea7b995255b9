"""Walls, error pages and section fronts are told from articles, by kind, not by string."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import STORIES, Story, story_html
from fakes import walls as pages

from bot.cleaning import parse_plain
from bot.walls import REASONS, cohesion, page_reason, trim_walls, wall_reason

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / ".." / "shared" / "eval"


def text_of(story: Story) -> str:
    return "\n".join((story.title, *story.paragraphs))


@pytest.mark.parametrize(
    "title, text, kind",
    [
        (
            "Your privacy",
            "Your privacy matters to us\n"
            "We and our advertising partners use cookies and similar technologies on your "
            "device to personalise content and measure ads.\n"
            "Click Accept to agree, or manage your preferences to choose which cookies we set.\n"
            "Accept\nManage preferences",
            "consent",
        ),
        (
            "Ferry fares rise",
            "Ferry fares rise\nTicket prices go up by a tenth in autumn.\n"
            "This story is for members only\n"
            "Join today: become a subscriber and get unlimited access to every story for less "
            "than a coffee a week.\nAlready subscribed? Log in to continue reading.",
            "paywall",
        ),
        (
            "Loading",
            "JavaScript is disabled\n"
            "Please turn on JavaScript in your browser to use this site.\n"
            "If you use an ad blocker, allow our site in your ad blocker settings.",
            "browser",
        ),
        (
            "Sorry!",
            "We can't find that page\n"
            "The link you followed may be broken, or the page may have been removed.\n"
            "Go back to the homepage or try a search.",
            "error",
        ),
    ],
)
def test_each_kind_of_wall_is_named(title: str, text: str, kind: str) -> None:
    assert wall_reason(title, text) == REASONS[kind]


def test_an_error_title_over_almost_no_text_is_an_error_page() -> None:
    assert wall_reason("404 – Harbour Times", "Lost at sea") == REASONS["error"]
    assert wall_reason("Page not found", "") == REASONS["error"]


def test_a_headline_with_a_number_like_a_status_is_not_an_error() -> None:
    short_brief = "The plant will close in June, the company said, and 404 staff will lose work."
    assert wall_reason("404 jobs to go at paper mill", short_brief) is None
    assert wall_reason("Council spends $1,404 on signs", short_brief) is None


@pytest.mark.parametrize(
    "story", [pages.COOKIE_STORY, pages.PAYWALL_STORY, *STORIES], ids=lambda s: s.title[:30]
)
def test_news_about_cookies_and_paywalls_is_an_article(story: Story) -> None:
    assert wall_reason(story.title, text_of(story)) is None
    assert trim_walls(text_of(story)) == text_of(story)


def test_the_seed_articles_are_articles() -> None:
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    assert seeds
    for path in seeds:
        parsed = parse_plain(path.read_text(encoding="utf-8"))
        assert wall_reason(parsed.title, parsed.body) is None, path.name


def test_no_article_of_the_evaluation_sets_is_taken_for_a_wall() -> None:
    files = sorted(EVAL.glob("*.jsonl")) if EVAL.is_dir() else []
    if not files:
        pytest.skip(f"the shared evaluation sets are not at {EVAL}")
    checked = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            for doc in record.get("documents") or [record]:
                text = doc.get("text") or ""
                assert wall_reason(doc.get("title") or "", text) is None, doc.get("title")
                assert trim_walls(text) == "\n".join(t for t in text.splitlines() if t.strip())
                checked += 1
    assert checked > 100


def test_banners_and_pitches_around_an_article_are_trimmed() -> None:
    story = text_of(pages.PAYWALL_STORY)
    banner = "We use cookies to personalise ads; click Accept all to consent to their use."
    wrapped = "\n".join((banner, story, *pages.NEWSLETTER_PITCH))
    assert wall_reason(pages.PAYWALL_STORY.title, wrapped) is None
    assert trim_walls(wrapped) == story


def test_a_quoted_banner_inside_a_story_stays() -> None:
    story = text_of(pages.COOKIE_STORY)
    assert "You can accept all cookies" in trim_walls(story)


@pytest.mark.parametrize(
    "builder, kind",
    [
        (pages.section_front, "front"),
        (pages.headline_list, "front"),
        (pages.javascript_page, "browser"),
        (pages.error_page_by_title, "error"),
    ],
)
def test_page_structure_gives_the_kind(builder, kind: str) -> None:
    assert page_reason(builder(), "") == REASONS[kind]


@pytest.mark.parametrize(
    "html",
    [
        story_html(STORIES[0]),
        pages.article_with_related_links(STORIES[1]),
        story_html(pages.COOKIE_STORY),
    ],
)
def test_article_pages_are_not_section_fronts(html: str) -> None:
    assert page_reason(html, "a long text " * 40) is None


def test_teasers_share_few_words_and_articles_many() -> None:
    teasers = [standfirst for _, standfirst in pages.TEASERS]
    assert cohesion(teasers) < 0.15
    for story in STORIES:
        assert cohesion(list(story.paragraphs)) > 0.15, story.title


def test_broken_markup_is_no_reason() -> None:
    assert page_reason(b"\x00\x01<<<", "") is None
    assert page_reason("", "") is None


@pytest.mark.parametrize(
    "text, kind",
    [
        (
            "This site uses cookies. By continuing to browse the site, you are agreeing to our "
            "use of cookies. Find out more.\nOK",
            "consent",
        ),
        (
            "Ferry fares to rise\nOperator blames fuel costs.\nSubscribe to unlock this article\n"
            "Try unlimited access. Only $1 for 4 weeks.\nCancel anytime during your trial.",
            "paywall",
        ),
        (
            "Checking your browser before accessing the site\nThis process is automatic. Your "
            "browser will redirect to your requested content shortly.",
            "browser",
        ),
        (
            "Something went wrong\nWe're having trouble loading this page. Please try again.",
            "error",
        ),
    ],
)
def test_a_terse_wall_is_known_by_its_words_and_its_tone(text: str, kind: str) -> None:
    assert wall_reason("Harbour Times", text) == REASONS[kind]


def test_a_short_news_brief_about_cookies_is_not_a_wall() -> None:
    brief = (
        "The regulator fined a retailer four million euros on Tuesday over cookie banners that "
        "made refusing consent harder than giving it. The retailer said it would appeal."
    )
    assert wall_reason("Retailer fined over cookie banners", brief) is None


@pytest.mark.parametrize(
    "title, text",
    [
        # Soft 404s say it in other words: a verb between "can't" and "find", a page that
        # "may have moved", the way back to the front page.
        (
            "Oh no",
            "We can't seem to find the page you're looking for.\n"
            "Try searching our archive or go to the front page.",
        ),
        (
            "Nothing here",
            "Nothing here\n"
            "The story you wanted may have moved. Head back to the homepage for the latest news.",
        ),
        (
            "Lost?",
            "Sorry, we were unable to locate that article.\nIt might have been deleted or renamed.",
        ),
    ],
)
def test_soft_error_pages_in_other_words_are_error_pages(title: str, text: str) -> None:
    assert wall_reason(title, text) == REASONS["error"]


def test_a_short_news_brief_about_a_missing_page_is_not_an_error_page() -> None:
    brief = (
        "The city council said on Monday it could not find the original 1920 plans for the "
        "harbour wall, which may have moved to the national archive decades ago."
    )
    assert wall_reason("Harbour plans missing", brief) is None


@pytest.mark.parametrize(
    "text, kind",
    [
        # Typographic apostrophes, as CMSs write them, read like straight ones.
        (
            "Sorry\nWe can\u2019t find the page you\u2019re looking for. Try a search instead.",
            "error",
        ),
        (
            "This article is no longer available\n"
            "The content you requested has expired or been withdrawn.",
            "error",
        ),
        (
            "Tax plan unveiled\nThe finance minister unveiled a new tax plan on Monday.\n"
            "To read this article, you need a digital subscription.\nChoose your plan",
            "paywall",
        ),
        (
            "Please wait while we verify you are not a robot\nThis may take a few seconds.",
            "browser",
        ),
    ],
)
def test_walls_in_other_words_are_known(text: str, kind: str) -> None:
    assert wall_reason("Velden Daily", text) == REASONS[kind]


def test_a_noscript_notice_that_says_js_is_a_browser_check() -> None:
    html = (
        "<html><head><title>Velden Daily</title></head><body><noscript><div>Activate JS to "
        "view this site.</div></noscript><div id='app'></div></body></html>"
    )
    assert page_reason(html, "Activate JS to view this site.") == REASONS["browser"]


@pytest.mark.parametrize(
    "heading",
    ["Oops! That page can’t be found.", "Sorry, this story could not be found", "Page not found"],
)
def test_a_soft_404_known_only_by_its_heading_is_an_error_page(heading: str) -> None:
    html = (
        "<html><head><title>Harbour Times</title></head><body><main>"
        f"<h1>{heading}</h1><p>Maybe try a search?</p></main></body></html>"
    )
    assert page_reason(html, "Maybe try a search?") == REASONS["error"]


def test_a_short_story_whose_heading_reports_a_search_is_not_an_error_page() -> None:
    html = (
        "<html><head><title>Harbour Times</title></head><body><main>"
        "<h1>Missing hiker could not be found, police say</h1><p>The search goes on.</p>"
        "</main></body></html>"
    )
    assert page_reason(html, "The search goes on.") is None
