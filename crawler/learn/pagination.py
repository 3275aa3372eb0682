"""How a listing paginates, from the listing's own pages.

Three ways are tried, each only believed once the page it leads to has been fetched and holds statement links of
the same group that the first page does not: a page-count script (`countPage = 13`, `createPageHTML(67, …)`, the
TRS CMS of many governments) with pages named after the first (`default_1.shtml`); a next link (`rel="next"`, a
"Next", "下一页", "›", "»" link, or a link in an element whose class says "next"); a menu of the section's pages
(an archive's month menu, `<select>` options or links to pages of the same URL shape, the page's own among them),
walked in its order.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

from crawler.learn import selectors
from crawler.learn.links import links_of
from crawler.learn.pages import Page, same_site

COUNT_SCRIPTS = (
    re.compile(r"\bcountPage\s*=\s*(\d+)"),
    re.compile(r"\bcreatePageHTML\(\s*['\"]?(\d+)"),
)
"""Scripts that write a listing's page count into the page (the TRS CMS: fmprc.gov.cn and many others)."""
PAGE_URL_FORMS = ("{stem}_{n}{suffix}", "{stem}-{n}{suffix}", "{stem}{n}{suffix}")
"""How the n-th page is named after the first, tried in this order."""
_NEXT_WORDS = re.compile(
    r"(?:next(?:\s+page)?|newer|older|下一页|下页|后页|suivante?|siguiente|próxima|weiter|nächste|далее|следующая"
    r"|次へ|次のページ|다음|التالي)\s*[›»>]*|[›»>]{1,2}",
    re.IGNORECASE,
)
_NEXT_CLASS = re.compile(r"(?:^|[-_\s])next(?:$|[-_\s])", re.IGNORECASE)
PROBE_LIMIT = 100_000
"""Highest page number probed when looking for a listing's last page."""


@dataclass
class Candidate:
    """A way the listing may paginate, with the second page it leads to (to be fetched and checked).

    Attributes:
        kind: "count" (a page-count script), "next" (a next link) or "menu" (a menu of pages).
        url: the listing page it leads to after the first.
        evidence: what on the page showed it, for the report.
        count_regex: the script's regex (kind "count").
        count: the number of pages the first page announces (kind "count").
        page_url: how page n is named (kind "count").
        selector: where the links to further pages are, CSS ending in `@attribute` (kinds "next" and "menu").
    """

    kind: str
    url: str
    evidence: str
    count_regex: str | None = None
    count: int | None = None
    page_url: str | None = None
    selector: str | None = None
    options: tuple[str, ...] = ()


def page_name(first_url: str, form: str, n: int) -> str:
    """Listing page n (n ≥ 1) after `first_url`, named by `form` as the spider names it (`Listing.page_url`)."""
    name = posixpath.basename(urlsplit(first_url).path) or "index.html"
    stem, dot, suffix = name.rpartition(".")
    return urljoin(first_url, form.format(n=n, stem=stem, suffix=dot + suffix))


def _count_candidates(page: Page) -> list[Candidate]:
    found = []
    for script in COUNT_SCRIPTS:
        match = script.search(page.html)
        if match is None or int(match.group(1)) < 2:
            continue
        count = int(match.group(1))
        for form in PAGE_URL_FORMS:
            found.append(
                Candidate(
                    "count",
                    page_name(page.url, form, 1),
                    f"script `{match.group(0)}`: {count} pages",
                    count_regex=script.pattern,
                    count=count,
                    page_url=form,
                )
            )
        break
    return found


def _is_next(element: lxml.html.HtmlElement, text: str) -> bool:
    if "next" in (element.get("rel") or "").lower().split():
        return True
    if text and _NEXT_WORDS.fullmatch(text.strip()):
        return True
    for node in (element, element.getparent()):
        if node is not None and _NEXT_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def _selector_for(page: Page, element: lxml.html.HtmlElement, attribute: str) -> str | None:
    """The shortest selector whose first match on the page is `element`, with `@attribute`."""
    found = selectors.best([(page.root, element)])
    if found is None or found[1] < 1:
        return None
    return f"{found[0]}@{attribute}"


def _next_candidates(page: Page) -> list[Candidate]:
    own = page.url.split("#", 1)[0]
    host = urlsplit(page.url).hostname or ""
    found: dict[str, Candidate] = {}
    for link in links_of(page):
        if link.url == own or not same_site(urlsplit(link.url).hostname or "", host):
            continue
        if not _is_next(link.element, link.text) or link.url in found:
            continue
        # Every selector that leads from this page to that link as the spider reads it; the process keeps the
        # first that also leads on from the second page.
        options = tuple(
            f"{selector}@href"
            for selector in selectors.candidates(link.element)
            if follow(page, f"{selector}@href") == link.url
        )
        if options:
            found[link.url] = Candidate(
                "next",
                link.url,
                f"next link {link.text or '(no text)'!r}",
                selector=options[0],
                options=options,
            )
    return list(found.values())[:3]


def _shape(url: str) -> str:
    return re.sub(r"\d+", "0", url.split("#", 1)[0])


def _menu_candidates(page: Page) -> list[Candidate]:
    """Menus of pages that hold the page's own URL: `<select>` options, or links of the page's URL shape."""
    own = page.url.split("#", 1)[0]
    found = []
    menus: list[tuple[list[lxml.html.HtmlElement], list[str], str]] = []
    for select in page.root.iter("select"):
        options = [option for option in select.iter("option") if (option.get("value") or "").strip()]
        urls = [urljoin(page.url, option.get("value").strip()) for option in options]
        menus.append((options, urls, "value"))
    by_key: dict[tuple[str, ...], list] = {}
    for link in links_of(page):
        if _shape(link.url) == _shape(own):
            by_key.setdefault(link.key, []).append(link)
    for links in by_key.values():
        menus.append(([link.element for link in links], [link.url for link in links], "href"))
    for elements, urls, attribute in menus:
        if own not in urls or len(urls) < 2:
            continue
        position = urls.index(own)
        if position + 1 >= len(urls):
            continue
        first = elements[0]
        selector = _selector_for(page, first, attribute)
        if selector is None:
            continue
        css = selector.rpartition("@")[0]
        # The selector must find the whole menu, in order.
        menu = [urljoin(page.url, (e.get(attribute) or "").strip()) for e in selectors.select(page.root, css)]
        if menu != urls:
            generic = first.tag
            parent = first.getparent()
            for form in selectors.simple_forms(parent, bare=False) if parent is not None else []:
                candidate = f"{form} {generic}"
                menu = [
                    urljoin(page.url, (e.get(attribute) or "").strip())
                    for e in selectors.select(page.root, candidate)
                ]
                if menu == urls:
                    css = candidate
                    break
            else:
                continue
        found.append(
            Candidate(
                "menu",
                urls[position + 1],
                f"menu of {len(urls)} pages ({css}), walked in its order",
                selector=f"{css}@{attribute}",
            )
        )
    return found


def follow(page: Page, selector: str) -> str | None:
    """The listing page the spider goes on to from `page` with `Listing.next_page` = `selector`: the first link
    after the page's own URL among those the selector finds, or the first one when the page's own is not among
    them (`crawler.spiders.base.StatementSpider`)."""
    css, _, attribute = selector.rpartition("@")
    urls = [
        urljoin(page.url, (element.get(attribute) or "").strip()).split("#", 1)[0]
        for element in selectors.select(page.root, css)
        if (element.get(attribute) or "").strip()
    ]
    own = page.url.split("#", 1)[0]
    following = urls[urls.index(own) + 1 :] if own in urls else urls
    return following[0] if following else None


def candidates(page: Page) -> list[Candidate]:
    """Every way the first listing page may paginate, most trusted first: page-count scripts, next links,
    menus."""
    return [*_count_candidates(page), *_next_candidates(page), *_menu_candidates(page)]


def number_template(first_url: str, second_url: str) -> tuple[str, int] | None:
    """The listing pages' URL with the page number as `{n}`, and the second page's number, where the second page's
    URL is the first's with a number added or changed (`…/press-briefings` → `…?page=1`, `index.html` →
    `index_1.html`); None otherwise."""
    spans = [match.span() for match in re.finditer(r"\d+", second_url)]
    if not spans:
        return None
    first_numbers = re.findall(r"\d+", first_url)
    second_numbers = re.findall(r"\d+", second_url)
    if _shape(first_url) == _shape(second_url):
        differing = [i for i, (a, b) in enumerate(zip(first_numbers, second_numbers, strict=True)) if a != b]
        if len(differing) != 1:
            return None
        index = differing[0]
    elif len(second_numbers) == len(first_numbers) + 1:
        index = len(spans) - 1
    else:
        return None
    start, end = spans[index]
    template = (
        second_url[:start].replace("{", "{{").replace("}", "}}")
        + "{n}"
        + second_url[end:].replace("{", "{{").replace("}", "}}")
    )
    number = int(second_numbers[index])
    return (template, number) if number >= 1 else None


def menu_urls(page: Page, selector: str) -> list[str]:
    """The listing pages a menu (`Listing.next_page` selector) lists on a page, in its order."""
    css, _, attribute = selector.rpartition("@")
    return [
        urljoin(page.url, (element.get(attribute) or "").strip())
        for element in selectors.select(page.root, css)
        if (element.get(attribute) or "").strip()
    ]
