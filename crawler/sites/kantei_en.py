"""Japan, Prime Minister's Office, English (japan.kantei.go.jp): speeches and statements by the Prime Minister.

Read off the pages in ../shared/corpus/raw/kantei-en (the December 2021 listing and 11 of its 14 statements):

- Listings are monthly: `/101_kishida/statement/202112/index.html`, one per month and administration
  (`101_kishida`, `102_ishiba`, `103`), each entry a `ul.news-list li` with the link (`div.news-list-title a`)
  and the date (`div.news-list-date`, "December 22, 2021"). A month's page lists every month in a menu
  (`select.js-link-select option`, newest first): the walk goes on to the month after the current one in that
  menu, the month before it in time. An administration's `statement/index.html` heads its archive.
- Statement: breadcrumb `ul.module-breadcrumb`, title `h1` in `div.container > section`, date `span.date` in
  `div.module-detail-date` ("December 22, 2021", Japan time), body `div#format`: paragraphs separated by `<br>`,
  opened by "[Provisional Translation]" (`div.aly_tx_right`, dropped); topics of press conferences in
  parentheses ("(Regarding the confirmation of …)") stay as paragraphs. The share buttons (`div.module-sns`),
  the "More" button and the "Related Link" box are outside the body.
- Speakers: "… by Prime Minister KISHIDA Fumio …" (family name in capitals, kept as written); "Press Conference
  by the Prime Minister regarding …" names nobody, but each Prime Minister's statements are under his folder
  (`101_kishida`; the 102nd and 103rd, `102_ishiba` and `103`, are both ISHIBA Shigeru, as the archive menu says).
"""

from __future__ import annotations

import re

from crawler.sites.base import ENGLISH_MONTH_RE, ENGLISH_MONTHS, Listing, Section, Site, Template

BASE = "https://japan.kantei.go.jp"

TEMPLATE_2021 = Template(
    name="kantei-en-2021",
    effective="2021-12-02",
    marker="div#format",
    title=("div.container > section > h1", "h1"),
    body="div#format",
    date=("div.module-detail-date span.date",),
    breadcrumb="ul.module-breadcrumb",
    remove=("div.aly_tx_right", "div.module-more"),
)

SITE = Site(
    name="kantei_en",
    office="Prime Minister's Office of Japan",
    language="en",
    timezone="Asia/Tokyo",
    allowed_domains=("japan.kantei.go.jp",),
    canonical_hosts={"japan.kantei.go.jp": "japan.kantei.go.jp"},
    sections=(
        Section("ishiba_103", f"{BASE}/103/statement/index.html"),
        Section("ishiba_102", f"{BASE}/102_ishiba/statement/index.html"),
        Section("kishida_101", f"{BASE}/101_kishida/statement/index.html"),
    ),
    listing=Listing(
        entry="div.news-list-title a[href]",
        entry_block="ul.news-list li",
        statement_url=re.compile(r"/statement/\d{6}/_\d+\.html$"),
        next_page="select.js-link-select option@value",
        entry_date=re.compile(ENGLISH_MONTH_RE + r"\s+\d{1,2},\s*\d{4}"),
    ),
    templates=(TEMPLATE_2021,),
    page_dates=(re.compile(ENGLISH_MONTH_RE + r"\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"),),
    month_names=ENGLISH_MONTHS,
    speaker_patterns=(re.compile(r"\bPrime Minister (?P<name>[A-Z]{2,}(?: [A-Z][a-z]+)+)"),),
    url_speakers=(
        (re.compile(r"^/101_kishida/"), "KISHIDA Fumio"),
        (re.compile(r"^/(?:102_ishiba|103)/"), "ISHIBA Shigeru"),
    ),
    kind_rules=(
        (re.compile(r"\bPress Conference\b|\bPress Briefing\b"), "press_conference"),
        (re.compile(r"\bSpeech\b|\bVideo Message\b|\bAddress\b|\bRemarks\b", re.IGNORECASE), "speech"),
        (re.compile(r"\bStatement\b|\bComment\b"), "statement"),
        (re.compile(r"\bInterview\b"), "interview"),
    ),
    default_kind="news",
    boilerplate_paragraphs=(re.compile(r"\[Provisional Translation\]"),),
)
"""Spider `kantei_en`: the Prime Minister of Japan's speeches and statements, in English."""
