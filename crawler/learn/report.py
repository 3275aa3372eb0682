"""The report `statements learn` prints: what was learned, from what, and what was not."""

from __future__ import annotations

from pathlib import Path

from crawler.learn.process import LearnedSite


def report(site: LearnedSite, path: Path | None = None) -> str:
    """The report, as lines of text: links, pagination, template, boilerplate, dates, what could not be learned,
    and the pages set aside or that disagreed."""
    t = site.template
    n = len(t.pages)
    lines: list[str] = []
    add = lines.append
    if path is not None:
        add(f"wrote {path}")
    add(f"site {site.name}: learned from {site.listing_url}")
    add("")
    add(
        f"statement links: {len(site.group.links)} on the first listing page, {len(site.titles)} on the"
        f" {len(site.listing_pages)} listing pages read"
    )
    add(
        f"  selector {site.entry} (exactly the links on {site.entry_exact[0]} of {site.entry_exact[1]} listing pages)"
    )
    add(f"  URL shape {site.statement_url}")
    for size, example in site.group.others:
        add(f"  next largest group: {size} links, e.g. {example}")
    p = site.pagination
    if p is None:
        add("pagination: none found (one listing page)")
        for note in site.pagination_notes:
            add(f"  tried: {note}")
    elif p.kind == "count":
        add(f"pagination: {p.evidence}; pages named {p.page_url} ({p.url} checked)")
    else:
        add(f"pagination: {p.evidence}, selector {p.selector} ({p.url} checked)")
    add("")
    add(f"template, from {n} statement pages:")
    add(f"  title       {t.title}  (the listing's link text on {t.title_seen} of {n})")
    add(f"  body        {t.body}  (the block of each page's own text on {t.body_seen:g} of {n})")
    add(
        f"  date        {t.date or '-'}"
        + (f"  ({t.date_format.name}, on {t.date_seen} of {n})" if t.date else "")
    )
    add(f"  breadcrumb  {t.breadcrumb or '-'}")
    add(f"  footer      {t.end or '-'}")
    add(
        f"  paragraphs  {'one <br> ends one' if t.single_br_splits else 'two <br> end one'}"
        + (", blank lines too" if t.blank_line_splits else "")
    )
    add(f"boilerplate removed: {len(t.remove)} blocks inside the body, {len(t.boilerplate)} paragraphs")
    for selector in t.remove:
        add(f"  block {selector}")
    for regex, evidence in t.boilerplate:
        add(f"  paragraph {regex}  ({evidence})")
    add("")
    add("dates:")
    if t.date:
        agree, compared = t.date_agrees
        add(
            f"  page element {t.date}: {t.date_format.name}"
            + (f", the listing's on {agree} of {compared}" if compared else "")
        )
    for label, rule in (
        ("title", site.title_dates),
        ("lead", site.lead_dates),
        ("closing line", site.closing_dates),
    ):
        if rule is not None:
            add(f"  {label}: {rule.format.name} {rule.where}, on {rule.seen[0]} of {rule.seen[1]}")
    if site.entry_dates is not None:
        add(
            f"  listing: {site.entry_dates.format.name} beside {site.entry_dates.seen[0]} of"
            f" {site.entry_dates.seen[1]} entries"
        )
    if not (t.date or site.title_dates or site.lead_dates or site.closing_dates or site.entry_dates):
        add("  none found: statements will be stored without a date")
    add(f"language: {site.language[0]} ({site.language[1]})")
    add(
        f"time zone: {site.timezone[0] or 'UTC, NOT LEARNED'} ({site.timezone[1]})"
        + ("" if site.timezone[0] else ": give --timezone")
    )
    add(
        f"kinds: {', '.join(f'{rule.kind} {rule.seen}' for rule in site.kinds)} of {n} titles; else {site.default_kind}"
    )
    if site.speakers:
        for rule in site.speakers:
            add(f"speakers: {', '.join(rule.names)} ({rule.seen[0]} of {rule.seen[1]} titles)")
    else:
        add("speakers: no pattern holds across the titles")
    add("")
    missing = [
        label
        for label, value in (
            ("date", t.date or site.title_dates or site.lead_dates or site.closing_dates),
            ("pagination", site.pagination),
            ("breadcrumb", t.breadcrumb),
            ("footer", t.end),
            ("time zone", site.timezone[0]),
            ("speakers", site.speakers),
        )
        if not value
    ]
    add(
        f"not learned: {', '.join(missing) if missing else 'nothing of the above'}; never learned: transcript turns,"
        ' translations, document numbers (add them by hand: README, "Adding a site")'
    )
    if site.rejected:
        add(f"not statements ({len(site.rejected)}, not learned from):")
        for item in site.rejected:
            add(f"  {item.url}: {item.reason}")
    if site.failures:
        add(f"not fetched ({len(site.failures)}):")
        for url, reason in site.failures:
            add(f"  {url}: {reason}")
    notes = site.notes + t.notes
    if notes:
        add(f"disagreements and notes ({len(notes)}):")
        for note in notes:
            add(f"  {note}")
    return "\n".join(lines)
