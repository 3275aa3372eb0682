"""Belarus, Ministry of Foreign Affairs, English (mfa.gov.by/en/): statements and speeches.

Read off the pages in ../shared/corpus/raw/mfa-by (browser-saved copies of four statement pages, 2019–2022, and of
the "Statements & Speeches" listing; their URLs are inferred, see raw/SOURCES.tsv):

- Pages in windows-1251, declared by `<meta charset>`.
- Listing `/en/press/statements/`: `div.tabs__item a.tabs-content__item` links, the title in
  `h2.tabs-content__head`, an empty `span.date`; the saved copy shows no pager, so one page is walked. Statement
  URLs end in a 16-hex-digit name (`/en/press/statements/b7b71aff55bfca76.html`).
- Statement: `section.content-page` holds the breadcrumb (`nav.bread-crumbs`: "Home / Press Service /
  Statements & Speeches /"), an empty submenu, the title (`h1`) and the paragraphs; no date element. The date is
  in the title ("… Central European Initiative (May 15, 2020)", "(Bratislava, December 5, 2019)") or in a
  closing line ("December 6, 2021", "December 6, 2021, Minsk"); statement f179725988c80350 gives none and is
  stored with no date.
"""

from __future__ import annotations

import re

from crawler.sites.base import ENGLISH_MONTH_RE, ENGLISH_MONTHS, Listing, Section, Site, Template

BASE = "https://mfa.gov.by/en"

TEMPLATE_2020 = Template(
    name="mfa-by-2020",
    effective="2019-12-05",
    marker="section.content-page",
    title=("section.content-page > h1", "h1"),
    body="section.content-page",
    breadcrumb="nav.bread-crumbs",
    remove=("nav", "link", "section.content-page > h1"),
)

SITE = Site(
    name="mfa_by_en",
    office="Ministry of Foreign Affairs of the Republic of Belarus",
    language="en",
    timezone="Europe/Minsk",
    allowed_domains=("mfa.gov.by",),
    canonical_hosts={"mfa.gov.by": "mfa.gov.by", "www.mfa.gov.by": "mfa.gov.by"},
    sections=(Section("statements", f"{BASE}/press/statements/"),),
    listing=Listing(entry="div.tabs__item a[href]", statement_url=re.compile(r"/[0-9a-f]{16}\.html$")),
    templates=(TEMPLATE_2020,),
    title_dates=(
        re.compile(
            r"\((?:[^()]*,\s*)?" + ENGLISH_MONTH_RE + r"\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})\)\s*$",
        ),
    ),
    closing_dates=(
        re.compile(r"^" + ENGLISH_MONTH_RE + r"\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})(?:,\s*[A-Z][a-z]+)?$"),
    ),
    month_names=ENGLISH_MONTHS,
    speaker_patterns=(
        # "Statement by Minister of Foreign Affairs of the Republic of Belarus, V.Makei, at …", "…, Vladimir
        # Makei, at …".
        re.compile(
            r"\bMinister of Foreign Affairs of the Republic of Belarus,?\s+"
            r"(?P<name>[A-Z](?:\.\s?|[a-z]+ )[A-Z][a-z]+)(?=,| at\b| on\b|$)"
        ),
    ),
    kind_rules=((re.compile(r"\bat the\b|\bat a\b|\bSpeech\b|\bAddress\b"), "speech"),),
    default_kind="statement",
)
"""Spider `mfa_by_en`: Belarus's Ministry of Foreign Affairs, English."""
