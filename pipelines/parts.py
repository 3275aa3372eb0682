"""Articles split over several pages: which parts a page announces, and where they are.

The TRS CMS of China's ministries cuts a long text into pages: the first carries `createPageHTML(3, 0,
"t20200717_10001", "shtml")` in a script and links, by script, `t20200717_10001_1.shtml` and `_2.shtml` (the
current site: `.html`). Storing the first page alone stores a statement cut short without a word. The spider
fetches every part of a page that announces some (`Site.page_parts`) and yields them with it; the extract pipeline
joins their paragraphs, in order, into one statement at the first part's URL, and rejects a statement whose parts
are not all there ("incomplete": the crawl counts it and does not store it, so that the next crawl tries again) and
a part reached on its own ("page-part"): a part is never a statement of its own. The store keeps each part's bytes in
`pages`, beside the first part's (`part_of`), so that `statements reparse` rebuilds the joined statement offline.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawler.sites.base import Site


@dataclass(frozen=True)
class Parts:
    """The parts a page announces.

    Attributes:
        count: how many pages the article spans (2 or more).
        current: this page's 0-based index among them (0: the first part, the statement's page).
        first: absolute URL of the first part.
        urls: absolute URLs of the parts after the first, in order (part 1 … count − 1).
    """

    count: int
    current: int
    first: str
    urls: tuple[str, ...]


def page_parts(url: str, text: str, site: Site) -> Parts | None:
    """The parts the page at `url` (its decoded source `text`) announces, by the site's `page_parts` regex; None
    where it announces none, fewer than two, or another page's (the first part's name must be this page's file
    name, or its file name less `_n` on part n: a paging script copied into a page by a widget, or a page served
    under another name, splits nothing)."""
    if site.page_parts is None:
        return None
    match = site.page_parts.search(text)
    if match is None:
        return None
    count, current = int(match["count"]), int(match["current"])
    name, ext = match["name"], match["ext"]
    stem = posixpath.splitext(posixpath.basename(urlsplit(url).path))[0]
    own = name if current == 0 else site.page_part_url.format(name=name, n=current, ext=ext).rsplit(".", 1)[0]
    if count < 2 or not 0 <= current < count or stem != own:
        return None
    first = urljoin(url, f"{name}.{ext}")
    urls = tuple(urljoin(url, site.page_part_url.format(name=name, n=n, ext=ext)) for n in range(1, count))
    return Parts(count, current, first, urls)
