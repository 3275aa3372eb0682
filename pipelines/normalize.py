"""Normalize pipeline: extracted fields → a `Statement` (text, dates, speakers, kind, canonical URL, hash).

- Text: `&nbsp;`, U+3000 and every other Unicode space become a plain space, runs collapse, paragraphs are
  stripped (leading indentation goes) and put in NFC; zero-width characters are dropped; a first paragraph
  repeating the title and paragraphs that are site boilerplate are dropped.
- Dates (ISO 8601, in the site's time zone, Asia/Shanghai for China MFA), in order: the page's date element (a
  title that names another day never overrules it); the title; the lead sentence; the closing line ("December 6, 2021, Minsk"); inferred from what the page and the crawl offer (photo file names named after
  their upload date, the listing's date, the dates of neighbouring listing entries nearest by document number);
  never from the URL. `date_source` records which: page, title (the title names the day, and the date element
  agrees or is empty), lead, closing, inferred, or none.
- Language: the text's, where it is not the site's (`pipelines.language`: the White House's Spanish statements).
- Speakers: whole names only; in a script written without spaces, a match that runs past a name the site knows
  into the next word is cut back to that name ("王毅将出席…" names 王毅).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from w3lib.url import canonicalize_url

from crawler.items import Extracted, PageItem, Statement
from crawler.sites import get_site
from crawler.sites.base import Site
from pipelines.extract import NotAStatement, reject
from pipelines.language import statement_language

logger = logging.getLogger(__name__)

# Zero-width characters, and C0/C1 control characters other than whitespace: they never belong in text (they leak
# from broken CMS exports).
_DROPPED = re.compile("[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_PAGE_DATE = re.compile(
    r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})日?"
    r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


def clean_text(text: str) -> str:
    """Return `text` in NFC with every run of Unicode whitespace (nbsp, U+3000, newlines) as one space, zero-width
    and control characters removed, and no leading or trailing space."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if _DROPPED.search(text):
        text = _DROPPED.sub("", text)
    return " ".join(text.split())  # str.split() splits at every Unicode space, as \s does


@dataclass(frozen=True)
class DateFound:
    """A statement's date and how it was found.

    Attributes:
        date: ISO date (YYYY-MM-DD) in the site's time zone, or None.
        source: title, page, lead, closing, inferred or none.
        published_at: ISO 8601 date-time with the site's UTC offset where the page gives a time, else None.
    """

    date: str | None
    source: str
    published_at: str | None = None


def _month_number(value: str, site: Site) -> int | None:
    if value.isdigit():
        return int(value)
    return site.month_names.get(value.lower().rstrip("."))


class DateParts(NamedTuple):
    """A date as a text gives it: the year may be missing ("… on September 10")."""

    year: int | None
    month: int
    day: int

    def full(self) -> dt.date | None:
        """The date, or None when the year is missing."""
        return dt.date(self.year, self.month, self.day) if self.year is not None else None


def parse_date_parts(text: str, patterns: tuple[re.Pattern[str], ...], site: Site) -> DateParts | None:
    """Find a date in `text` with the first matching pattern (named groups `month`, `day`, optional `year`).

    Returns:
        The parts found (year None when the text gives none), or None when no pattern matches or the month
        and day make no date.
    """
    for pattern in patterns:
        match = pattern.search(text)
        if not match:
            continue
        month = _month_number(match.group("month"), site)
        day = int(match.group("day"))
        year_text = match.groupdict().get("year")
        year = int(year_text) if year_text else None
        if month is None or _safe_date(year if year is not None else 2000, month, day) is None:
            continue
        return DateParts(year, month, day)
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _page_date(date_text: str | None, site: Site) -> DateFound | None:
    """The date (and time, as `published_at` in the site's zone) the page's date element gives, if any."""
    if not date_text:
        return None
    for pattern in (_PAGE_DATE, *site.page_dates):
        match = pattern.search(date_text)
        if not match:
            continue
        groups = match.groupdict()
        month = _month_number(groups["month"], site)
        day = _safe_date(int(groups["year"]), month, int(groups["day"])) if month else None
        if day is None:
            continue
        published_at = None
        if groups.get("hour") is not None:
            moment = dt.datetime(
                day.year,
                day.month,
                day.day,
                int(groups["hour"]),
                int(groups["minute"]),
                int(groups.get("second") or 0),
                tzinfo=ZoneInfo(site.timezone),
            )
            published_at = moment.isoformat()
        return DateFound(day.isoformat(), "page", published_at)
    return None


def _doc_number(url: str, site: Site) -> int | None:
    if site.doc_id is None:
        return None
    match = site.doc_id.search(urlsplit(url).path)
    return int(match.group(1)) if match else None


def _image_dates(image_names: list[str], site: Site) -> list[dt.date]:
    if site.image_date is None:
        return []
    dates = []
    for name in image_names:
        match = site.image_date.search(name)
        if match:
            day = _safe_date(int(match["year"]), int(match["month"]), int(match["day"]))
            if day is not None:
                dates.append(day)
    return dates


def _full_date(text: str | None, site: Site) -> dt.date | None:
    """A full date in a listing's text: a date as the site's pages write them ("2020-07-03", "April 06, 2016"),
    else a date as its titles write them."""
    if not text:
        return None
    found = _page_date(text, site)
    if found is not None and found.date is not None:
        return dt.date.fromisoformat(found.date)
    parts = parse_date_parts(text, site.title_dates, site)
    return parts.full() if parts else None


def listing_date(date_text: str | None, title: str | None, site: Site) -> dt.date | None:
    """The date a listing gives an entry: its date text ("(2020-07-03)"), else the full date in the title the
    listing shows ("… Regular Press Conference on July 3, 2020"); None when neither gives one."""
    return _full_date(date_text, site) or _full_date(title, site)


def _neighbour_dates(url: str, hints: dict[str, Any], site: Site) -> list[dt.date]:
    """Dates of the adjacent listing entries, nearest document number first."""
    own = _doc_number(url, site)
    dated = []
    for neighbour in hints.get("neighbours") or []:
        day = _full_date(neighbour.get("date"), site) or _full_date(neighbour.get("title"), site)
        if day is None:
            continue
        number = _doc_number(neighbour.get("url", ""), site)
        distance = abs(number - own) if number is not None and own is not None else float("inf")
        dated.append((distance, day))
    return [day for _, day in sorted(dated, key=lambda pair: pair[0])]


def _nearest_year(month: int, day: int, evidence: dt.date) -> dt.date | None:
    candidates = [
        candidate
        for year in (evidence.year - 1, evidence.year, evidence.year + 1)
        if (candidate := _safe_date(year, month, day)) is not None
    ]
    return min(candidates, key=lambda candidate: abs(candidate - evidence)) if candidates else None


def find_date(
    page: PageItem, extracted: Extracted, title: str, lead: str | None, site: Site, closing: str | None = None
) -> DateFound:
    """Find a statement's date, by the order in this module's docstring.

    The page's date element, where it gives a date, is the date (`source` "page", or "title" where the title
    names the same day); a date in the title or the lead counts only where the page has none (fmprc.gov.cn's
    English pages of 2018–2020, whose `#News_Body_Time` is empty).
    A title that gives month and day but no year ("… Regular Press Conference on September 10", fmprc.gov.cn
    t1593756) takes the year that puts the date nearest to the first evidence: the photo upload date in the
    body (W020180910…jpg), the listing date, or the date of the listing neighbour nearest by document number.
    A page with no date at all (t1686638) takes the listing date (the date the listing shows, else the date in
    the title the listing gives it), else the date of the listing neighbour nearest by document number
    (t1686637, dated August 6, 2019), else its photo upload date.

    Returns:
        The date, its source, and `published_at` where the page's date element gives a time (on the day the
        date says: "Updated: April 30, 2025 19:06" on the current English template).
    """
    hints = page.hints or {}
    found = _page_date(extracted.date_text, site)
    parts = parse_date_parts(title, site.title_dates, site)
    title_day = parts.full() if parts else None
    if found:
        # The page's own date element is the statement's date, whatever day the title names: "王毅将出席2020年6月20日
        # 举行的中欧战略对话" was published on 29 May 2020. Where the title names the same day, it says so.
        same_day = title_day is not None and title_day.isoformat() == found.date
        return DateFound(found.date, "title", found.published_at) if same_day else found
    if title_day:
        return DateFound(title_day.isoformat(), "title")
    lead_parts = parse_date_parts(lead, site.lead_dates, site) if lead else None
    if lead_parts and (day := lead_parts.full()):
        return DateFound(day.isoformat(), "lead")
    closing_parts = parse_date_parts(closing, site.closing_dates, site) if closing else None
    if closing_parts and (day := closing_parts.full()):
        return DateFound(day.isoformat(), "closing")

    listing_date = _full_date(hints.get("listing_date"), site) or _full_date(hints.get("listing_title"), site)
    images = _image_dates(extracted.image_names, site)
    neighbours = _neighbour_dates(page.url, hints, site)
    listed = [listing_date] if listing_date else []
    if parts:
        for evidence in (*images, *listed, *neighbours):
            guess = _nearest_year(parts.month, parts.day, evidence)
            if guess is not None:
                return DateFound(guess.isoformat(), "inferred")
        return DateFound(None, "none")
    for dates in (listed, neighbours, images):
        if dates:
            return DateFound(dates[0].isoformat(), "inferred")
    return DateFound(None, "none")


def find_speakers(title: str, lead: str | None, site: Site) -> list[str]:
    """Names of the people speaking, from the title, else from the lead sentence.

    The site's title speaker patterns are searched in the title; if none matches, its lead speaker patterns in
    the lead; in the title, only before `Site.title_speakers_end`. Names keep their order of first appearance
    and appear once, each a whole name (see `_whole_name`). Examples (fmprc.gov.cn): "Foreign
    Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020" → ["Zhao Lijian"]; "Wang Yi:
    …" → ["Wang Yi"]; a lead "On July 16, 2020, State Councilor and Foreign Minister Wang Yi met …" →
    ["Wang Yi"].
    """
    end = site.title_speakers_end.search(title) if site.title_speakers_end is not None else None
    if end is not None:
        title = title[: end.start()]
    for text, patterns in ((title, site.speaker_patterns), (lead or "", site.lead_speaker_patterns)):
        found = sorted(
            (match.start("name"), match.group("name"))
            for pattern in patterns
            for match in pattern.finditer(text)
        )
        names = list(dict.fromkeys(_whole_name(name, site) for _, name in found))
        if names:
            return names
    return []


def _whole_name(name: str, site: Site) -> str:
    """The name a speaker pattern matched, cut back to the longest name the site knows (`Site.speaker_names`) that
    it starts with, where the names are written without spaces: Chinese words are not spaced, so a pattern that
    ends a name at the next verb ran one character too far when an adverb came first ("王毅将出席…" gave "王毅将").
    Names with spaces end at a word's end and are kept."""
    if " " in name or name in site.speaker_names:
        return name
    known = [known for known in site.speaker_names if " " not in known and name.startswith(known)]
    return max(known, key=len) if known else name


def _url_speakers(url: str, site: Site) -> list[str]:
    """The speaker the URL's folder stands for (`Site.url_speakers`), as a list of one, else []."""
    path = urlsplit(url).path
    return next(([name] for pattern, name in site.url_speakers if pattern.search(path)), [])


def classify_kind(title: str, site: Site) -> str:
    """The kind of statement its title announces: the first of the site's kind rules whose regex matches, else
    the site's default kind."""
    for pattern, kind in site.kind_rules:
        if pattern.search(title):
            return kind
    return site.default_kind


def canonical_url(url: str, site: Site, keep_query: bool = False) -> str:
    """The canonical form of a URL: the site's canonical host (fmprc.gov.cn, mfa.gov.cn and their www forms all
    become www.fmprc.gov.cn), https for the site's own hosts, no port, the site's path aliases resolved
    (`Site.canonical_paths`: the Chinese site's /zyxw/… is its /web/zyxw/…), no fragment, percent-encoding
    normalized (w3lib), and of the query only the parameters that identify a statement page
    (`Site.query_parameters`, sorted; none by default), so that `./t1782879.shtml?from=list` and `…#top` name one
    statement. `keep_query` keeps the whole query, sorted: for listing pages (whitehouse.gov's `?page=2`) and for
    looking a URL up in a recording."""
    parts = urlsplit(canonicalize_url(url, keep_fragments=False))
    host = (parts.hostname or "").lower()
    scheme = parts.scheme
    path = parts.path or "/"
    query = parts.query
    if not keep_query and query:
        kept = set(site.query_parameters)
        query = "&".join(pair for pair in query.split("&") if pair.partition("=")[0] in kept)
    if host in site.canonical_hosts:
        host = site.canonical_hosts[host]
        scheme = "https"
        for pattern, replacement in site.canonical_paths:
            path = pattern.sub(replacement, path)
    elif parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    return urlunsplit((scheme, host, path, query, ""))


def request_url(url: str, site: Site) -> str:
    """The URL to request for a statement link: the link as written (its host and scheme, which the site serves),
    without the fragment and the query parameters that do not identify the page (see `canonical_url`)."""
    parts = urlsplit(url)
    if not parts.query and not parts.fragment:
        return url
    kept = set(site.query_parameters)
    query = "&".join(pair for pair in parts.query.split("&") if pair and pair.partition("=")[0] in kept)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def statement_id(url: str) -> str:
    """A statement's id: the first 16 hex digits of the SHA-256 of its canonical URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def content_hash(title: str, body: str) -> str:
    """SHA-256 hex of the title and body; it changes exactly when the statement's text changes."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def clean_paragraphs(raw: list[str], title: str, site: Site) -> list[tuple[int, str]]:
    """Normalize paragraph texts, split them where the site says a paragraph ran into the next
    (`Site.paragraph_breaks`), and drop the empty ones, a first paragraph that repeats the title, and paragraphs
    that are wholly site boilerplate ("Print", "Suggest to a friend:", …).

    Returns:
        (index in `raw`, normalized text) of each paragraph kept, in order; the pieces of a split paragraph share
        its index.
    """
    kept = []
    for index, text in enumerate(raw):
        text = clean_text(text)
        pieces = site.paragraph_breaks.split(text) if site.paragraph_breaks is not None and text else [text]
        for piece in pieces:
            if not piece or any(pattern.fullmatch(piece) for pattern in site.boilerplate_paragraphs):
                continue
            kept.append((index, piece))
    if kept and kept[0][1].casefold() == title.casefold():
        kept.pop(0)
    return kept


def normalize(page: PageItem, extracted: Extracted, site: Site) -> Statement:
    """Turn a page's extracted fields into a `Statement`.

    Raises:
        NotAStatement: reason "no-title" when the title is empty once cleaned, "empty-body" when nothing but the
            title and boilerplate is left of the body.
    """
    title = clean_text(extracted.title)
    if not title:
        raise NotAStatement("no-title", "the title holds only invisible characters")
    kept = clean_paragraphs(extracted.paragraphs, title, site)
    paragraphs = [text for _, text in kept]
    if not paragraphs:
        raise NotAStatement("empty-body", "no paragraph left after boilerplate removal")
    lead = paragraphs[0]
    found = find_date(page, extracted, title, lead, site, closing=paragraphs[-1])
    url = canonical_url(page.url, site)
    body = "\n\n".join(paragraphs)
    language = statement_language(title, paragraphs, site.language)
    return Statement(
        id=statement_id(url),
        site=site.name,
        language=language.language,
        site_language=site.language,
        language_source=language.source,
        url=url,
        title=title,
        kind=classify_kind(title, site),
        date=found.date,
        date_source=found.source,
        published_at=found.published_at,
        speakers=find_speakers(title, lead, site) or _url_speakers(url, site),
        paragraphs=paragraphs,
        body=body,
        content_hash=content_hash(title, body),
        bold=[index < len(extracted.bold) and extracted.bold[index] for index, _ in kept],
    )


class NormalizePipeline:
    """Item pipeline: fills `PageItem.statement` from `PageItem.extracted`; rejects pages left empty; warns (and
    counts `statements/listing_date_mismatch`) when the listing's date for a page is not the page's date; counts
    `statements/language_from_text` (and logs at INFO) the statements whose text is not in the site's language."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        """The pipeline of a crawl, counting rejections in the crawl's stats."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Normalize an extracted page item; other items pass through."""
        if not isinstance(item, PageItem) or item.extracted is None:
            return item
        site = get_site(item.site)
        try:
            item.statement = normalize(item, item.extracted, site)
        except NotAStatement as rejection:
            reject(item, rejection, self.stats)
        if item.statement.language_source == "text":
            if self.stats is not None:
                self.stats.inc_value("statements/language_from_text")
            logger.info(
                "%s is in %r, not the site's %r",
                item.url,
                item.statement.language,
                item.statement.site_language,
            )
        listed = _full_date((item.hints or {}).get("listing_date"), site)
        if listed and item.statement.date and listed.isoformat() != item.statement.date:
            if self.stats is not None:
                self.stats.inc_value("statements/listing_date_mismatch")
            logger.warning(
                "the listing dates %s %s, the page %s (%s)",
                item.url,
                listed,
                item.statement.date,
                item.statement.date_source,
            )
        return item
