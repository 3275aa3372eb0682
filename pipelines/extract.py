"""Extract pipeline: recorded bytes → title, date text and body paragraphs, boilerplate stripped.

lxml parses the whole page (fast) and the site template's selectors locate the title, the date element and the
body container; BeautifulSoup (lxml parser) is given no more than the body container, strips the boilerplate
inside it and splits it into paragraphs at block elements (`<p>`, `<div>`, …) and `<br>` runs. Everything
outside the body container (breadcrumb, duplicated title, date element, "Suggest to a friend" form, "Print",
"Related News", scripts) never reaches the paragraphs.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from bs4 import BeautifulSoup, NavigableString, Tag
from lxml.cssselect import CSSSelector
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.faults import is_challenge
from crawler.items import Extracted, PageItem
from crawler.sites import get_site
from crawler.sites.base import Site, Template
from pipelines.encoding import decode_page

BLOCK_TAGS = frozenset(
    "address article aside blockquote center dd details dialog div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot tr td th ul".split()
)
"""Elements that start and end a paragraph."""

INLINE_TAGS = (
    "span", "font", "a", "em", "i", "u", "s", "strike", "sup", "sub", "small", "big", "abbr", "cite", "label",
    "ins", "del", "mark", "q", "tt", "var", "dfn", "kbd", "samp", "bdi", "bdo", "nobr", "wbr", "time", "data",
    "img", "o:p",
)  # fmt: skip
"""Inline elements whose tags are stripped (their text kept) before BeautifulSoup reads the body block, with images
(their file names are read first) and Word's empty `<o:p>`; bold (`<b>`, `<strong>`), line breaks and block
elements stay."""

ALWAYS_REMOVED = (
    "script, style, noscript, template, form, input, select, textarea, button, iframe, object, embed, svg"
)
"""Elements never part of a statement's text, whatever the site."""

# huge_tree: libxml2 otherwise stops at 256 levels of nesting and silently drops the rest of the page.
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)


class NotAStatement(Exception):
    """The page is not a statement page; `reason` says why in one word.

    Reasons: "not-html" (the response is not an HTML document), "soft-404" (an error or maintenance page served
    with HTTP 200), "challenge" (a bot challenge: a script that sets a cookie and reloads, `crawler.faults`), "no-template" (no site template's marker is on the page, e.g. a listing), "no-title",
    "no-body", "truncated" (the template's end marker is missing: the page was cut off), "empty-body" (the body
    container holds no text).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _header(headers: dict[str, list[str]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name.lower() and values:
            return values[0]
    return None


@functools.cache
def _css(selector: str) -> CSSSelector:
    """A compiled CSS selector (compiling one costs more than running it)."""
    return CSSSelector(selector, translator="html")


def _first_text(root: lxml.html.HtmlElement, selectors: tuple[str, ...]) -> str | None:
    """The first non-blank text (or `@attribute` value) that the selectors find, tried in order."""
    for selector in selectors:
        css, _, attribute = selector.partition("@")
        for element in _css(css)(root):
            text = element.get(attribute, "") if attribute else element.text_content()
            if text.strip():
                return text
    return None


def _leading_text(element: lxml.html.HtmlElement, limit: int) -> str:
    """The first `limit` characters of an element's text (without building the rest)."""
    pieces, size = [], 0
    for piece in element.itertext():
        pieces.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return "".join(pieces)[:limit]


def _soft_404(root: lxml.html.HtmlElement, url: str, site: Site, text: bool = True) -> str | None:
    """What marks the page as an error placeholder served with HTTP 200, or None: its URL, its `<title>`, and,
    with `text`, the start of its text (the costly part: only for pages no template matches)."""
    if any(pattern.search(urlsplit(url).path) for pattern in site.soft_404_urls):
        return f"error page URL {urlsplit(url).path}"
    if not site.soft_404:
        return None
    title = root.findtext(".//title") or ""
    body = root.find("body")
    start = " ".join(_leading_text(body, 20_000).split()) if text and body is not None else ""
    for pattern in site.soft_404:
        match = pattern.search(title) or pattern.search(start)
        if match:
            return match.group(0)
    return None


@functools.cache
def _removal_selector(template: Template) -> CSSSelector:
    return CSSSelector(", ".join((ALWAYS_REMOVED, *template.remove)))


def _choose_template(root: lxml.html.HtmlElement, site: Site) -> Template | None:
    for template in site.templates:
        if _css(template.marker)(root):
            return template
    return None


class Paragraph(NamedTuple):
    """A paragraph's raw text, and whether its first words are bold (`<b>`, `<strong>`): on press conference
    transcripts a bold start marks a question ("CCTV: …", t1794629), though not reliably."""

    text: str
    bold: bool


_Piece = tuple[str, bool]
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def _paragraph(pieces: list[_Piece]) -> Paragraph:
    text = "".join(piece for piece, _ in pieces)
    bold = next((flag for piece, flag in pieces if piece.strip()), False)
    return Paragraph(text, bold)


def split_paragraphs(
    container: Tag, single_br_splits: bool, blank_line_splits: bool = False
) -> list[Paragraph]:
    """Split an element's text into paragraphs at block elements and `<br>` runs.

    Args:
        container: a BeautifulSoup element whose boilerplate was already removed.
        single_br_splits: whether one `<br>` ends a paragraph (else it is a space); two or more (with only
            whitespace between) always do. On fmprc.gov.cn a single `<br>` separates paragraphs (t1678295:
            "…self-entertaining. <br>Second, Mr Hunt says…").
        blank_line_splits: whether a blank line inside a text node counts as two `<br>` (plain-text bodies).

    Returns:
        Paragraphs in document order, raw text (whitespace not normalized) with their bold flag; paragraphs
        holding only whitespace are left out. Comments and other non-text nodes are ignored. The walk is
        iterative, so deeply nested markup cannot exhaust the stack.
    """
    paragraphs: list[Paragraph] = []
    lines: list[list[_Piece]] = [[]]  # the current block's text, cut at each <br>

    def flush() -> None:
        blocks: list[list[_Piece]] = []
        if single_br_splits:
            blocks = lines[:]
        else:
            current: list[_Piece] = []
            for line in lines:
                if "".join(piece for piece, _ in line).strip():
                    current += ([(" ", False)] if current else []) + line
                elif current:
                    blocks.append(current)
                    current = []
            blocks.append(current)
        paragraphs.extend(
            _paragraph(block) for block in blocks if "".join(piece for piece, _ in block).strip()
        )
        lines[:] = [[]]

    end_of_block, end_of_bold = object(), object()
    bold = 0
    stack: list[object] = list(reversed(container.contents))
    while stack:
        node = stack.pop()
        if node is end_of_block:
            flush()
        elif node is end_of_bold:
            bold -= 1
        elif isinstance(node, NavigableString):
            if type(node) is NavigableString:  # subclasses are comments, doctypes, CDATA, …
                text = str(node)
                if blank_line_splits and "\n" in text:
                    first, *rest = _BLANK_LINE.split(text)
                    lines[-1].append((first, bold > 0))
                    for piece in rest:
                        lines.extend(([], [(piece, bold > 0)]))
                else:
                    lines[-1].append((text, bold > 0))
        elif isinstance(node, Tag):
            if node.name == "br":
                lines.append([])
            elif node.name in BLOCK_TAGS:
                flush()
                stack.append(end_of_block)
                stack.extend(reversed(node.contents))
            elif node.name in ("b", "strong"):
                bold += 1
                stack.append(end_of_bold)
                stack.extend(reversed(node.contents))
            else:
                stack.extend(reversed(node.contents))
    flush()
    return paragraphs


def _cut_at_end(container: lxml.html.HtmlElement, end: str) -> None:
    """Drop from the body container the template's end element (the footer) and everything after it, where a
    broken page nests them inside the body: a body cut off mid-tag in the site's own database leaves its `<div>`s
    open, and the footer lands in the body (whitehouse.gov, the briefing of September 18, 2009 with Susan
    Rice, ends `<div class="legacy-</div>`)."""
    found = container.cssselect(end)
    if not found:
        return
    element = found[0]
    while element is not container:
        parent = element.getparent()
        if parent is None:
            return
        for following in list(element.itersiblings()):
            parent.remove(following)
        if element is found[0]:
            element.drop_tree()
        element = parent


def extract(page: PageItem, site: Site) -> Extracted:
    """Read title, date text and body paragraphs off a recorded statement page.

    Args:
        page: the recorded response (only `body`, `headers` and `url` are read).
        site: the site's declarations (templates, selectors).

    Returns:
        The extracted fields, paragraphs still raw (see `Extracted`).

    Raises:
        NotAStatement: the page is not a statement page of this site; `reason` says why.
    """
    content_type = _header(page.headers, "Content-Type")
    if content_type and not any(kind in content_type.lower() for kind in ("html", "xml")):
        raise NotAStatement("not-html", content_type)
    decoded = decode_page(page.body, content_type)
    try:
        root = lxml.html.document_fromstring(decoded.text.encode("utf-8"), parser=_UTF8_PARSER)
    except (lxml.etree.ParserError, ValueError) as error:
        raise NotAStatement("not-html", str(error)) from None

    # Placeholders (the "系统维护" page) and challenges carry no statement template: their text is searched only
    # when no template matches; a page that has one is checked by its URL and <title>.
    template = _choose_template(root, site)
    placeholder = _soft_404(root, page.url, site, text=template is None)
    if placeholder is not None:
        raise NotAStatement("soft-404", placeholder)
    if template is None:
        if is_challenge(page.body, page.status):
            raise NotAStatement("challenge", "a bot challenge page (a script that sets a cookie and reloads)")
        raise NotAStatement("no-template", "no site template matches the page")
    title = _first_text(root, template.title)
    if title is None:
        raise NotAStatement("no-title")
    containers = _css(template.body)(root)
    if not containers:
        raise NotAStatement("no-body", template.body)
    if template.end and not _css(template.end)(root):
        raise NotAStatement("truncated", f"the page ends before {template.end}")

    container = containers[0]
    if template.end:
        _cut_at_end(container, template.end)
    image_names = [
        posixpath.basename(urlsplit(img.get("src", "")).path)
        for img in container.iter("img")
        if img.get("src")
    ]
    # lxml drops the boilerplate elements (its compiled selectors are fast; text after them is kept), then
    # BeautifulSoup gets no more than the cleaned block.
    for element in _removal_selector(template)(container):
        if element is not container:
            element.drop_tree()
    # Inline markup carries no paragraph structure: its text stays, its tags go, so that BeautifulSoup builds a
    # tree of blocks, line breaks and bold runs only (MFA bodies wrap every run of text in <span>/<font>: a tenth
    # of the tags are left, and extraction runs twice as fast).
    lxml.etree.strip_tags(container, *INLINE_TAGS)
    for element in container.iter():
        element.attrib.clear()  # no rule reads attributes inside the body: BeautifulSoup need not build them
    soup = BeautifulSoup(
        lxml.html.tostring(container, encoding="unicode", with_tail=False),
        "lxml",
        huge_tree=True,
        multi_valued_attributes=None,
    )
    paragraphs = split_paragraphs(soup.body or soup, template.single_br_splits, template.blank_line_splits)
    if not paragraphs:
        raise NotAStatement("empty-body", "the body container holds no text")

    breadcrumb = _first_text(root, (template.breadcrumb,)) if template.breadcrumb else None
    return Extracted(
        encoding=decoded.encoding,
        encoding_reason=decoded.reason,
        template=template.name,
        title=title,
        date_text=_first_text(root, template.date),
        breadcrumb=breadcrumb,
        paragraphs=[paragraph.text for paragraph in paragraphs],
        bold=[paragraph.bold for paragraph in paragraphs],
        image_names=image_names,
        translations={
            language: urljoin(page.url, href.strip())
            for language, selector in template.translations
            if (href := _first_text(root, (selector,)))
        },
    )


def reject(item: PageItem, rejection: NotAStatement, stats: StatsCollector | None) -> NoReturn:
    """Drop a page that is not a statement: note the reason in `item.rejected`, count it in the crawl stats as
    `statements/rejected/<reason>` and raise DropItem, which Scrapy logs once at WARNING ("Dropped: not a statement
    (reason: detail): URL"), so that later item pipelines never see it."""
    item.rejected = rejection.reason
    if stats is not None:
        stats.inc_value(f"statements/rejected/{rejection.reason}")
    raise DropItem(f"not a statement ({rejection}): {item.url}")


class ExtractPipeline:
    """Item pipeline: fills `PageItem.extracted`; rejects pages that are not statements (see `reject`)."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """The pipeline of a crawl, counting rejections in the crawl's stats."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Extract a page item; other items pass through."""
        if not isinstance(item, PageItem):
            return item
        try:
            item.extracted = extract(item, get_site(item.site))
        except NotAStatement as rejection:
            reject(item, rejection, self.stats)
        return item
