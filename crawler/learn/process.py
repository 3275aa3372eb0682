"""The learning process: which pages to fetch, in what order, and what to decide from them.

`learn` is a generator: it yields lists of URLs to fetch and is sent back, for each, the fetched response or the
reason it failed; it returns a `LearnedSite`. The Scrapy spider of `crawler.learn.fetch` drives it for
`statements learn` (live or from a WARC); tests drive it from a dict of recorded responses.

Order: the listing page; the pages its pagination candidates lead to (each believed only if it holds further
statement links at the same place); listing pages in the middle and at the end of the section, where the
pagination tells their addresses; then `pages` statement pages spread over those listing pages; then the
comparison.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.learn import links as link_rules
from crawler.learn import pagination
from crawler.learn.dates import (
    DateRule,
    learn_image_dates,
    learn_text_dates,
    learn_title_dates,
    read_listing_date,
)
from crawler.learn.pages import Fetched, Page, parse
from crawler.learn.template import Learned, Rejected, learn_template
from crawler.learn.vocabulary import (
    KindRule,
    SpeakerRule,
    detect_language,
    guess_timezone,
    kind_rules,
    speaker_rules,
)

Fetch = dict[str, Fetched | str]
"""URL → the response, or the reason it could not be fetched."""


class LearnError(Exception):
    """Learning cannot go on; the message says why in one line."""


@dataclass
class LearnedSite:
    """Everything learned of a site, with the evidence the report and the module's comments give."""

    name: str
    listing_url: str
    group: link_rules.LinkGroup
    entry: str
    entry_exact: tuple[int, int]
    statement_url: str
    entry_dates: link_rules.EntryDates | None
    pagination: pagination.Candidate | None
    pagination_notes: list[str]
    listing_pages: list[Page]
    template: Learned
    rejected: list[Rejected]
    language: tuple[str, str]
    timezone: tuple[str | None, str]
    title_dates: DateRule | None
    lead_dates: DateRule | None
    closing_dates: DateRule | None
    image_dates: DateRule | None
    kinds: list[KindRule]
    default_kind: str
    speakers: list[SpeakerRule]
    titles: dict[str, str]
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        """The listing's host, lower case."""
        return (urlsplit(self.listing_url).hostname or "").lower()


def _parsed(fetched: Fetched | str | None) -> Page | None:
    return parse(fetched) if isinstance(fetched, Fetched) and fetched.status == 200 else None


def _holds_more(page: Page | None, key: tuple[str, ...], known: set[str]) -> list[link_rules.Link]:
    """The title-like links a listing page holds at the group's place, if some are new."""
    if page is None:
        return []
    found = [
        link for link in link_rules.links_of(page) if link.key == key and link_rules.title_like(link.text)
    ]
    return found if {link.url for link in found} - known else []


def _spread(groups: list[list[str]], count: int) -> list[str]:
    """`count` URLs taken in turn from each list (first, middle and last listing pages alike), once each."""
    chosen: list[str] = []
    position = 0
    while len(chosen) < count and any(position < len(group) for group in groups):
        for group in groups:
            if position < len(group) and group[position] not in chosen and len(chosen) < count:
                chosen.append(group[position])
        position += 1
    return chosen


def learn(
    listing_url: str, name: str, pages: int = 20, timezone: str | None = None
) -> Generator[list[str], Fetch, LearnedSite]:
    """Learn a site from one listing page of a statement section.

    Yields lists of URLs to fetch; is sent {url: response or failure reason}. Returns what was learned.

    Raises:
        LearnError: the listing cannot be fetched or read, holds no group of statement links, or no statement page
            shares a template with another.
    """
    answer = yield [listing_url]
    first = _parsed(answer.get(listing_url))
    if first is None:
        reason = answer.get(listing_url)
        detail = reason if isinstance(reason, str) else f"HTTP {reason.status}" if reason else "no answer"
        raise LearnError(f"the listing {listing_url} could not be read as an HTML page ({detail})")
    group = link_rules.find_group(first)
    if group is None:
        raise LearnError(f"no group of statement links on {listing_url}: is it a listing page of a section?")
    known = {link.url for link in group.links}
    notes: list[str] = []

    candidates = pagination.candidates(first)
    answer = yield list(dict.fromkeys(candidate.url for candidate in candidates))
    chosen: pagination.Candidate | None = None
    second: Page | None = None
    tried: list[str] = []
    for candidate in candidates:
        page = _parsed(answer.get(candidate.url))
        if _holds_more(page, group.key, known):
            chosen, second = candidate, page
            break
        outcome = answer.get(candidate.url)
        why = "no new statement links there" if isinstance(outcome, Fetched) else str(outcome)
        tried.append(f"{candidate.evidence} → {candidate.url}: not believed ({why})")
    pagination_notes = tried if chosen is None else []

    if chosen is not None and chosen.kind == "next" and second is not None:
        # The selector must lead on from the second page too (a pager's first link is "next" only on page one).
        onward = [
            option
            for option in chosen.options
            if pagination.follow(second, option) not in (None, first.url, second.url)
        ]
        if onward:
            chosen.selector = onward[0]
        else:
            notes.append(f"the next link leads nowhere new from {second.url}: the walk may stop there")

    listing_pages = [first] + ([second] if second is not None else [])
    further: list[str] = []
    if chosen is not None and chosen.kind == "count" and chosen.count and chosen.count > 2:
        further = [
            pagination.page_name(first.url, chosen.page_url or "", n)
            for n in sorted({chosen.count // 2, chosen.count - 1})
        ]
    elif chosen is not None and chosen.kind == "menu" and second is not None:
        menu = pagination.menu_urls(first, chosen.selector or "")
        further = [menu[len(menu) // 2], menu[-1]] if len(menu) > 2 else []
    elif chosen is not None and chosen.kind == "next":
        numbered = pagination.number_template(first.url, chosen.url)
        if numbered is not None:
            # The section's last page, found by doubling the page number until a page holds no statement
            # links, then halving the gap: a dozen requests for thousands of pages.
            template, good = numbered
            bad = None
            probed: dict[int, Page] = {}
            while bad is None or bad - good > 1:
                number = good * 2 if bad is None else (good + bad) // 2
                if number > pagination.PROBE_LIMIT:
                    break
                url = template.format(n=number)
                answer = yield [url]
                page = _parsed(answer.get(url))
                if _holds_more(page, group.key, known):
                    good, probed[number] = number, page
                else:
                    bad = number
            if good > 2:
                further = [template.format(n=good // 2)] if good // 2 not in probed else []
                listing_pages += [probed[n] for n in sorted(probed) if n in (good, good // 2)]
                notes.append(f"the section's last listing page is {template.format(n=good)} (probed)")
    further = [url for url in dict.fromkeys(further) if url not in {page.url for page in listing_pages}]
    answer = (yield further) if further else {}
    for url in further:
        page = _parsed(answer.get(url))
        if _holds_more(page, group.key, known):
            listing_pages.append(page)
        else:
            notes.append(f"listing page {url} could not be read: not used for sampling")

    # The statement links of every listing page read, and their URL pattern over all of them.
    per_page: list[tuple[Page, list[link_rules.Link]]] = []
    for page in listing_pages:
        found = [
            link
            for link in link_rules.links_of(page)
            if link.key == group.key and link_rules.title_like(link.text)
        ]
        unique = list({link.url: link for link in found}.values())
        kind = link_rules.url_kind(group.links[0].url)
        per_page.append((page, [link for link in unique if link_rules.url_kind(link.url) == kind]))
    all_urls = [link.url for _, found in per_page for link in found]
    group.url_pattern = link_rules.generalize_digit_folders(link_rules.url_pattern(all_urls))
    pattern = re.compile(group.url_pattern)
    expected = [
        (page, [link.url for link in found if pattern.search(urlsplit(link.url).path or "/")])
        for page, found in per_page
    ]
    dates = link_rules.entry_dates(per_page)
    entry, exact = link_rules.entry_selector(group, expected, dates.block if dates else None)
    titles = {link.url: link.text for _, found in per_page for link in found}

    sample = _spread([[link.url for link in found] for _, found in per_page], pages)
    answer = yield sample
    statement_pages: list[Page] = []
    failures: list[tuple[str, str]] = []
    rejected: list[Rejected] = []
    for url in sample:
        outcome = answer.get(url)
        if not isinstance(outcome, Fetched):
            failures.append((url, str(outcome or "no answer")))
            continue
        if outcome.status != 200:
            failures.append((url, f"HTTP {outcome.status}"))
            continue
        page = parse(outcome)
        if page is None:
            rejected.append(Rejected(url, "not an HTML page"))
            continue
        page.url = url  # compare under the listed URL (titles and dates are keyed by it)
        statement_pages.append(page)
    listing_dates = dates.dates if dates else {}
    template, screened = learn_template(statement_pages, titles, listing_dates, listing_pages, group.key)
    rejected += screened
    if template is None:
        raise LearnError(
            f"no template common to the {len(statement_pages)} statement pages fetched"
            f" ({len(failures)} could not be fetched, {len(rejected)} are not statements)"
        )

    known_dates = {**listing_dates, **template.dates}
    title_rule = None
    if template.date is None or template.date_seen < len(template.pages):
        title_rule = learn_title_dates(template.titles, known_dates)
    dated = set(template.dates)
    if title_rule is not None:
        title_re = re.compile(title_rule.regex)
        dated |= {url for url, title in template.titles.items() if title_re.search(title)}
    full_dates = dict(known_dates)
    if title_rule is not None:
        for url, title in template.titles.items():
            found = title_re.search(title)
            if found and found.group("year"):
                day = read_listing_date(found.group(0))
                if day is not None:
                    full_dates.setdefault(url, day)
    image_rule = learn_image_dates(template.images, full_dates)
    undated = {url: texts for url, texts in template.paragraphs.items() if url not in dated and texts}
    lead_rule = learn_text_dates({url: texts[0] for url, texts in undated.items()}, known_dates, "lead")
    if lead_rule is not None:
        lead_re = re.compile(lead_rule.regex)
        undated = {url: texts for url, texts in undated.items() if not lead_re.search(texts[0])}
    closing_rule = learn_text_dates(
        {url: texts[-1] for url, texts in undated.items()}, known_dates, "closing"
    )

    language = detect_language(template.pages, ["\n".join(texts) for texts in template.paragraphs.values()])
    zone = (
        (timezone, "given with --timezone")
        if timezone
        else guess_timezone(urlsplit(first.url).hostname or "")
    )
    sampled_titles = list(template.titles.values())
    kinds, default_kind = kind_rules(language[0], sampled_titles)
    for url, listed in titles.items():
        if (
            url in template.titles
            and link_rules.title_like(listed)
            and template.titles[url].casefold() != listed.casefold()
        ):
            notes.append(f"title of {url}: the page says {template.titles[url]!r}, the listing {listed!r}")
    for url, day in template.dates.items():
        if url in listing_dates and listing_dates[url] != day:
            notes.append(f"date of {url}: the page says {day}, the listing {listing_dates[url]}")
    return LearnedSite(
        name=name,
        listing_url=listing_url,
        group=group,
        entry=entry,
        entry_exact=(exact, len(expected)),
        statement_url=group.url_pattern,
        entry_dates=dates,
        pagination=chosen,
        pagination_notes=pagination_notes,
        listing_pages=listing_pages,
        template=template,
        rejected=rejected,
        language=language,
        timezone=zone,
        title_dates=title_rule,
        lead_dates=lead_rule,
        closing_dates=closing_rule,
        image_dates=image_rule,
        kinds=kinds,
        default_kind=default_kind,
        speakers=speaker_rules(language[0], sampled_titles),
        titles=titles,
        failures=failures,
        notes=notes,
    )


def run_offline(
    generator: Generator[list[str], Fetch, LearnedSite], fetch: dict[str, Fetched]
) -> LearnedSite:
    """Drive `learn` from recorded responses (URL → response; a URL not there fails as "not recorded")."""
    try:
        urls = next(generator)
        while True:
            urls = generator.send({url: fetch.get(url, "not recorded") for url in urls})
    except StopIteration as done:
        return done.value
