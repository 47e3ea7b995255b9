"""Pages that are not articles (walls, error pages, section fronts), and articles about walls.

All content is invented.  Each builder returns a whole HTML page as a site would serve it.
"""

from __future__ import annotations

from html import escape

from . import Story


def _page(title: str, body: str, *, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f'</title><meta property="og:site_name" content="Harbour Times">{head}</head>'
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>{body}"
        "<footer><p>Copyright Harbour Times.</p></footer></body></html>"
    )


def consent_wall() -> str:
    """A 'before you continue' consent interstitial."""
    return _page(
        "Before you continue",
        '<div class="consent"><h1>Before you continue to Harbour Times</h1>'
        "<p>We use cookies and data to deliver our services, measure audience engagement "
        "and show you personalised ads and content.</p>"
        "<p>If you choose to reject all, we will not use cookies for these additional "
        "purposes, and you can change your privacy settings whenever you like.</p>"
        "<p>Select more options to see details about how our partners use your data and "
        "how to withdraw your consent.</p>"
        "<button>Reject all</button><button>Accept all</button><button>More options</button>"
        "</div>",
    )


def paywall_stub() -> str:
    """A headline, a standfirst and a metered-access pitch."""
    return _page(
        "Dock workers agree new pay deal | Harbour Times",
        "<article><h1>Dock workers agree new pay deal</h1>"
        "<p><strong>Union members backed the offer by a wide margin.</strong></p>"
        '<section class="meter"><h2>You have read all your free articles this month</h2>'
        "<p>To keep reading, become a member from two dollars a month and get unlimited "
        "access on every device.</p>"
        "<p>Already a member? Sign in to your account to continue reading.</p>"
        "<p>Members support our journalism and can cancel at any time online.</p>"
        "<a href='/join'>Subscribe now</a></section></article>",
    )


def javascript_page() -> str:
    """A single-page app shell whose only text is a <noscript> notice."""
    return _page(
        "Harbour Times",
        '<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>'
        "<script>window.boot()</script>",
    )


def javascript_notice() -> str:
    """A page whose visible text asks for JavaScript and a supported browser."""
    return _page(
        "Harbour Times",
        "<main><p>Please enable JavaScript in your browser settings and reload this page.</p>"
        "<p>Your browser is not supported. Please update your browser or use another browser "
        "to read our site.</p></main>",
    )


def error_page() -> str:
    """A 'not found' page served with status 200."""
    return _page(
        "Page not found – Harbour Times",
        "<main><h1>Oops! That page can’t be found.</h1>"
        "<p>Sorry, we couldn’t find the page you were looking for.</p>"
        "<p>It may have been moved or deleted. Try a search, or go back to our homepage.</p>"
        "</main>",
    )


def error_page_by_title() -> str:
    """A bare error page: the title says 404, the body has almost nothing."""
    return _page("404 | Harbour Times", "<main><h1>Lost at sea</h1><p>Nothing here.</p></main>")


TEASERS = (
    ("Council approves new harbour budget after long debate",
     "The budget includes money for dredging the channel and new lights on the pier."),
    ("Local football club signs striker from rival town",
     "The twenty-year-old forward joins on a three-year contract, the club said."),
    ("Storms expected across the coast this weekend",
     "Forecasters warn of gusts up to ninety kilometres an hour on Saturday night."),
    ("School choir wins regional music competition",
     "Pupils from Hillside Primary beat twelve other schools with a folk medley."),
    ("Bakery celebrates fifty years on the high street",
     "The family business opened in 1975 and still uses the original ovens."),
    ("Police appeal for witnesses after bicycle thefts",
     "Six bicycles were taken from the station racks over two nights last week."),
)  # fmt: skip


def section_front() -> str:
    """A section page: teasers (headline link and standfirst) to unrelated stories."""
    cards = "".join(
        f'<div class="card"><h2><a href="/news/{i}">{escape(t)}</a></h2><p>{escape(s)}</p></div>'
        for i, (t, s) in enumerate(TEASERS)
    )
    return _page("Local news | Harbour Times", f"<main><h1>Local news</h1>{cards}</main>")


def headline_list() -> str:
    """A section page that is nothing but a list of headline links."""
    items = "".join(
        f'<li><a href="/news/{i}">{escape(t)}</a></li>'
        for i, (t, _) in enumerate(TEASERS + TEASERS[:3])
    )
    return _page("Latest | Harbour Times", f"<main><h1>Latest</h1><ul>{items}</ul></main>")


# -- articles about the same subjects, which must be stored ---------------------------------

COOKIE_STORY = Story(
    "Regulator fines retailer over cookie consent banners",
    (
        "The national data protection regulator fined the online retailer Marlow Goods "
        "four million euros on Tuesday over cookie banners that made refusing tracking harder "
        "than accepting it.",
        "Investigators found that the retailer's consent pop-up offered an Accept all button "
        "on its first screen but hid the option to reject advertising cookies two menus deep.",
        "The banner told visitors: “You can accept all cookies or manage your choices at any "
        "time.” The regulator said that wording nudged shoppers towards consent.",
        "Under European privacy law, consent to tracking must be as easy to refuse as to give, "
        "and personal data may not be shared with advertising partners without it.",
        "Marlow Goods said it disagreed with the decision and would appeal, adding that it had "
        "already redesigned the banner and now shows a reject button beside the accept button.",
        "Consumer groups welcomed the fine and said dozens of other retailers still use "
        "similar designs, which they call dark patterns.",
        "The regulator said it would review the cookie banners of the country's fifty largest "
        "shopping sites before the end of the year.",
    ),
)

PAYWALL_STORY = Story(
    "Harbour Times puts local news behind a paywall",
    (
        "The Harbour Times will ask readers to subscribe from next month, becoming the last "
        "daily newspaper in the region to put its website behind a paywall.",
        "Readers will get five free articles a month before being asked to buy a subscription, "
        "which will cost six dollars a month, the paper's owner said on Monday.",
        "Editor Grace Mbeki said advertising no longer paid for the newsroom and that "
        "subscriptions were the only way to keep reporters covering the council and courts.",
        "The paper has lost a third of its advertising income since 2020, according to its "
        "annual report, and cut twelve newsroom jobs last year.",
        "Media analysts said regional papers that introduced paywalls had kept more staff "
        "than those that stayed free, although subscriber numbers grew slowly at first.",
        "Some readers said they would cancel their print subscriptions in protest, while "
        "others said they were happy to pay for local journalism.",
        "The Harbour Times said schools and public libraries would keep free access to every "
        "article.",
    ),
)

NEWSLETTER_PITCH = (
    "Sign up to our morning newsletter and we will send you the day's top stories.",
    "Subscribe today for unlimited access to our journalism; you can cancel at any time.",
)


def article_with_related_links(story: Story) -> str:
    """An article page with a list of related headline links inside the article."""
    body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    related = "".join(
        f'<li><a href="/news/{i}">{escape(t)}</a></li>' for i, (t, _) in enumerate(TEASERS)
    )
    return _page(
        f"{story.title} | Harbour Times",
        f"<article><h1>{escape(story.title)}</h1>{body}<h2>Related</h2><ul>{related}</ul>"
        "</article>",
    )


def article_with_pitch(story: Story) -> str:
    """An article page ending in a newsletter and subscription pitch."""
    body = "".join(f"<p>{escape(p)}</p>" for p in (*story.paragraphs, *NEWSLETTER_PITCH))
    return _page(
        f"{story.title} | Harbour Times", f"<article><h1>{escape(story.title)}</h1>{body}</article>"
    )
