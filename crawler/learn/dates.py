"""Date formats the learner knows, and reading them.

Each format is a regex with the named groups the core reads (`year`, `month`, `day`; `Site.page_dates`,
`title_dates`, …). Year-first numeric dates ("2020-07-03", "2020年7月3日") the core reads without a declaration
(`pipelines.normalize._PAGE_DATE`); the others are declared in the learned module.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from crawler.sites.base import ENGLISH_MONTH_RE, ENGLISH_MONTHS

_ORDINAL = r"(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class DateFormat:
    """One way of writing a date.

    Attributes:
        name: how it looks ("Month D, YYYY").
        regex: the full date, groups `year`, `month`, `day`.
        yearless: the same with the year optional (for titles: "… on September 10").
        native: whether the core reads it in a page's date element without a declaration.
        months: whether `month` is a word (the module then declares `month_names`).
    """

    name: str
    regex: str
    yearless: str
    native: bool = False
    months: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled full-date regex."""
        return _compiled(self.regex)


FORMATS: tuple[DateFormat, ...] = (
    DateFormat(
        "YYYY-MM-DD",
        r"(?P<year>\d{4})\s*[-/.]\s*(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})(?!\d)",
        r"(?P<year>\d{4})\s*[-/.]\s*(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})(?!\d)",
        native=True,
    ),
    DateFormat(
        "YYYY年M月D日",
        r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日",
        r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日",
        native=True,
    ),
    DateFormat(
        "Month D, YYYY",
        ENGLISH_MONTH_RE + rf"\s*(?P<day>\d{{1,2}}){_ORDINAL},?\s*(?P<year>\d{{4}})",
        ENGLISH_MONTH_RE + rf"\s*(?P<day>\d{{1,2}}){_ORDINAL}(?:\s*,?\s*(?P<year>\d{{4}}))?(?!\d)",
        months=True,
    ),
    DateFormat(
        "D Month YYYY",
        rf"(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?" + ENGLISH_MONTH_RE + r",?\s+(?P<year>\d{4})",
        rf"(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?" + ENGLISH_MONTH_RE + r"(?:,?\s+(?P<year>\d{4}))?",
        months=True,
    ),
    DateFormat(
        "DD.MM.YYYY",
        r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?!\d)",
        r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?!\d)",
    ),
)

_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(regex: str) -> re.Pattern[str]:
    if regex not in _CACHE:
        _CACHE[regex] = re.compile(regex)
    return _CACHE[regex]


def _make(groups: dict[str, str | None], default_year: int | None = None) -> dt.date | None:
    month_text = groups.get("month") or ""
    month = int(month_text) if month_text.isdigit() else ENGLISH_MONTHS.get(month_text.lower().rstrip("."))
    year = int(groups["year"]) if groups.get("year") else default_year
    if month is None or year is None or not groups.get("day"):
        return None
    try:
        return dt.date(year, month, int(groups["day"]))  # type: ignore[arg-type]
    except ValueError:
        return None


@dataclass(frozen=True)
class FoundDate:
    """A date found in a text: its format, the date (None when the text gives no year), where it starts and
    ends."""

    format: DateFormat
    date: dt.date | None
    start: int
    end: int
    month_day: tuple[int, int]


def find_date(
    text: str, formats: tuple[DateFormat, ...] = FORMATS, yearless: bool = False
) -> FoundDate | None:
    """The first date in `text` in one of the formats (the earliest match; ties: the first format).

    With `yearless`, dates without a year ("September 10") are found too, with `date` None.
    """
    found: list[FoundDate] = []
    for form in formats:
        match = _compiled(form.yearless if yearless else form.regex).search(text)
        if match is None:
            continue
        groups = match.groupdict()
        full = _make(groups)
        probe = _make(groups, default_year=2000)
        if probe is None:
            continue
        found.append(FoundDate(form, full, match.start(), match.end(), (probe.month, probe.day)))
    return min(found, key=lambda item: item.start) if found else None


def read_listing_date(text: str | None) -> dt.date | None:
    """The full date a listing entry's text gives, in any known format, or None."""
    if not text:
        return None
    found = find_date(text)
    return found.date if found else None


@dataclass(frozen=True)
class DateRule:
    """A date pattern learned for titles, leads or closing lines.

    Attributes:
        regex: the pattern as declared (groups `year`, `month`, `day`; the year optional in titles).
        format: the date format it reads.
        seen: (texts where it finds a date, texts looked at).
        agrees: (dates equal to the listing's or the page element's, dates that could be compared).
        where: "at the end", "at the start" or "anywhere" in the text.
    """

    regex: str
    format: DateFormat
    seen: tuple[int, int]
    agrees: tuple[int, int]
    where: str


def learn_title_dates(titles: dict[str, str], known: dict[str, dt.date]) -> DateRule | None:
    """The pattern of the dates titles carry ("… Regular Press Conference on July 3, 2020", "2020年7月3日…",
    "… (Bratislava, December 5, 2019)"): the format most titles use, at the end or start of the title where nine in
    ten put it there; the year optional (a title that gives none takes the year of the nearest evidence). Declared
    when it finds a date in a quarter of the titles, or in one title at its end or start (a dateline: the other titles
    of a small sample may give none), and agrees with nine in ten of the known dates.
    """
    found = {url: find_date(title, yearless=True) for url, title in titles.items()}
    found = {url: item for url, item in found.items() if item is not None}
    if not found or (len(found) >= 2 and len(found) * 4 < len(titles)):
        return None
    form = Counter(item.format.name for item in found.values()).most_common(1)[0][0]
    chosen = {url: item for url, item in found.items() if item.format.name == form}
    fmt = next(item.format for item in chosen.values())
    compared = [url for url, item in chosen.items() if url in known and item.date is not None]
    agree = sum(chosen[url].date == known[url] for url in compared)
    if compared and agree < 0.9 * len(compared):
        return None
    ends = sum(not re.sub(r"[\s)）\]】.。]", "", titles[url][item.end :]) for url, item in chosen.items())
    starts = sum(not titles[url][: item.start].strip() for url, item in chosen.items())
    if len(chosen) < 2 and not (ends or starts):
        return None  # one title's date, in the middle of it, may be the subject rather than the day
    if ends >= 0.9 * len(chosen):
        regex, where = fmt.yearless + r"[\s)）\]】.。]*$", "at the end"
    elif starts >= 0.9 * len(chosen):
        regex, where = r"^\s*" + fmt.yearless, "at the start"
    else:
        regex, where = fmt.yearless, "anywhere"
    return DateRule(regex, fmt, (len(chosen), len(titles)), (agree, len(compared)), where)


def learn_text_dates(texts: dict[str, str], known: dict[str, dt.date], where: str) -> DateRule | None:
    """The pattern of dates in a body's first paragraph (`where` "lead": a date in its first 80 characters, "On July
    16, 2020, …") or its last ("closing": a short line that is a date, maybe with a place: "December 6, 2021,
    Minsk"). Declared when it finds a date in one text at least and agrees with nine in ten of the known dates."""
    found = {}
    for url, text in texts.items():
        item = find_date(text)
        if item is None or item.date is None:
            continue
        if where == "lead" and item.start > 80:
            continue
        if where == "closing" and (item.start > 0 or len(text) - item.end > 40 or len(text) > 80):
            continue
        found[url] = item
    if not found:
        return None
    form = Counter(item.format.name for item in found.values()).most_common(1)[0][0]
    chosen = {url: item for url, item in found.items() if item.format.name == form}
    fmt = next(item.format for item in chosen.values())
    compared = [url for url in chosen if url in known]
    agree = sum(chosen[url].date == known[url] for url in compared)
    if compared and agree < 0.9 * len(compared):
        return None
    if where == "lead":
        regex = r"^[^.。!?]{0,80}?" + fmt.regex
    else:
        regex = r"^" + fmt.regex + r"(?:,\s*[^\W\d][\w .'-]{0,30})?\.?$"
    return DateRule(regex, fmt, (len(chosen), len(texts)), (agree, len(compared)), where)


def learn_image_dates(images: dict[str, list[str]], known: dict[str, dt.date]) -> DateRule | None:
    """The pattern of photo file names that carry their upload date (fmprc.gov.cn's `W020180910…jpg`): names of
    images in dated pages that hold that date, or one of the two days before it, as eight digits after a prefix
    the names share. Declared where three pages show it and nine in ten of the names with such a date agree. The
    core uses it only to give a year to a title that has none, or a date to a page that has none."""
    prefixes: Counter[str] = Counter()
    seen = agree = 0
    for url, names in images.items():
        if url not in known:
            continue
        days = {(known[url] - dt.timedelta(days=back)).strftime("%Y%m%d") for back in range(3)}
        for name in names:
            match = re.search(r"(?<!\d)\d*?((?:19|20)\d{6})", name)
            if match is None:
                continue
            seen += 1
            if match.group(1) in days:
                agree += 1
                prefixes[name[: match.start(1)]] += 1
    if not prefixes or agree < 3 or agree < 0.9 * seen:
        return None
    prefix, count = prefixes.most_common(1)[0]
    if count < 0.9 * agree:
        return None
    regex = "^" + re.escape(prefix) + r"(?P<year>(?:19|20)\d\d)(?P<month>[01]\d)(?P<day>[0-3]\d)"
    fmt = FORMATS[0]
    return DateRule(regex, fmt, (count, len(images)), (agree, seen), "in image file names")
