"""A statement template, learned by comparing statement pages of one section.

What repeats across the pages (the same text in at least a third of them, at least two) is boilerplate; what is
left of each page, less link lists and the title, is its own text; the body is the smallest element holding
nearly all of it (85 %), and its selector the one that finds that element on the most pages. The title is the
element whose text is the listing's link text for the page; the date element the one that holds a date on the
pages, agreeing with the listing's dates where the listing shows them. Paragraphs that repeat at the start or end
of the bodies (exactly, or but for their digits and month names) are boilerplate paragraphs; blocks inside the
body holding only repeated text or menus are removed by selector.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html

from crawler.items import PageItem
from crawler.learn import selectors
from crawler.learn.dates import ENGLISH_MONTH_RE, DateFormat, find_date
from crawler.learn.links import links_of, title_like
from crawler.learn.pages import Page
from crawler.sites.base import Listing, Section, Site, Template
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import clean_paragraphs, clean_text

SOFT_404 = re.compile(
    r"\b404\b|not found|page (?:does not|doesn't|cannot|could not) (?:exist|be found)|系统维护|页面不存在|"
    r"不存在或已删除|找不到|nicht gefunden|introuvable|no encontrada|не найдена|見つかりません",
    re.IGNORECASE,
)
"""Words of error and maintenance pages in the languages of the world's foreign ministries' sites."""
BODY_SHARE = 0.85
"""The body is the smallest element holding this share of a page's own text."""


def repeat_threshold(pages: int) -> int:
    """In how many of `pages` pages a text must appear to be boilerplate: a third, at least two."""
    return max(2, math.ceil(pages * 0.3))


@dataclass
class Rejected:
    """A fetched statement link that is not a statement page, and why (never learned from)."""

    url: str
    reason: str


@dataclass
class Learned:
    """What was learned of one template, with the evidence for each field.

    Attributes:
        pages: statement pages learned from.
        title, body, date: selectors (date None where no element holds one); `*_seen`: on how many pages each
            finds what it should.
        date_format: the format of the date element.
        breadcrumb, end: selectors, or None.
        marker: selector present on every statement page and on no listing page (else the body's).
        remove: selectors of boilerplate blocks inside the body.
        single_br_splits, blank_line_splits: how the bodies mark paragraphs.
        boilerplate: (regex, what it was learned from) of each boilerplate paragraph.
        paragraphs: each page's paragraphs as the core extracts them with the learned template.
        titles: each page's title as the core extracts it.
        images: file names of the images in each page's body.
        dates: each page's date element's date (where found).
        notes: lines for the report (pages that disagreed, fields not learned).
    """

    pages: list[Page]
    title: str
    title_seen: int
    body: str
    body_seen: float
    date: str | None = None
    date_seen: int = 0
    date_format: DateFormat | None = None
    date_agrees: tuple[int, int] = (0, 0)
    breadcrumb: str | None = None
    end: str | None = None
    marker: str = ""
    remove: list[str] = field(default_factory=list)
    single_br_splits: bool = True
    blank_line_splits: bool = False
    boilerplate: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    dates: dict[str, dt.date] = field(default_factory=dict)
    images: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fingerprint(page: Page) -> str:
    return hashlib.sha256("\n".join(unit.text for unit in page.units).encode()).hexdigest()


def screen(
    pages: list[Page], listing_key: tuple[str, ...] | None = None
) -> tuple[list[Page], list[Rejected]]:
    """Set aside pages that are not statements: error and maintenance placeholders (their `<title>` or first
    words say so, or several URLs answer the same page) and listings (title-like links where the listing has its
    entries: a listing of listings)."""
    prints = Counter(_fingerprint(page) for page in pages)
    kept, rejected = [], []
    for page in pages:
        if listing_key is not None:
            entries = {
                link.url for link in links_of(page) if link.key == listing_key and title_like(link.text)
            }
            if len(entries) >= 3:
                rejected.append(
                    Rejected(page.url, f"a listing: {len(entries)} links where the listing has its entries")
                )
                continue
        title = clean_text(page.root.findtext(".//title") or "")
        start = " ".join(unit.text for unit in page.units[:12])[:400]
        match = SOFT_404.search(title) or SOFT_404.search(start)
        if prints[_fingerprint(page)] > 1:
            rejected.append(
                Rejected(page.url, f"the same page answers {prints[_fingerprint(page)]} URLs (a placeholder)")
            )
        elif match:
            rejected.append(Rejected(page.url, f"an error or maintenance page ({match.group(0)!r})"))
        else:
            kept.append(page)
    return kept, rejected


def _own_text(pages: list[Page], titles: dict[str, str]) -> tuple[dict[int, dict[int, int]], Counter[str]]:
    """Per page (by id of its root): element id → characters of the page's own text inside it."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({unit.text for unit in page.units})
    threshold = repeat_threshold(len(pages))
    weights: dict[int, dict[int, int]] = {}
    for page in pages:
        title = titles.get(page.url, "").casefold()
        per: dict[int, int] = {}
        for unit in page.units:
            if counts[unit.text] >= threshold or unit.link_share >= 0.5 or unit.text.casefold() == title:
                continue
            size = len(unit.text)
            per[id(unit.element)] = per.get(id(unit.element), 0) + size
            for ancestor in unit.element.iterancestors():
                per[id(ancestor)] = per.get(id(ancestor), 0) + size
        weights[id(page.root)] = per
    return weights, counts


def _body_element(page: Page, weight: dict[int, int]) -> lxml.html.HtmlElement | None:
    body = page.root.find("body")
    if body is None:
        return None
    total = weight.get(id(body), 0)
    if total < 20:
        return None
    node = body
    while True:
        heavier = [
            child
            for child in node
            if isinstance(child.tag, str) and weight.get(id(child), 0) >= BODY_SHARE * total
        ]
        if not heavier:
            return node
        node = heavier[0]


def _norm(text: str) -> str:
    return clean_text(text).casefold().rstrip(".…").strip()


def _title_matches(found: str, listed: str) -> bool:
    found, listed = _norm(found), _norm(listed)
    if not found or not listed:
        return False
    return found == listed or (len(listed) >= 15 and found.startswith(listed))


def learn_title(pages: list[Page], titles: dict[str, str]) -> tuple[str, int]:
    """The title selector: the one whose first match's text is the listing's link text on the most pages (a
    listing that cuts titles short with "…" matches their start). Falls back to `h1`."""
    cases = []
    for page in pages:
        listed = titles.get(page.url)
        if not listed:
            continue
        wanted = None
        body = page.root.find("body")
        for element in body.iter() if body is not None else ():
            if not isinstance(element.tag, str) or element.tag in ("a", "option", "body", "html"):
                continue
            if any(ancestor.tag == "a" for ancestor in element.iterancestors()):
                continue
            if _title_matches(page.text_of(element), listed):
                wanted = element  # the deepest: iteration goes down the tree
        cases.append((page, listed, wanted))

    def accept(root: lxml.html.HtmlElement, wanted: object, found: list) -> float:
        page, listed = lookup[id(root)]
        text = next((page.text_of(element) for element in found if page.text_of(element)), "")
        return 1.0 if _title_matches(text, listed) else 0.0

    lookup = {id(page.root): (page, listed) for page, listed, _ in cases}
    chosen = selectors.best([(page.root, wanted) for page, _, wanted in cases], accept, extra=("h1", "h2"))
    if chosen is None or chosen[1] == 0:
        return "h1", 0
    return chosen[0], int(chosen[1])


def learn_body(pages: list[Page], titles: dict[str, str]) -> tuple[str | None, float, list[Rejected], dict]:
    """The body selector, its score (pages where it finds the body block; 0.7 where it finds a block around
    it), the pages with no text of their own (rejected), and the per-page weights used."""
    weights, _ = _own_text(pages, titles)
    cases, rejected = [], []
    for page in pages:
        element = _body_element(page, weights[id(page.root)])
        if element is None:
            rejected.append(Rejected(page.url, "no body block: the page has almost no text of its own"))
            continue
        cases.append((page.root, element))

    def accept(root: lxml.html.HtmlElement, wanted: lxml.html.HtmlElement | None, found: list) -> float:
        if not found or wanted is None:
            return 0.0
        first = found[0]
        if first is wanted:
            return 1.0
        weight = weights[id(root)]
        total = weight.get(id(root.find("body")), 1)
        if any(node is first for node in wanted.iterancestors()):
            return 0.7
        if any(node is wanted for node in first.iterancestors()) and weight.get(id(first), 0) >= 0.95 * total:
            return 0.9
        return 0.0

    chosen = selectors.best(cases, accept)
    if chosen is None:
        return None, 0.0, rejected, weights
    return chosen[0], chosen[1], rejected, weights


def _first_text(root: lxml.html.HtmlElement, selector: str) -> str | None:
    css, _, attribute = selector.partition("@")
    for element in selectors.select(root, css):
        text = element.get(attribute, "") if attribute else element.text_content()
        if text.strip():
            return text
    return None


def learn_date(
    pages: list[Page], body: str, listing_dates: dict[str, dt.date], title: str | None = None
) -> tuple[str | None, DateFormat | None, int, tuple[int, int], dict[str, dt.date]]:
    """The page's date element: the selector whose first non-blank text holds a date on the most pages (at least
    four in five), disagreeing with no more than one in ten of the listing's dates; never inside the body, never
    the title (a date in the title is read as a title date).

    Returns:
        (selector or None, its format, pages where it gives a date, (agreeing, compared) with the listing, the
        date of each page).
    """
    pool: list[str] = []
    for page in pages:
        containers = selectors.select(page.root, body)
        inside = {id(node) for node in containers[0].iter()} if containers else set()
        for heading in selectors.select(page.root, title)[:1] if title else ():
            inside |= {id(node) for node in heading.iter()} | {id(node) for node in heading.iterancestors()}
        for element in page.root.iter():
            if not isinstance(element.tag, str) or id(element) in inside:
                continue
            if element.tag == "meta" and element.get("content"):
                found = find_date(element.get("content"))
                if found and found.date:
                    for attribute in ("name", "property", "itemprop"):
                        if element.get(attribute):
                            pool.append(f'meta[{attribute}="{element.get(attribute)}"]@content')
                continue
            if element.tag in ("html", "body", "head", "title", "script", "style", "a"):
                continue
            text = page.text_of(element)
            if not text or len(text) > 120:
                continue
            found = find_date(text)
            if found is None or found.date is None:
                continue
            if any(find_date(page.text_of(child)) for child in element if isinstance(child.tag, str)):
                continue  # a child holds it: the child is the element
            # A bare tag ("div") would pick the page's first block, with every date in it.
            pool += [
                form
                for form in selectors.candidates(element)[:12]
                if re.search(r"[.#\[ ]", form) or form == "time"
            ]
    best: tuple[int, int, int, str] | None = None
    results: dict[str, tuple[DateFormat | None, dict[str, dt.date], tuple[int, int]]] = {}
    for selector in dict.fromkeys(pool):
        if selectors.compiled(selector.partition("@")[0]) is None:
            continue
        dates: dict[str, dt.date] = {}
        formats: Counter[str] = Counter()
        by_name: dict[str, DateFormat] = {}
        for page in pages:
            text = _first_text(page.root, selector)
            found = find_date(text) if text and len(clean_text(text)) <= 120 else None
            if found and found.date:
                dates[page.url] = found.date
                formats[found.format.name] += 1
                by_name[found.format.name] = found.format
        compared = [url for url in dates if url in listing_dates]
        agree = sum(dates[url] == listing_dates[url] for url in compared)
        if compared and agree < 0.9 * len(compared):
            continue
        form = by_name[formats.most_common(1)[0][0]] if formats else None
        results[selector] = (form, dates, (agree, len(compared)))
        candidate = (len(dates), agree, -len(selector), selector)
        best = max(best, candidate) if best else candidate
    if best is None or best[0] < 0.8 * len(pages):
        return None, None, 0, (0, 0), {}
    selector = best[3]
    form, dates, agreement = results[selector]
    return selector, form, len(dates), agreement, dates


def _boilerplate_only(element: lxml.html.HtmlElement, page: Page, repeated: set[str]) -> bool:
    units = [
        unit
        for unit in page.units
        if unit.element is element or any(a is element for a in unit.element.iterancestors())
    ]
    if not units:
        return False
    links = len(list(element.iter("a")))
    return all(unit.text in repeated or (unit.link_share >= 0.5 and links >= 2) for unit in units)


def learn_remove(pages: list[Page], body: str, counts: Counter[str]) -> list[str]:
    """Selectors of blocks inside the body that hold only boilerplate (text repeated across pages, or menus of
    links) on every page they appear on, and appear on two pages at least."""
    repeated = {text for text, count in counts.items() if count >= repeat_threshold(len(pages))}
    pool: Counter[str] = Counter()
    for page in pages:
        containers = selectors.select(page.root, body)
        if not containers:
            continue
        for element in containers[0].iterdescendants():
            if isinstance(element.tag, str) and _boilerplate_only(element, page, repeated):
                for form in selectors.simple_forms(
                    element, bare=element.tag in ("nav", "aside", "form", "footer")
                ):
                    pool[form] += 1
    kept: list[str] = []
    for form, seen in pool.most_common():
        if seen < 2:
            continue
        safe = True
        for page in pages:
            containers = selectors.select(page.root, body)
            if not containers:
                continue
            for element in selectors.select(containers[0], form):
                if element is not containers[0] and not _boilerplate_only(element, page, repeated):
                    safe = False
        if safe:
            kept.append(form)
    # Keep the outermost: a form whose every match lies inside another kept form's match adds nothing.
    outer = []
    for form in kept:
        inside_other = True
        for page in pages:
            containers = selectors.select(page.root, body)
            if not containers:
                continue
            others = [e for other in kept if other != form for e in selectors.select(containers[0], other)]
            for element in selectors.select(containers[0], form):
                if not any(o is not element and any(a is o for a in element.iterancestors()) for o in others):
                    inside_other = False
        if not inside_other:
            outer.append(form)
    return outer[:6]


def _document_order(root: lxml.html.HtmlElement) -> dict[int, int]:
    return {id(element): index for index, element in enumerate(root.iter())}


def learn_end(pages: list[Page], body: str) -> str | None:
    """The footer: the last element (by a named selector) that every page has after its body, outside it."""
    first = pages[0]
    containers = selectors.select(first.root, body)
    if not containers:
        return None
    container = containers[0]
    order = _document_order(first.root)
    inside = {id(node) for node in container.iter()} | {id(node) for node in container.iterancestors()}
    pool: list[tuple[int, str]] = []
    for element in first.root.iter():
        if (
            not isinstance(element.tag, str)
            or id(element) in inside
            or order[id(element)] < order[id(container)]
        ):
            continue
        if element.tag in ("script", "style", "noscript", "link", "meta"):
            continue
        for form in selectors.simple_forms(element, bare=element.tag == "footer"):
            pool.append((order[id(element)], form))
    depth = {id(element): len(list(element.iterancestors())) for element in first.root.iter()}
    element_of = {order[id(element)]: element for element in first.root.iter()}
    # The outermost element after the body that every page has (a footer rather than a link inside it).
    for _, form in sorted(pool, key=lambda item: (depth[id(element_of[item[0]])], -item[0])):
        ok = True
        for page in pages:
            found = selectors.select(page.root, form)
            boxes = selectors.select(page.root, body)
            if not found or not boxes:
                ok = False
                break
            page_order = _document_order(page.root)
            box = boxes[0]
            if page_order[id(found[0])] <= page_order[id(box)] or any(
                a is box for a in found[0].iterancestors()
            ):
                ok = False
                break
        if ok:
            return form
    return None


def learn_breadcrumb(pages: list[Page], body: str) -> str | None:
    """The breadcrumb: a short element of two or more links, outside the body, whose links lead to the site's root
    and to folders above the page ("Home > Press > …"), on most pages."""
    cases = []
    for page in pages:
        path = urlsplit(page.url).path
        wanted = None
        for element in page.root.iter("nav", "div", "ul", "ol", "p", "span", "td"):
            links = [urlsplit(urljoin(page.url, a.get("href") or "")).path or "/" for a in element.iter("a")]
            if len(links) < 2 or len(page.text_of(element)) > 200:
                continue
            above = [
                link
                for link in links
                if link == "/" or (path.startswith(link.rstrip("/") + "/") and link != path)
            ]
            if len(above) >= 2 and len(above) * 2 >= len(links):
                wanted = element  # the deepest one wins: iteration goes down the tree
        cases.append((page.root, wanted))
    if not any(wanted is not None for _, wanted in cases):
        return None
    chosen = selectors.best(cases)
    if chosen is None or chosen[1] < 0.5 * len(pages):
        return None
    return chosen[0]


def _splits(pages: list[Page], body: str) -> tuple[bool, bool]:
    """(single_br_splits, blank_line_splits): a single `<br>` ends a paragraph unless two in three of the bodies'
    `<br>` come in pairs (whitehouse.gov: `<br /><br />`, a single one breaking a line inside a
    paragraph); a blank line in the text ends one where a body has no `<p>` or `<br>` at all."""
    paired = total = blank = 0
    for page in pages:
        boxes = selectors.select(page.root, body)
        if not boxes:
            continue
        box = boxes[0]
        breaks = list(box.iter("br"))
        total += len(breaks)
        paired += 2 * sum(
            1
            for br in breaks
            if not (br.tail or "").strip() and br.getnext() is not None and br.getnext().tag == "br"
        )
        if (
            not breaks
            and not list(box.iter("p"))
            and re.search(r"\S\s*\n[^\S\n]*\n\s*\S", box.text_content())
        ):
            blank += 1
    # Counted over all the <br> of the sample: the pages that are made of them decide.
    return not (total >= 10 and paired * 3 >= total * 2), blank > 0


def provisional_site(template: Template, name: str = "learning") -> Site:
    """A site of one template, to run the core's extraction with what was learned so far."""
    return Site(
        name=name,
        office="",
        language="",
        timezone="UTC",
        allowed_domains=("invalid",),
        canonical_hosts={},
        sections=(Section("learning", "https://invalid/"),),
        listing=Listing(entry="a", statement_url=re.compile(".")),
        templates=(template,),
    )


_MONTH = re.compile(ENGLISH_MONTH_RE)


_RULE = re.compile(r"([^\w\s]|_)\1{2,}")
"""A rule drawn with one character ("_____", "-----", "=====")."""


def skeleton(text: str) -> str:
    """A paragraph with its numbers, English month names and the length of its rules taken out: "For Immediate
    Release April 30, 2009" and "… May 1, 2009" are one skeleton, and so are rules of 63 and 65 underscores."""
    return _RULE.sub("___", re.sub(r"\d+", "0", _MONTH.sub("M", text)))


def skeleton_regex(text: str) -> str:
    """A regex matching the paragraphs of `text`'s skeleton (numbers, month names and rule lengths free)."""
    parts = re.split(r"(\d+|" + ENGLISH_MONTH_RE.replace("?P<month>", "?:") + r"|([^\w\s]|_)\2{2,})", text)
    out = []
    # re.split yields: text, the separator, the rule's character group (None unless a rule), text, …
    for index in range(0, len(parts), 3):
        out.append(re.escape(parts[index]).replace(r"\ ", r"\s"))
        if index + 1 >= len(parts):
            break
        separator, rule = parts[index + 1], parts[index + 2]
        if rule is not None:
            out.append(r"(?:[^\w\s]|_){3,}")  # a rule of any character: "____", "----", "===="
        elif separator.isdigit():
            out.append(r"\d+")
        else:
            out.append(r"[A-Z][a-z]+\.?")
    return "".join(out)


def _repeated(
    text: str, exact: Counter[str], shapes: Counter[str], threshold: int
) -> tuple[str, int, str] | None:
    """(regex, pages, how) where a paragraph repeats on `threshold` pages, exactly or as a skeleton; else None."""
    if exact[text] >= threshold:
        return re.escape(text).replace(r"\ ", r"\s"), exact[text], "the same text"
    if shapes[skeleton(text)] >= threshold and skeleton(text) != text:
        return skeleton_regex(text), shapes[skeleton(text)], "the same text but for numbers, months and rules"
    return None


def learn_boilerplate(paragraphs: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Paragraphs that repeat at the start or the end of the bodies (exactly, or as a skeleton): (regex,
    evidence).

    A paragraph alone at the start or end must repeat on three pages in ten; a run of two or more (a header:
    "THE WHITE HOUSE", "Office of the Press Secretary", a rule, "For Immediate Release", a date) on 15 % of the
    pages, since an era's header is on the pages of that era only. Repeated paragraphs in the middle of a body,
    and a "Thank you." that ends a few speeches, are left alone.
    """
    pages = len(paragraphs)
    low, high = max(2, math.ceil(pages * 0.15)), repeat_threshold(pages)
    exact = Counter(text for texts in paragraphs.values() for text in set(texts))
    shapes = Counter(shape for texts in paragraphs.values() for shape in {skeleton(t) for t in texts})
    found: dict[str, tuple[str, int, str]] = {}
    header: dict[str, None] = {}
    for texts in paragraphs.values():
        for run in (texts, list(reversed(texts))):
            head: list[tuple[str, tuple[str, int, str]]] = []
            for text in run[:10]:
                repeated = _repeated(text, exact, shapes, low) if len(text) <= 200 else None
                if repeated is None:
                    break
                head.append((text, repeated))
            if len(head) == 1 and head[0][1][1] < high:
                continue
            for text, (regex, count, how) in head:
                found.setdefault(regex, (text, count, how))
                if len(head) > 1:
                    header.setdefault(regex, None)
    learned = [
        (regex, f"{how} on {count} of {pages} pages, at the start or end of the body: {text[:60]!r}")
        for regex, (text, count, how) in found.items()
    ]
    if len(header) > 1:
        # A header's lines run together into one paragraph on some pages ("For Immediate Release February 9,
        # 2009"): two or more of them in a row are boilerplate too, with the place in parentheses that a release's
        # header may name ("(Elkhart, Indiana)") and one line of 60 characters at most before and after that the
        # sample did not show ("Office of the Vice President", "EMBARGOED UNTIL …"). Atomic groups: a paragraph
        # that is not one fails at once.
        pieces = "|".join([*header, r"\([^()]{1,60}\)"])
        learned.append(
            (
                f"(?i)(?:[^\\n]{{1,60}}?\\s+)?(?>{pieces})(?:\\s*+(?>{pieces}))++(?:\\s+[^\\n]{{1,60}})?",
                (
                    "two or more of the header lines above run together in one paragraph, in any case, with at"
                    " most a line the sample did not show before and after them"
                ),
            )
        )
    return learned


@dataclass
class CoreRead:
    """Pages as the core's extraction reads them: URL → paragraphs, title, image file names of the body; URL → why
    a page failed."""

    paragraphs: dict[str, list[str]]
    titles: dict[str, str]
    images: dict[str, list[str]]
    failed: dict[str, str]


def core_read(
    pages: list[Page], template: Template, boilerplate: tuple[re.Pattern[str], ...] = ()
) -> CoreRead:
    """Each page as the core reads it with the template (extract, then the paragraph cleaning of normalize)."""
    site = provisional_site(template)
    if boilerplate:
        site = Site(**{**site.__dict__, "boilerplate_paragraphs": boilerplate})
    paragraphs, titles, failed = {}, {}, {}
    images: dict[str, list[str]] = {}
    for page in pages:
        item = PageItem(
            site=site.name,
            url=page.url,
            status=200,
            headers={"Content-Type": ["text/html; charset=utf-8"]},
            body=page.html.encode("utf-8"),
            fetched_at="",
        )
        try:
            extracted = extract(item, site)
        except NotAStatement as rejection:
            failed[page.url] = str(rejection)
            continue
        title = clean_text(extracted.title)
        paragraphs[page.url] = [text for _, text in clean_paragraphs(extracted.paragraphs, title, site)]
        titles[page.url] = title
        images[page.url] = extracted.image_names
    return CoreRead(paragraphs, titles, images, failed)


def learn_template(
    pages: list[Page],
    listing_titles: dict[str, str],
    listing_dates: dict[str, dt.date],
    listing_pages: list[Page],
    listing_key: tuple[str, ...] | None = None,
) -> tuple[Learned | None, list[Rejected]]:
    """Learn the statement template from `pages` (at least two).

    Args:
        pages: the fetched statement pages.
        listing_titles: URL → the listing's link text.
        listing_dates: URL → the listing's date, where it shows one.
        listing_pages: the listing pages fetched (the marker must not be on them).
        listing_key: where the listing's entries sit (a page with title-like links there is a listing).

    Returns:
        The template learned (None when no body block is common to the pages) and the pages set aside.
    """
    kept, rejected = screen(pages, listing_key)
    if len(kept) < 2:
        return None, rejected
    body, body_seen, no_body, _ = learn_body(kept, listing_titles)
    rejected += no_body
    refused = {item.url for item in no_body}
    kept = [page for page in kept if page.url not in refused]
    if body is None or len(kept) < 2:
        return None, rejected
    title, title_seen = learn_title(kept, listing_titles)
    date, date_format, date_seen, agreement, dates = learn_date(kept, body, listing_dates, title)
    _, counts = _own_text(kept, listing_titles)
    remove = learn_remove(kept, body, counts)
    for extra in (title, date.partition("@")[0] if date and "@" not in date else None):
        if extra and all(
            any(any(a is box for a in e.iterancestors()) for e in selectors.select(page.root, extra))
            for page in kept
            for box in selectors.select(page.root, body)[:1]
        ):
            remove.append(extra)  # inside the body on every page: never a paragraph
    single_br, blank_line = _splits(kept, body)
    listing_roots = [page.root for page in listing_pages]
    marker = next(
        (
            selector
            for selector in (title, body)
            if re.search(r"[.#\[]", selector)
            and not any(selectors.select(root, selector) for root in listing_roots)
        ),
        body,
    )
    learned = Learned(
        pages=kept,
        title=title,
        title_seen=title_seen,
        body=body,
        body_seen=body_seen,
        date=date,
        date_seen=date_seen,
        date_format=date_format,
        date_agrees=agreement,
        breadcrumb=learn_breadcrumb(kept, body),
        end=learn_end(kept, body),
        marker=marker,
        remove=list(dict.fromkeys(remove)),
        single_br_splits=single_br,
        blank_line_splits=blank_line,
        dates=dates,
    )
    template = to_template(learned, "learning", "")
    # Boilerplate is learned line by line (every <br> a break): a header's lines that some pages run together in
    # one paragraph are then known one by one, and matched in any grouping.
    lines = Template(**{**template.__dict__, "single_br_splits": True})
    first_read = core_read(kept, lines)
    for url, reason in first_read.failed.items():
        learned.notes.append(f"the core could not read {url} with the learned template: {reason}")
    learned.boilerplate = learn_boilerplate(first_read.paragraphs)
    patterns = tuple(re.compile(regex) for regex, _ in learned.boilerplate)
    final = core_read(kept, template, patterns)
    learned.paragraphs, learned.titles, learned.images = final.paragraphs, final.titles, final.images
    return learned, rejected


def to_template(learned: Learned, name: str, effective: str) -> Template:
    """The `Template` declaration of what was learned."""
    return Template(
        name=name,
        effective=effective,
        marker=learned.marker,
        title=(learned.title,),
        body=learned.body,
        date=(learned.date,) if learned.date else (),
        breadcrumb=learned.breadcrumb,
        remove=tuple(learned.remove),
        single_br_splits=learned.single_br_splits,
        blank_line_splits=learned.blank_line_splits,
        end=learned.end,
    )
