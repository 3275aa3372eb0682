"""A fetched page as the learner reads it: decoded by the project's charset rule, parsed by lxml, cut into text
units (the inline text of each block element) for comparison across pages."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import lxml.etree
import lxml.html

from pipelines.encoding import decode_page
from pipelines.extract import BLOCK_TAGS
from pipelines.normalize import clean_text

_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
SKIPPED = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "select",
        "textarea",
        "button",
        "head",
        "title",
    ]
)
"""Elements whose text is never a page's visible text."""


@dataclass(frozen=True)
class Fetched:
    """A response as fetched (live or from a recording): final URL, HTTP status, headers, body bytes."""

    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes


@dataclass
class Unit:
    """The inline text of one block element (its text and that of its inline descendants, not of nested blocks).

    Attributes:
        element: the block element.
        text: the text, whitespace collapsed (`clean_text`).
        link_chars: how many of its characters are inside `<a>` elements.
    """

    element: lxml.html.HtmlElement
    text: str
    link_chars: int

    @property
    def link_share(self) -> float:
        """Share of the text inside links (0–1)."""
        return self.link_chars / max(1, len(self.text))


@dataclass
class Page:
    """A fetched HTML page, parsed.

    Attributes:
        url: the URL fetched.
        root: the lxml document (comments and processing instructions dropped).
        html: the decoded source.
    """

    url: str
    root: lxml.html.HtmlElement
    html: str
    pinned: list[lxml.html.HtmlElement] = field(default_factory=list, repr=False)
    units_cache: list[Unit] | None = field(default=None, repr=False)

    @property
    def units(self) -> list[Unit]:
        """The page's text units in document order (blank ones left out)."""
        if self.units_cache is None:
            self.units_cache = list(_units(self.root))
        return self.units_cache

    def text_of(self, element: lxml.html.HtmlElement) -> str:
        """An element's visible text, whitespace collapsed."""
        return clean_text(" ".join(_visible_text(element)))


def parse(fetched: Fetched) -> Page | None:
    """The page parsed, or None when it is not an HTML document (not text, or no `<html>` to parse)."""
    content_type = next(
        (values[0] for key, values in fetched.headers.items() if key.lower() == "content-type"), None
    )
    if content_type and not any(kind in content_type.lower() for kind in ("html", "xml")):
        return None
    decoded = decode_page(fetched.body, content_type)
    try:
        root = lxml.html.document_fromstring(decoded.text.encode("utf-8"), parser=_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return None
    # Every element's Python proxy is kept alive with the page, so that an element's id() names it for as long as
    # the page lives (lxml makes a new proxy, maybe at a reused address, for an element no one holds).
    return Page(fetched.url, root, decoded.text, list(root.iter()))


def _visible_text(element: lxml.html.HtmlElement) -> list[str]:
    pieces: list[str] = []
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(element, False)]
    while stack:
        node, tail_only = stack.pop()
        if tail_only:
            if node.tail:
                pieces.append(node.tail)
            continue
        if not isinstance(node.tag, str) or node.tag in SKIPPED:
            continue
        if node.text:
            pieces.append(node.text)
        for child in reversed(node):
            stack.append((child, True))
            stack.append((child, False))
    return pieces


def is_block(element: lxml.html.HtmlElement) -> bool:
    """Whether the element starts and ends a paragraph (`pipelines.extract.BLOCK_TAGS`, and `body`)."""
    return isinstance(element.tag, str) and (element.tag in BLOCK_TAGS or element.tag == "body")


def _units(root: lxml.html.HtmlElement) -> list[Unit]:
    body = root.find("body")
    if body is None:
        return []
    units: list[Unit] = []
    for block in body.iter():
        if not is_block(block) or any(
            isinstance(a.tag, str) and a.tag in SKIPPED for a in block.iterancestors()
        ):
            continue
        pieces: list[str] = []
        link = 0
        # Inline content of the block: its text, its inline children (not nested blocks), their tails.
        stack: list[tuple[lxml.html.HtmlElement, bool, bool]] = []
        if block.text:
            pieces.append(block.text)
        for child in reversed(block):
            stack.append((child, True, False))
            stack.append((child, False, False))
        while stack:
            node, tail_only, in_link = stack.pop()
            if tail_only:
                if node.tail:
                    pieces.append(node.tail)
                    link += len(node.tail) if in_link else 0
                continue
            if not isinstance(node.tag, str) or node.tag in SKIPPED or is_block(node):
                continue
            inside = in_link or node.tag == "a"
            if node.text:
                pieces.append(node.text)
                link += len(node.text.strip()) if inside else 0
            for child in reversed(node):
                stack.append((child, True, inside))
                stack.append((child, False, inside))
        text = clean_text(" ".join(pieces))
        if text:
            units.append(Unit(block, text, min(link, len(text))))
    return units


@functools.cache
def same_site(host_a: str, host_b: str) -> bool:
    """Whether two hosts are one site: equal once a leading "www." is dropped."""
    return host_a.lower().removeprefix("www.") == host_b.lower().removeprefix("www.")
