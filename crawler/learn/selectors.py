"""CSS selectors that pick the same element on every page of a template.

Candidates are made from what the element and its ancestors are called (tag, id, classes), leaving out what
changes from page to page (classes and ids with digits, state classes such as "odd", "current"); each candidate is
then tried on every page, and the one that finds the wanted element on the most pages wins, the shortest first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

_IDENT = re.compile(r"-?[A-Za-z_][\w-]*")
_UNSTABLE = re.compile(
    r"\d{2,}|(?:^|[-_])(?:odd|even|first|last|active|current|cur|on|selected|hover|open|show|hidden)$",
    re.IGNORECASE,
)
"""Names that differ between pages or items (numbers, states): never part of a learned selector."""


@functools.cache
def compiled(selector: str) -> CSSSelector | None:
    """A compiled CSS selector, or None when it is not valid."""
    try:
        return CSSSelector(selector, translator="html")
    except (SelectorError, SyntaxError, ValueError):
        return None


def select(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    """The elements a CSS selector finds under `root` (none for an invalid selector)."""
    found = compiled(selector)
    return found(root) if found is not None else []


def stable_classes(element: lxml.html.HtmlElement) -> list[str]:
    """The element's classes that can name it on every page."""
    return [
        name
        for name in (element.get("class") or "").split()
        if _IDENT.fullmatch(name) and not _UNSTABLE.search(name)
    ]


def stable_id(element: lxml.html.HtmlElement) -> str | None:
    """The element's id where it can name it on every page."""
    value = element.get("id")
    return value if value and _IDENT.fullmatch(value) and not _UNSTABLE.search(value) else None


def simple_forms(element: lxml.html.HtmlElement, bare: bool = True) -> list[str]:
    """Simple selectors of one element, most specific first: `#id`, `tag.class`, `tag.a.b`, and (with `bare`) the
    tag alone."""
    tag = element.tag
    forms: list[str] = []
    identifier = stable_id(element)
    if identifier:
        forms.append(f"#{identifier}")
    classes = stable_classes(element)
    forms += [f"{tag}.{name}" for name in classes]
    if len(classes) > 1:
        forms.append(tag + "".join(f".{name}" for name in classes))
    if bare:
        forms.append(tag)
    return forms


def candidates(element: lxml.html.HtmlElement, levels: int = 6, suffix: str = "") -> list[str]:
    """Selectors for `element`: its simple forms alone, then under each named ancestor (id or class) up to
    `levels` levels up, by descendant and (for the parent) child combinator. `suffix` is appended to each (e.g.
    " a[href]" to select links inside it)."""
    own = simple_forms(element)
    found: list[str] = [form + suffix for form in own]
    for depth, ancestor in enumerate(element.iterancestors()):
        if depth >= levels or ancestor.tag in ("html", "body"):
            break
        for named in simple_forms(ancestor, bare=False)[:3]:
            for form in own[-3:]:
                found.append(f"{named} {form}{suffix}")
                if depth == 0:
                    found.append(f"{named} > {form}{suffix}")
    return list(dict.fromkeys(found))


def best(
    cases: Iterable[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement | None]],
    accept: Callable[
        [lxml.html.HtmlElement, lxml.html.HtmlElement | None, list[lxml.html.HtmlElement]], float
    ]
    | None = None,
    suffix: str = "",
    extra: Iterable[str] = (),
) -> tuple[str, float] | None:
    """The selector that finds the wanted element on the most pages.

    Args:
        cases: (page root, wanted element or None) for each page; candidates come from the wanted elements.
        accept: score of a selector on one page, given its matches (0–1); default: 1 when its first match is the
            wanted element.
        suffix: appended to each candidate (see `candidates`).
        extra: more candidate selectors to try.

    Returns:
        (selector, total score) of the best candidate (ties: the shorter), or None when there is no case.
    """
    cases = list(cases)
    pool: list[str] = list(extra)
    for _, element in cases:
        if element is not None:
            pool += candidates(element, suffix=suffix)
    pool = list(dict.fromkeys(pool))

    def first_is(root: lxml.html.HtmlElement, wanted: lxml.html.HtmlElement | None, found: list) -> float:
        return 1.0 if found and wanted is not None and found[0] is wanted else 0.0

    scorer = accept or first_is
    scored: list[tuple[float, int, str]] = []
    for selector in pool:
        if compiled(selector) is None:
            continue
        total = sum(scorer(root, wanted, select(root, selector)) for root, wanted in cases)
        scored.append((total, -len(selector), selector))
    if not scored:
        return None
    total, _, selector = max(scored)
    return selector, total
