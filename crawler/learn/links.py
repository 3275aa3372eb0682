"""A listing's statement links: which links they are, the selector and URL pattern that find them, and the date
each entry shows.

The statement links of a listing are its largest group of title-like links (a sentence of text, not a menu
word) that sit at the same place in the page (the same chain of element names from `<body>`) on the listing's
host; their URL shape is what their paths share: the folders they have in common, then the shape of each further
segment (digits, letters, hex, literal text), generalized where the group's URLs differ.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html

from crawler.learn import selectors
from crawler.learn.dates import DateFormat, find_date
from crawler.learn.pages import Page, same_site
from crawler.urls import rebase_loopback

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


@dataclass
class Link:
    """A link of a page.

    Attributes:
        element: the `<a>` element.
        url: the absolute URL it leads to (a saved copy's loopback link read as relative: `rebase_loopback`).
        text: its text, whitespace collapsed.
        key: the element names from `<body>` down to the link: where on the page it sits.
    """

    element: lxml.html.HtmlElement
    url: str
    text: str
    key: tuple[str, ...]


def title_like(text: str) -> bool:
    """Whether a link text reads like a statement's title rather than a menu entry: 20 characters or more, or 6
    or more CJK characters."""
    return len(text) >= 20 or len(_CJK.findall(text)) >= 6


def links_of(page: Page) -> list[Link]:
    """Every `<a href>` of the page that leads to a web page (not a script, mail address or fragment)."""
    found = []
    body = page.root.find("body")
    if body is None:
        return []
    for element in body.iter("a"):
        href = (element.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        url = rebase_loopback(urljoin(page.url, href), page.url).split("#", 1)[0]
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        key = tuple(
            ancestor.tag for ancestor in reversed(list(element.iterancestors())) if ancestor.tag != "html"
        )
        found.append(Link(element, url, page.text_of(element), key))
    return found


@dataclass
class LinkGroup:
    """The statement links of the first listing page, and how to find them on any listing page.

    Attributes:
        key: where the links sit (element names from `<body>`).
        links: the group's title-like links, one per URL, in page order.
        url_pattern: regex over a link's URL path that statement links match (`Listing.statement_url`).
        others: the next largest groups (size, an example URL), for the report.
    """

    key: tuple[str, ...]
    links: list[Link]
    url_pattern: str = ""
    others: list[tuple[int, str]] = field(default_factory=list)


def url_kind(url: str) -> str:
    """What a URL names: "folder" (its path ends in "/"), else its file extension ("shtml", "" for none)."""
    path = urlsplit(url).path or "/"
    if path.endswith("/"):
        return "folder"
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def main_kind(links: list[Link]) -> list[Link]:
    """The links of the group's commonest kind (`url_kind`): a profile folder linked among `t1794629.shtml`
    statements is not one of them."""
    kinds = Counter(url_kind(link.url) for link in links)
    if not kinds:
        return links
    kind = kinds.most_common(1)[0][0]
    return [link for link in links if url_kind(link.url) == kind]


def find_group(page: Page) -> LinkGroup | None:
    """The listing's statement links: its largest group of title-like links at one place on the page and on the
    page's own site (ties: the longer texts); None when no place holds two or more."""
    own = page.url.split("#", 1)[0]
    host = urlsplit(page.url).hostname or ""
    groups: dict[tuple[str, ...], dict[str, Link]] = {}
    for link in links_of(page):
        if link.url == own or not title_like(link.text):
            continue
        if not same_site(urlsplit(link.url).hostname or "", host):
            continue
        groups.setdefault(link.key, {}).setdefault(link.url, link)
    has_main = bool(page.root.xpath("//main|//*[@role='main']"))
    folder = (urlsplit(page.url).path or "/").rsplit("/", 1)[0] + "/"

    def placed(item: tuple[tuple[str, ...], dict[str, Link]]) -> float:
        # A page's main landmark holds its content, and a section's statements usually live in its folder:
        # a sidebar of another section's links (the Belarus listing's videos) is outweighed.
        links = list(item[1].values())
        inside = any(tag == "main" for tag in item[0]) or any(
            node.get("role") == "main" for node in links[0].element.iterancestors()
        )
        under = folder != "/" and all((urlsplit(link.url).path or "/").startswith(folder) for link in links)
        return _score(links) * (2 if has_main and inside else 1) * (1.5 if under else 1)

    ranked = sorted(groups.items(), key=placed, reverse=True)
    if not ranked or len(ranked[0][1]) < 2:
        return None
    key, chosen = ranked[0]
    group = LinkGroup(key, main_kind(list(chosen.values())))
    group.others = [(len(links), next(iter(links))) for _, links in ranked[1:4]]
    group.url_pattern = generalize_digit_folders(url_pattern([link.url for link in group.links]))
    return group


def _score(links: list[Link]) -> float:
    """How much a group of links looks like a listing's statements: their text (each counted up to 150
    characters: titles are sentences, menu entries words), times the share of links of the group's commonest URL
    shape (depth and kind: statements share one, a menu's sections do not)."""
    if len(links) < 2:
        return 0.0
    shapes = Counter(
        ((urlsplit(link.url).path or "/").rstrip("/").count("/"), url_kind(link.url)) for link in links
    )
    coherence = shapes.most_common(1)[0][1] / len(links)
    return sum(min(len(link.text), 150) for link in links) * coherence


def _segment_regex(values: list[str]) -> str:
    """A regex for the values one path segment takes across a group's URLs."""
    if len(set(values)) == 1:
        return re.escape(values[0])
    if all(value.isdigit() for value in values):
        return r"\d+"
    stems = [value.rsplit(".", 1) for value in values]
    if all(len(stem) == 2 for stem in stems) and len({suffix for _, suffix in stems}) == 1:
        return _segment_regex([stem for stem, _ in stems]) + re.escape("." + stems[0][1])
    if len({len(value) for value in values}) == 1 and all(
        re.fullmatch(r"[0-9a-f]+", value) for value in values
    ):
        return rf"[0-9a-f]{{{len(values[0])}}}"
    tokens = [re.findall(r"[A-Za-z]+|\d+|[^A-Za-z\d]", value) for value in values]
    kinds = {tuple("a" if t[0].isalpha() else "0" if t[0].isdigit() else t for t in seq) for seq in tokens}
    if len(kinds) == 1:
        parts = []
        for column in zip(*tokens, strict=True):
            if len(set(column)) == 1:
                parts.append(re.escape(column[0]))
            elif column[0].isdigit():
                parts.append(r"\d+")
            else:
                parts.append(r"[A-Za-z]+")
        return "".join(parts)
    return r"[^/]+"


def url_pattern(urls: list[str]) -> str:
    """A regex over URL paths that the given statement URLs share: the common folders literally (a folder of
    digits, such as a month's `202112`, as digits), each further segment by its shape. Where the URLs differ in
    depth, what follows the common folders is any path."""
    paths = [urlsplit(url).path or "/" for url in urls]
    split = [path.lstrip("/").split("/") for path in paths]
    depths = {len(segments) for segments in split}
    if len(depths) == 1:
        columns = list(zip(*split, strict=True))
        return "^/" + "/".join(_segment_regex(list(column)) for column in columns) + "$"
    prefix: list[str] = []
    for column in zip(*split, strict=False):
        if len(set(column)) == 1 and not all(len(segments) == len(prefix) + 1 for segments in split):
            prefix.append(re.escape(column[0]))
        elif all(value.isdigit() for value in column):
            prefix.append(r"\d+")
        else:
            break
    return "^/" + "".join(segment + "/" for segment in prefix) + ".+$"


def generalize_digit_folders(pattern: str) -> str:
    """Folders of digits only (a month's `202112`, a year's `2016`) change with time: written as `\\d+`."""
    return re.sub(r"(?<=/)\d+(?=/)", r"\\d+", pattern)


def group_on(page: Page, key: tuple[str, ...], pattern: re.Pattern[str]) -> list[str]:
    """The statement URLs another listing page holds at the group's place, in page order, once each."""
    urls = [
        link.url
        for link in links_of(page)
        if link.key == key and pattern.search(urlsplit(link.url).path or "/")
    ]
    return list(dict.fromkeys(urls))


def selected_urls(page: Page, selector: str, pattern: re.Pattern[str], block: str | None = None) -> list[str]:
    """The statement URLs a listing's entry selector finds on a page, as the spider reads them: within each entry
    block where `block` is given."""
    urls = []
    scopes = selectors.select(page.root, block) if block else [page.root]
    for element in (found for scope in scopes for found in selectors.select(scope, selector)):
        href = (element.get("href") or "").strip()
        if not href:
            continue
        url = rebase_loopback(urljoin(page.url, href), page.url).split("#", 1)[0]
        if pattern.search(urlsplit(url).path or "/"):
            urls.append(url)
    return list(dict.fromkeys(urls))


def entry_selector(
    group: LinkGroup, listings: list[tuple[Page, list[str]]], block: str | None = None
) -> tuple[str, int]:
    """The CSS selector of the entry links: the shortest that finds exactly the group's URLs (once the URL pattern
    is applied) on the most listing pages.

    Args:
        group: the group found on the first page.
        listings: each listing page with the statement URLs it holds at the group's place.

    Returns:
        (selector, pages on which it finds exactly the expected URLs).
    """
    pattern = re.compile(group.url_pattern)
    pool: list[str] = []
    for link in group.links[:5]:
        if block is None:
            pool += selectors.candidates(link.element, suffix="[href]")
            continue
        # Within an entry block only the link and its ancestors inside the block can name it.
        inside = []
        for ancestor in link.element.iterancestors():
            if any(
                ancestor is found
                for found in selectors.select(group.links[0].element.getroottree().getroot(), block)
            ):
                break
            inside.append(ancestor)
        pool += [f"{form}[href]" for form in selectors.simple_forms(link.element)]
        pool += [
            f"{form} a[href]" for ancestor in inside for form in selectors.simple_forms(ancestor, bare=False)
        ]
    scored = []
    for selector in dict.fromkeys(pool):
        if selectors.compiled(selector) is None:
            continue
        exact = sum(selected_urls(page, selector, pattern, block) == expected for page, expected in listings)
        # Ties: the selector that finds the fewest elements (the tightest), then the shortest.
        matched = sum(len(selectors.select(page.root, selector)) for page, _ in listings)
        scored.append((exact, -matched, -len(selector), selector))
    exact, _, _, selector = max(scored)
    return selector, exact


@dataclass
class EntryDates:
    """The dates a listing shows beside its entries.

    Attributes:
        format: the format they are written in.
        block: selector of the element holding one entry (link and date) where the date is not in the link's
            parent element; None where it is.
        dates: URL → the date the listing shows.
        seen: entries with a date / entries looked at.
    """

    format: DateFormat
    block: str | None
    dates: dict[str, dt.date]
    seen: tuple[int, int]


def entry_dates(listings: list[tuple[Page, list[Link]]]) -> EntryDates | None:
    """The date each entry shows, found beside its link: in the link's parent, else in the nearest ancestor that
    holds no other entry (its entry block), never in the link's own text (a title that names a date is not a
    listing date). None when fewer than half the entries show one."""
    found: list[tuple[str, dt.date, DateFormat, int, Page, lxml.html.HtmlElement]] = []
    total = 0
    for page, links in listings:
        elements = {id(link.element) for link in links}
        for link in links:
            total += 1
            node = link.element.getparent()
            for depth in range(5):
                if node is None or node.tag == "body":
                    break
                inner = [a for a in node.iter("a") if id(a) in elements]
                if len(inner) > 1:
                    break
                text = page.text_of(node).replace(link.text, " ", 1)
                date = find_date(text)
                if date is not None and date.date is not None:
                    found.append((link.url, date.date, date.format, depth, page, node))
                    break
                node = node.getparent()
    if not total or len(found) * 2 < total:
        return None
    form = Counter(item[2] for item in found).most_common(1)[0][0]
    depth = Counter(item[3] for item in found).most_common(1)[0][0]
    block = None
    if depth > 0:
        blocks = [(page.root, node) for _, _, _, level, page, node in found if level == depth]
        block = _block_selector(blocks)
    dates = {url: date for url, date, fmt, _, _, _ in found if fmt == form}
    return EntryDates(form, block, dates, (len(dates), total))


def _block_selector(blocks: list[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]]) -> str | None:
    """The selector of the entry blocks: the simple form that finds the most of them."""
    pool = []
    for _, node in blocks[:5]:
        pool += selectors.simple_forms(node, bare=False)
    best: tuple[int, int, str] | None = None
    for selector in dict.fromkeys(pool):
        hits = 0
        for root, node in blocks:
            hits += any(found is node for found in selectors.select(root, selector))
        candidate = (hits, -len(selector), selector)
        best = max(best, candidate) if best else candidate
    return best[2] if best and best[0] * 2 >= len(blocks) else None
