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
from crawler.items import Extracted, PageItem, PagePart
from crawler.sites import get_site
from crawler.sites.base import Site, Template
from pipelines.encoding import Decoded, UndecodableError, decode_page
from pipelines.parts import Parts, page_parts

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

    Reasons: "not-html" (the response is not an HTML document), "page-part" (a part after the first of an article
    split over several pages, `pipelines.parts`), "incomplete" (a part of a split article is missing or unreadable:
    the statement is not stored, and the next crawl tries again), "undecodable" (no charset decodes its bytes, see
    `pipelines.encoding`), "soft-404" (an error or maintenance page served
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


_SHARE_MARKUP = re.compile(
    r"share|jiathis|addthis|social|(?:^|[-_])sns(?:$|[-_])|(?:^|[-_])bds_", re.IGNORECASE
)
"""A class or id of a share widget's markup: Baidu's `bdsharebuttonbox` and `bds_weixin`, JiaThis and AddThis
boxes, `share-bar`, `social-links`, `module-sns` (japan.kantei.go.jp, outside the body there)."""
SHARE_LABEL = re.compile(
    r"[\[【(（]?\s*(?:分享到|分享|转发到|Share(?:\s+(?:this|on|via|it))?(?:\s+(?:page|article|story|post))?)"
    r"\s*[:：]?\s*[\]】)）]?",
    re.IGNORECASE,
)
"""The label of a share bar ("分享到：", "Share:", "Share this:"): a paragraph (or a block of links) that is only
this is boilerplate."""
_PRINT_CLOSE = re.compile(
    r"[\[【(（]?\s*(?:打印(?:本页|此页|文章)?|关闭(?:窗口|本页|此页)?|Print(?:\s+(?:this\s+)?(?:page|article))?"
    r"|Close(?:\s+(?:this\s+)?(?:window|page))?)\s*[\]】)）]?",
    re.IGNORECASE,
)
"""The text of a print or close link ("【打印】", "[关闭窗口]", "Print this page")."""
_WORD = re.compile(r"\w")
"""A letter, digit or ideograph: text that says something (not only punctuation, separators, brackets)."""


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def drop_navigation(container: lxml.html.HtmlElement) -> None:
    """Remove, inside a body container, the boilerplate that no site selector names, by what it is rather than by
    where a site puts it (issue 13: share bars, "首页 归档" link cells, print and close links inside the element a
    template calls the body):

    - share widgets: elements whose class or id names one (`_SHARE_MARKUP`);
    - scripted and print/close links: `<a>` with a `javascript:` href or an `onclick`, or whose text is only
      "打印", "关闭窗口", "Print", "Close" (`_PRINT_CLOSE`); a block they leave without a word goes too;
    - link-only blocks: a block element holding two or more links with text and, outside them, no word (only
      spaces, separators, brackets: "首页 | 归档"), or only a share label ("Share: Facebook Twitter"). A block
      with words of its own between its links ("See <a>the statement</a> and <a>the joint communiqué</a>.") is
      text and stays, as does a paragraph that is a single link (an attachment's title).

    Links in the recorded statement bodies (40 of 3,137 corpus pages, 2009–2026) are all in sentences ("click
    HERE") or name anchors: none is removed. Paragraphs that are only a share label ("分享到：", left when its icons
    are images) are dropped by the caller (`SHARE_LABEL`). The container itself is never removed.
    """
    doomed: list[lxml.html.HtmlElement] = []
    anchors = False
    for element in container.iter():
        if element is container or not isinstance(element.tag, str):
            continue
        names = (element.get("class") or "").split() + (element.get("id") or "").split()
        if any(_SHARE_MARKUP.search(name) for name in names):
            doomed.append(element)
        elif element.tag == "a":
            anchors = True
            href = (element.get("href") or "").strip().lower()
            if (
                href.startswith("javascript:")
                or element.get("onclick")
                or _PRINT_CLOSE.fullmatch(_squeezed(element.text_content()))
            ):
                doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is None or not any(ancestor is container for ancestor in element.iterancestors()):
            continue  # inside an element dropped already
        element.drop_tree()
        while parent is not container and not _WORD.search(parent.text_content()):
            grandparent = parent.getparent()
            if grandparent is None:
                break
            parent.drop_tree()
            parent = grandparent
    if not anchors:
        return
    for element in list(container.iter(*BLOCK_TAGS)):
        if element is container or element.getparent() is None:
            continue
        if not any(ancestor is container for ancestor in element.iterancestors()):
            continue  # inside a block dropped already
        links = [link for link in element.iter("a") if _WORD.search(link.text_content())]
        if len(links) < 2:
            continue
        outside = _squeezed(" ".join(element.xpath(".//text()[not(ancestor::a)]")))
        if not _WORD.search(outside) or SHARE_LABEL.fullmatch(outside):
            element.drop_tree()


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


class _Read(NamedTuple):
    """A page decoded and parsed, with the template that matched it."""

    decoded: Decoded
    root: lxml.html.HtmlElement
    template: Template


def _read(page: PageItem | PagePart, site: Site) -> _Read:
    """Decode and parse a recorded page and choose its template.

    Raises:
        NotAStatement: not-html, undecodable, soft-404, challenge or no-template.
    """
    content_type = _header(page.headers, "Content-Type")
    if content_type and not any(kind in content_type.lower() for kind in ("html", "xml")):
        raise NotAStatement("not-html", content_type)
    try:
        decoded = decode_page(page.body, content_type)
    except UndecodableError as error:
        raise NotAStatement("undecodable", str(error)) from None
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
    return _Read(decoded, root, template)


def _body(root: lxml.html.HtmlElement, template: Template) -> tuple[list[Paragraph], list[str]]:
    """The paragraphs of a page's body container, boilerplate stripped, and the file names of its images.

    Raises:
        NotAStatement: no-body, truncated or empty-body.
    """
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
    drop_navigation(container)
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
    paragraphs = [
        paragraph
        for paragraph in split_paragraphs(
            soup.body or soup, template.single_br_splits, template.blank_line_splits
        )
        if not SHARE_LABEL.fullmatch(_squeezed(paragraph.text))
    ]
    if not paragraphs:
        raise NotAStatement("empty-body", "the body container holds no text")
    return paragraphs, image_names


def _further_parts(
    page: PageItem, parts: Parts, site: Site
) -> tuple[list[Paragraph], list[str], list[tuple[str, str, str]]]:
    """The paragraphs and image names of the parts after the first of a split article, in order, and (URL,
    encoding, reason) of each part.

    Raises:
        NotAStatement: "incomplete" where a part was not fetched or is not a readable page of the site's template.
    """
    fetched = {part.url: part for part in page.parts}
    paragraphs: list[Paragraph] = []
    image_names: list[str] = []
    read: list[tuple[str, str, str]] = []
    for number, url in enumerate(parts.urls, start=2):
        where = f"part {number} of {parts.count}"
        part = fetched.get(url)
        if part is None:
            raise NotAStatement("incomplete", f"{where} was not fetched: {url}")
        if part.fault is not None:
            raise NotAStatement("incomplete", f"{where} could not be fetched ({part.fault}): {url}")
        try:
            decoded, root, template = _read(part, site)
            more, images = _body(root, template)
        except NotAStatement as rejection:
            raise NotAStatement("incomplete", f"{where} is not readable ({rejection}): {url}") from None
        paragraphs += more
        image_names += images
        read.append((url, decoded.encoding, decoded.reason))
    return paragraphs, image_names, read


def extract(page: PageItem, site: Site) -> Extracted:
    """Read title, date text and body paragraphs off a recorded statement page; for an article split over several
    pages (`pipelines.parts`), the paragraphs of all its parts, in order.

    Args:
        page: the recorded response (`body`, `headers`, `url`, `status`, and `parts`: the further parts of a split
            article, fetched by the spider).
        site: the site's declarations (templates, selectors).

    Returns:
        The extracted fields, paragraphs still raw (see `Extracted`).

    Raises:
        NotAStatement: the page is not a statement page of this site, or not all of one; `reason` says why
            ("page-part": a part after the first, never a statement of its own; "incomplete": a part of the
            article is missing or unreadable).
    """
    decoded, root, template = _read(page, site)
    title = _first_text(root, template.title)
    if title is None:
        raise NotAStatement("no-title")
    parts = page_parts(page.url, decoded.text, site)
    if parts is not None and parts.current > 0:
        raise NotAStatement("page-part", f"part {parts.current + 1} of {parts.count} of {parts.first}")
    paragraphs, image_names = _body(root, template)
    further: list[tuple[str, str, str]] = []
    if parts is not None:
        more, images, further = _further_parts(page, parts, site)
        paragraphs += more
        image_names += images

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
        parts=further,
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
    """Item pipeline: fills `PageItem.extracted`; rejects pages that are not statements (see `reject`); drops a
    statement split over several pages whose parts are not all there, counted in `statements/incomplete` (the
    crawl then records no section as walked, so that the next crawl fetches it again) and logged at WARNING."""

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
            if rejection.reason != "incomplete":
                reject(item, rejection, self.stats)
            if self.stats is not None:
                self.stats.inc_value("statements/incomplete")
            raise DropItem(
                f"statement not stored, the next crawl tries again: {rejection.detail}; first part {item.url}"
            ) from None
        return item
