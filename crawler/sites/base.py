"""Declarations a site module fills in; the spiders and item pipelines read them.

A site module declares what is true of one press office's web site (where its statement sections are, how its
listing pages paginate, which selectors hold the title, date and body of a statement page, which text is
boilerplate, how titles name dates, speakers and kinds). It holds no crawling or cleaning logic: the base spider
(`crawler.spiders.base`) and the item pipelines (`pipelines.*`) act on these declarations. A redesign of a
site adds a second `Template` with the date it took effect instead of branching inside the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Template:
    """One version of a site's statement page template.

    Attributes:
        name: short label stored with each page (e.g. "fmprc-2018").
        effective: ISO date (YYYY-MM-DD) of the oldest page known to use the template; informative, the template
            is chosen by `marker`, never by date.
        marker: CSS selector present on every statement page of this template; the first template whose marker
            matches a page is used.
        title: CSS selectors tried in order; the first non-empty text is the title. A selector ending in
            `@name` reads that attribute instead of the text (`meta[name=ArticleTitle]@content`).
        body: CSS selector of the body container (the block that holds the statement's paragraphs).
        date: CSS selectors of the page's own date element, tried in order (may be empty on the page); `@name`
            as for `title`.
        breadcrumb: CSS selector of the breadcrumb ("Home > …"), recorded for information, never in the body.
        remove: CSS selectors of boilerplate inside the body container, removed before paragraphs are read.
        single_br_splits: whether one `<br>` ends a paragraph (two or more always do).
        blank_line_splits: whether a blank line in the text itself (a newline, nothing but spaces, a newline) ends
            a paragraph: bodies pasted as plain text, with no `<br>` or `<p>` (whitehouse.gov, the briefing of
            May 1, 2015).
        end: CSS selector of an element every complete page has after the body (the footer); a page without
            it was cut off in transfer and is rejected rather than stored short. None: no check.
        translations: (language code, selector with `@href`) of each link the page has to its own translation.
    """

    name: str
    effective: str
    marker: str
    title: tuple[str, ...]
    body: str
    date: tuple[str, ...] = ()
    breadcrumb: str | None = None
    remove: tuple[str, ...] = ()
    single_br_splits: bool = True
    blank_line_splits: bool = False
    end: str | None = None
    translations: tuple[tuple[str, str], ...] = ()


TRS_PAGE_PARTS = re.compile(
    r"""createPageHTML\(\s*(?P<count>\d+)\s*,\s*(?P<current>\d+)\s*,\s*["'](?P<name>[\w.-]+)["']\s*,\s*"""
    r"""["'](?P<ext>\w+)["']\s*\)"""
)
"""How a page of the TRS CMS (China's ministries, fmprc.gov.cn and mfa.gov.cn among them) announces that its article
is split over several pages: `createPageHTML(3, 0, "t20200717_10001", "shtml")` (parts, this part's 0-based index,
the first part's file name, its extension); the parts after the first are `t20200717_10001_1.shtml`, `_2.shtml`
beside it (the current site writes `.html`). The default of `Site.page_parts`: safe for every site, since a page
counts as split only where the name is its own file name."""


@dataclass(frozen=True)
class Listing:
    """How a site's listing pages list statements and paginate.

    A listing paginates in one of two ways: its first page announces how many pages there are (`page_count`,
    pages named by `page_url`: fmprc.gov.cn's `default_1.shtml`), or each page links to the next (`next_page`:
    the White House's "››" link to `?page=2`, the Prime Minister of Japan's list of monthly archives). A listing
    with neither is one page.

    Attributes:
        entry: CSS selector of the `<a>` elements that link to statements (within `entry_block`, where set).
        statement_url: regex a resolved link's path must match to be a statement page (others are ignored).
        page_count: regex on the listing page's source whose first group that matched is the number of
            listing pages; None where pages do not announce it.
        page_url: format of listing page n (n ≥ 1) relative to the first page, with `{n}`, `{stem}` and
            `{suffix}` (the first page's file name split at its dot: "default", ".shtml").
        next_page: where `page_count` is None, a CSS selector ending in `@attribute` of the links to further
            listing pages, in the page's order: the walk goes on to the first one after the page's own URL (or
            the first one, when the page's own URL is not among them). None: no next page.
        entry_block: CSS selector of the element that holds one entry (its link and its date), where the date is
            not next to the link (`div.views-row` on whitehouse.gov); None: the link's parent element.
        entry_date: regex on the text of the entry (its `entry_block`, else the link's parent element) whose
            match is the listing date of the entry, read as the site reads page dates ("(2020-07-03)",
            "April 06, 2016"); None where listings show no dates.
    """

    entry: str
    statement_url: re.Pattern[str]
    page_count: re.Pattern[str] | None = None
    page_url: str = "{stem}_{n}{suffix}"
    next_page: str | None = None
    entry_block: str | None = None
    entry_date: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Section:
    """A statement section: a listing whose pages link to statement pages.

    Attributes:
        name: short name used in logs and hints ("press_conferences").
        url: absolute URL of the section's first listing page.
        listing: the section's listing rules where they are not the site's (a section of another era).
    """

    name: str
    url: str
    listing: Listing | None = None


@dataclass(frozen=True)
class TurnRules:
    """How a site's transcripts mark who speaks: regexes over the start of a paragraph.

    Attributes:
        question: a question with no outlet named ("Q:", "问：", the White House's "Q" and spaces).
        label: a paragraph that opens with a label and a colon; group `label` is the label.
        answer: an answer by the statement's spokesperson ("A:", "答："); None where answers are always
            labelled with a name.
        follow_up: a follow-up question ("Follow-up:", "追问："); group `outlet` where it names one.
        journalist: a journalist speaking with no outlet named ("Journalist:", "会后有记者问及：").
        outlet: how a label that names a news outlet looks (`fullmatch` on the label); group `outlet` is the
            outlet as written when it is only part of the label ("路透社记者" → "路透社"). None: labels never
            name outlets.
        not_outlet: labels that look like outlets but are not (times such as "Between 00:00").
        bold_outlets: whether a short label in bold that is no speaker's name counts as an outlet.
        speaker_label: how a label that names a speaker looks when the name is not known in advance
            (`fullmatch` on the label): the White House's capitals, "MR. EARNEST", "SECRETARY KERRY". Such a label
            takes the full name of the statement's speaker with the same surname ("MR. EARNEST" → "Josh
            Earnest" when the title names him), else the site's name for it (`Site.speaker_names`: "THE
            PRESIDENT" → "Barack Obama"), else the label in title case ("Senior Administration Official").
        note: paragraphs that are not speech but the transcript's framing (`fullmatch`): time stamps ("1:55 P.M.
            EDT"), "END"; they make turns of role "note", with no speaker.
        preamble: the role of the paragraphs before the first labelled one: "statement" (the spokesperson's
            announcements, fmprc.gov.cn) or "note" (the place and time a transcript opens with, whitehouse.gov).
    """

    question: re.Pattern[str]
    label: re.Pattern[str]
    answer: re.Pattern[str] | None = None
    follow_up: re.Pattern[str] | None = None
    journalist: re.Pattern[str] | None = None
    outlet: re.Pattern[str] | None = None
    not_outlet: re.Pattern[str] | None = None
    bold_outlets: bool = True
    speaker_label: re.Pattern[str] | None = None
    note: re.Pattern[str] | None = None
    preamble: str = "statement"


@dataclass(frozen=True)
class Site:
    """Everything the shared core needs to crawl and clean one press office's site in one language.

    Attributes:
        name: spider name, also the `site` column ("fmprc_en").
        office: who publishes ("Ministry of Foreign Affairs of the People's Republic of China").
        language: ISO 639-1 code of the statements ("en").
        timezone: IANA zone the site's dates are given in.
        allowed_domains: domains the spider may request (subdomains included).
        canonical_hosts: host (lower case) → the host canonical URLs use; hosts not listed are kept.
        sections: statement sections crawled by default.
        listing: listing and pagination rules.
        templates: statement page templates, newest first.
        title_dates: regexes over the title with named groups `month`, `day` and optional `year`.
        page_dates: regexes over the page's date element, named groups `year`, `month`, `day` and optional
            `hour`, `minute` (a time makes `published_at`, in `timezone`); ISO-like numeric dates are always read.
        lead_dates: regexes over the first paragraph, same groups (year required).
        closing_dates: regexes over the last paragraph, same groups (year required): a statement signed with
            its date ("December 6, 2021, Minsk", mfa.gov.by).
        month_names: lower-case month name or abbreviation → month number, for `month` groups that are words.
        speaker_patterns: regexes over the title; each named group `name` is a speaker.
        title_speakers_end: where the part of a title that names its speakers ends: speaker patterns are searched
            in the title before its first match (whitehouse.gov: "… Jay Carney en route Paterson, New Jersey"
            names a place after "en route"); None: the whole title.
        lead_speaker_patterns: regexes over the first paragraph, used when the title names no speaker; they
            should match only the subject of the lead sentence ("On July 16, 2020, State Councilor and Foreign
            Minister Wang Yi met …"), not everyone it names.
        url_speakers: (regex over the URL path, name) pairs: the speaker of a statement whose title and lead
            name nobody, where the site files each speaker's statements apart (japan.kantei.go.jp files each Prime
            Minister's under his own folder, /101_kishida/…: "Press Conference by the Prime Minister regarding
            …").
        kind_rules: (regex over the title, kind) pairs; the first match gives the kind.
        default_kind: kind when no rule matches.
        doc_id: regex over the URL whose group 1 is the site's monotonic document number.
        image_date: regex over image file names in the body whose groups `year`, `month`, `day` give the
            upload date.
        boilerplate_paragraphs: regexes; a body paragraph that matches one in full is dropped.
        paragraph_breaks: regex matching, inside a paragraph, the space where a new paragraph starts (the space
            is dropped): transcripts whose turns ran together into one paragraph (whitehouse.gov: "… any
            questions. MR. RHODES: Great."). None: paragraphs are kept as the page has them.
        soft_404: regexes searched in the page's `<title>` and the start of its text; a page that matches is an
            error or maintenance placeholder served with HTTP 200 ("系统维护", "您访问的页面不存在或已删除") and
            is rejected as a soft-404, never stored.
        soft_404_urls: regexes over the URL of pages that are error placeholders (fmprc.gov.cn's /error.htm,
            where its robots.txt redirects).
        canonical_paths: (regex, replacement) pairs applied to the URL path by `canonical_url`, so that every
            path form that links to a page gives one URL.
        query_parameters: names of the query parameters that identify a statement page (`article.php?id=7`):
            canonical statement URLs keep these, sorted, and drop every other parameter and the fragment, so that
            a link with `?from=list` or `#top` names the same statement. Default none: the sites so far name
            each statement by its path. Listing URLs keep their whole query (whitehouse.gov's `?page=2`).
        translation_sites: names of the sites that publish the same statements in another language; after a
            crawl, statements are linked to their translations there (see `statements.translations`).
        speaker_names: a speaker's name or label as this site writes it → the name stored: in Latin script, as the
            other language's site writes it ("赵立坚" → "Zhao Lijian", to match translations), or the person a
            transcript label stands for ("THE PRESIDENT" → "Barack Obama").
        turns: how transcripts mark questions and answers; None where the site publishes no transcripts.
        page_parts: regex over a statement page's source that announces an article split over several pages, with
            named groups `count` (how many parts), `current` (0-based index of this part), `name` (file name of the
            first part, without extension) and `ext`; the crawl fetches every part and stores one statement with
            all their paragraphs, at the first part's URL (`pipelines.parts`). Default: the TRS CMS's
            `createPageHTML(…)` (`TRS_PAGE_PARTS`); None where pages are never split.
        page_part_url: file name of part n (n ≥ 1) beside the first, from the groups of `page_parts` and `n`.
    """

    name: str
    office: str
    language: str
    timezone: str
    allowed_domains: tuple[str, ...]
    canonical_hosts: dict[str, str]
    sections: tuple[Section, ...]
    listing: Listing
    templates: tuple[Template, ...]
    title_dates: tuple[re.Pattern[str], ...] = ()
    lead_dates: tuple[re.Pattern[str], ...] = ()
    closing_dates: tuple[re.Pattern[str], ...] = ()
    month_names: dict[str, int] = field(default_factory=dict)
    speaker_patterns: tuple[re.Pattern[str], ...] = ()
    lead_speaker_patterns: tuple[re.Pattern[str], ...] = ()
    title_speakers_end: re.Pattern[str] | None = None
    url_speakers: tuple[tuple[re.Pattern[str], str], ...] = ()
    kind_rules: tuple[tuple[re.Pattern[str], str], ...] = ()
    default_kind: str = "news"
    doc_id: re.Pattern[str] | None = None
    image_date: re.Pattern[str] | None = None
    boilerplate_paragraphs: tuple[re.Pattern[str], ...] = ()
    paragraph_breaks: re.Pattern[str] | None = None
    page_dates: tuple[re.Pattern[str], ...] = ()
    soft_404: tuple[re.Pattern[str], ...] = ()
    soft_404_urls: tuple[re.Pattern[str], ...] = ()
    canonical_paths: tuple[tuple[re.Pattern[str], str], ...] = ()
    query_parameters: tuple[str, ...] = ()
    translation_sites: tuple[str, ...] = ()
    speaker_names: dict[str, str] = field(default_factory=dict)
    turns: TurnRules | None = None
    page_parts: re.Pattern[str] | None = TRS_PAGE_PARTS
    page_part_url: str = "{name}_{n}.{ext}"


ENGLISH_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
"""English month names and their usual abbreviations, lower case → month number."""

ENGLISH_MONTH_RE = (
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
"""Regex fragment for an English month name, as the named group `month`."""
