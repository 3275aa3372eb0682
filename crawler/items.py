"""The page item a spider yields, and what the item pipelines make of it.

A spider knows nothing of cleaning: it yields a `PageItem` holding the recorded response. The item pipelines
fill it in turn: `ExtractPipeline` sets `extracted`, `NormalizePipeline` sets `statement`, `StorePipeline`
writes both. `statements reparse` rebuilds the same `PageItem` from the `pages` table, so a better cleaner
never needs a recrawl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Extracted:
    """What the extract pipeline read off a statement page, before normalization.

    Attributes:
        encoding: Python codec name the body bytes were decoded with ("utf-8", "gb18030", …).
        encoding_reason: the rule that chose it (see `pipelines.encoding.Decoded.reason`).
        template: name of the site template that matched the page.
        title: title text as on the page (inner whitespace not yet normalized).
        date_text: text of the page's own date element, or None where it is missing or empty.
        breadcrumb: breadcrumb text ("Home > Press and Media Service > …"), or None.
        paragraphs: body paragraphs in page order, raw text (may hold nbsp, U+3000, runs of whitespace).
        bold: for each paragraph, whether it starts in bold (a sign of a question on transcripts).
        image_names: file names of images in the body (photos named after their upload date on some sites).
        translations: language code → absolute URL of the page's own translation, where the page links it.
        parts: for an article split over several pages, (URL, encoding, encoding_reason) of each part after the
            first whose paragraphs follow the first page's, in order (`pipelines.parts`); empty for one page.
    """

    encoding: str
    encoding_reason: str
    template: str
    title: str
    date_text: str | None
    breadcrumb: str | None
    paragraphs: list[str]
    bold: list[bool] = field(default_factory=list)
    image_names: list[str] = field(default_factory=list)
    translations: dict[str, str] = field(default_factory=dict)
    parts: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Turn:
    """One turn of a press conference transcript: a question, an answer, or a statement (the spokesperson's
    announcements).

    Attributes:
        position: 0-based order in the transcript.
        role: "question", "answer", "statement" (announcements before the first question) or "note" (framing: time stamps, "END").
        speaker: who speaks, for answers and statements (the spokesperson), else None.
        outlet: for questions, the news outlet as the page writes it ("CCTV", "Reuters", "中央电视台",
            "《北京青年报》"), or None where the page names none ("Q:", "问：").
        follow_up: whether the question is marked as a follow-up ("Follow-up:", "追问：").
        text: the turn's paragraphs, label included, joined by a blank line; the texts of all turns, joined by a
            blank line, are the statement's body.
    """

    position: int
    role: str
    speaker: str | None
    outlet: str | None
    follow_up: bool
    text: str


@dataclass
class Statement:
    """One normalized statement: the row stored in the `statements` table.

    Attributes:
        id: 16 hex digits derived from `url` (the canonical URL), so the same page always gets the same id.
        site: spider name ("fmprc_en").
        language: ISO 639-1 code of the text (the site's, unless the text is in another language: see
            `language_source`).
        url: canonical URL.
        title: title, whitespace normalized, NFC.
        kind: press_conference, remarks, speech, meeting, statement, interview or news.
        date: ISO date (YYYY-MM-DD) in the site's time zone (Asia/Shanghai for China MFA), or None.
        date_source: how `date` was found: title, page, lead, closing, inferred or none (after a crawl, "translation"
            when a translation's date replaced an inferred one).
        published_at: ISO 8601 date-time with offset where the page gives a time, else None.
        speakers: names of the people speaking, in order of appearance.
        paragraphs: body paragraphs, normalized.
        body: paragraphs joined by a blank line.
        content_hash: SHA-256 hex of title and body; changes when the text changes.
        bold: for each paragraph, whether it starts in bold (read by the segment pipeline; not stored).
        turns: the questions, answers and statements of a transcript (set by the segment pipeline).
        site_language: the language the site declares for its statements (`Site.language`).
        language_source: "site" where `language` is the site's (the text agrees, or is too short or unclear to
            tell), "text" where the text is in another language (`pipelines.language`).
    """

    id: str
    site: str
    language: str
    url: str
    title: str
    kind: str
    date: str | None
    date_source: str
    published_at: str | None
    speakers: list[str]
    paragraphs: list[str]
    body: str
    content_hash: str
    bold: list[bool] = field(default_factory=list, repr=False)
    turns: list[Turn] = field(default_factory=list, repr=False)
    site_language: str | None = None
    language_source: str = "site"

    def as_json(self) -> dict[str, Any]:
        """Return the statement in the shape `statements extract` prints (see DESIGN.md)."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "date": self.date,
            "date_source": self.date_source,
            "published_at": self.published_at,
            "kind": self.kind,
            "speakers": self.speakers,
            "language": self.language,
            "language_source": self.language_source,
            "paragraphs": self.paragraphs,
            "body": self.body,
            "turns": [
                {
                    "role": t.role,
                    "speaker": t.speaker,
                    "outlet": t.outlet,
                    "follow_up": t.follow_up,
                    "text": t.text,
                }
                for t in self.turns
            ],
        }


@dataclass
class PagePart:
    """A further part of an article split over several pages (`pipelines.parts`), as fetched for its first page.

    Attributes:
        url: the part's URL, as its first page announces it (the URL requested).
        status: HTTP status code (0 where no response came).
        headers: response headers, name → list of values.
        body: response body bytes (empty where no response came).
        fetched_at: ISO 8601 UTC time it was fetched.
        fault: why it could not be fetched (a fault reason, `crawler.faults`: "http-404", "timeout", …), else None.
    """

    url: str
    status: int
    headers: dict[str, list[str]] = field(repr=False)
    body: bytes = field(repr=False)
    fetched_at: str
    fault: str | None = None


@dataclass
class PageItem:
    """A recorded response to a statement page, as a spider yields it.

    Attributes:
        site: spider name.
        url: URL the response was fetched from (after redirects).
        status: HTTP status code.
        headers: response headers, name → list of values, as received.
        body: response body bytes (after transfer and content decoding).
        fetched_at: ISO 8601 UTC time the response was fetched (the WARC-Date when replayed).
        hints: what the listing said of the page: section, listing_url, listing_title, listing_date (text or
            None) and neighbours (the adjacent listing entries: url, title, date).
        extracted: set by the extract pipeline.
        statement: set by the normalize pipeline.
        parts: the further parts of an article split over several pages, in order (empty for one page).
        rejected: the reason a pipeline rejected the page as not a statement ("no-template", "soft-404", …), or
            None.

    Its repr shows only site, URL, status and fetch time: Scrapy logs dropped items with their repr.
    """

    site: str
    url: str
    status: int
    headers: dict[str, list[str]] = field(repr=False)
    body: bytes = field(repr=False)
    fetched_at: str
    hints: dict[str, Any] = field(default_factory=dict, repr=False)
    extracted: Extracted | None = field(default=None, repr=False)
    statement: Statement | None = field(default=None, repr=False)
    parts: list[PagePart] = field(default_factory=list, repr=False)
    rejected: str | None = field(default=None, repr=False)
