"""The site module written from what was learned: plain declarations of `crawler.sites.base`, like the
hand-written modules of `crawler/sites/`, each field commented with what it was learned from, for a person to
read, correct and keep."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from crawler.learn.dates import DateFormat
from crawler.learn.process import LearnedSite
from crawler.sites.base import ENGLISH_MONTH_RE, ENGLISH_MONTHS
from pipelines.normalize import clean_text

_TIME = r"(?:\D{0,3}(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
"""A time after a page's date ("April 30, 2025 19:06"): read into `published_at`."""


def literal(value: str) -> str:
    """A Python string literal for `value`: a raw string where one can hold it (regexes read as written)."""
    if '"' not in value and "\n" not in value and not value.endswith("\\"):
        return f'r"{value}"' if "\\" in value else f'"{value}"'
    return repr(value)


def _pieces(value: str) -> list[str]:
    """A regex as the pieces of a string expression: `ENGLISH_MONTH_RE` by name where it occurs, literals cut
    before a `|` or `(` (never after a backslash) into pieces of about 70 characters."""
    if ENGLISH_MONTH_RE in value:
        before, _, after = value.partition(ENGLISH_MONTH_RE)
        return [*(_pieces(before) if before else []), "ENGLISH_MONTH_RE", *(_pieces(after) if after else [])]
    cuts = (
        [0]
        + [index for index in range(1, len(value)) if value[index] in "|(" and value[index - 1] != "\\"]
        + [len(value)]
    )
    pieces, start = [], 0
    for cut in cuts[1:]:
        if cut - start > 70 and cut != len(value):
            previous = max((c for c in cuts if start < c < cut), default=cut)
            pieces.append(value[start:previous])
            start = previous
    pieces.append(value[start:])
    return [literal(piece) for piece in pieces if piece]


def _regex(value: str, indent: str = "    ") -> str:
    """`re.compile(…)` of a regex, on one line where it fits in 110 characters, else one piece a line."""
    pieces = _pieces(value)
    joined = []
    for index, piece in enumerate(pieces):
        named = piece == "ENGLISH_MONTH_RE" or (index and pieces[index - 1] == "ENGLISH_MONTH_RE")
        joined.append(piece if not index else (f" + {piece}" if named else f" {piece}"))
    single = f"re.compile({''.join(joined)})"
    if len(indent) + len(single) + 4 <= 110:
        return single
    lines = []
    for index, piece in enumerate(pieces):
        named = piece == "ENGLISH_MONTH_RE" or (index and pieces[index - 1] == "ENGLISH_MONTH_RE")
        lines.append(f"{indent}    {'+ ' if index and named else ''}{piece}")
    return "re.compile(\n" + "\n".join(lines) + f"\n{indent})"


def office_name(site: LearnedSite) -> str:
    """The office's name: the part of the statement pages' `<title>` that every page shares ("… - Ministry of
    Foreign Affairs of …"), else the listing's host."""
    parts: Counter[str] = Counter()
    pages = site.template.pages
    for page in pages:
        title = clean_text(page.root.findtext(".//title") or "")
        parts.update({part.strip() for part in re.split(r"\s[-|–—_]\s|_|\|", title) if len(part.strip()) > 3})
    common = [part for part, count in parts.most_common() if count >= 0.8 * len(pages)]
    return common[0] if common else site.host


def _effective(site: LearnedSite) -> str:
    known = list(site.template.dates.values()) + (
        list(site.entry_dates.dates.values()) if site.entry_dates else []
    )
    return min(known).isoformat() if known else dt.date.today().isoformat()


def _date_of(groups: dict[str, str | None]) -> dt.date | None:
    month = groups.get("month") or ""
    number = int(month) if month.isdigit() else ENGLISH_MONTHS.get(month.lower().rstrip("."))
    try:
        return (
            dt.date(int(groups["year"]), number, int(groups["day"]))
            if groups.get("year") and number
            else None
        )
    except (ValueError, TypeError):
        return None


def _page_formats(site: LearnedSite) -> list[DateFormat]:
    formats = []
    for form in (site.template.date_format, site.entry_dates.format if site.entry_dates else None):
        if form is not None and not form.native and form not in formats:
            formats.append(form)
    return formats


def _comment(text: str, indent: str) -> str:
    lines, line = [], ""
    for word in text.split():
        if len(indent) + 2 + len(line) + len(word) + 1 > 110 and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "".join(f"{indent}# {piece}\n" for piece in lines)


def write_module(site: LearnedSite) -> str:
    """The source of the site module (`NAME.py`)."""
    t = site.template
    n = len(t.pages)
    host = site.host
    domain = host.removeprefix("www.")
    hosts = {host: host, domain: host, f"www.{domain}": host}
    out: list[str] = []
    add = out.append
    add(
        f'"""{office_name(site)}, {site.language[0]}: learned by `statements learn` from the listing\n'
        f"{site.listing_url}\n\n"
        f"Learned from {len(site.listing_pages)} listing pages and {n} statement pages"
        f" ({len(site.rejected)} set aside as not statements, {len(site.failures)} not fetched).\n"
        "Review it before crawling: read the comments, compare `statements extract --site NAME --url URL FILE` with a\n"
        'few pages, then correct what is wrong (README, "Adding a site"). Edit freely: nothing rewrites it.\n'
        '"""\n\n'
    )
    add("from __future__ import annotations\n\nimport re\n\n")
    names = ["Listing", "Section", "Site", "Template"]
    months = (
        any(form.months for form in _page_formats(site))
        or (site.title_dates is not None and site.title_dates.format.months)
        or any(rule is not None and rule.format.months for rule in (site.lead_dates, site.closing_dates))
    )
    if months:
        names.insert(0, "ENGLISH_MONTHS")
    if months:
        names.insert(0, "ENGLISH_MONTH_RE")
    add(f"from crawler.sites.base import {', '.join(names)}\n\n")

    add("TEMPLATE = Template(\n")
    add(f'    name="{site.name}",\n')
    add(_comment("the oldest date of the pages learned from", "    "))
    add(f'    effective="{_effective(site)}",\n')
    add(_comment(f"found on the {n} statement pages and on none of the listing pages", "    "))
    add(f"    marker={literal(t.marker)},\n")
    add(
        _comment(f"the element whose text is the listing's link text, on {t.title_seen} of {n} pages", "    ")
    )
    add(f"    title=({literal(t.title)},),\n")
    add(
        _comment(
            f"the smallest element holding {85}% of each page's own text (text not repeated across pages,"
            f" not links, not the title); this selector finds it on {t.body_seen:g} of {n} pages",
            "    ",
        )
    )
    add(f"    body={literal(t.body)},\n")
    if t.date:
        agree, compared = t.date_agrees
        agreement = f", the listing's date on {agree} of {compared}" if compared else ""
        add(_comment(f"holds a date ({t.date_format.name}) on {t.date_seen} of {n} pages{agreement}", "    "))
        add(f"    date=({literal(t.date)},),\n")
    if t.breadcrumb:
        add(_comment("links to the site's root and to folders above the page", "    "))
        add(f"    breadcrumb={literal(t.breadcrumb)},\n")
    if t.remove:
        add(_comment("blocks inside the body holding only text repeated across pages, or menus", "    "))
        add(f"    remove=({', '.join(literal(r) for r in t.remove)},),\n")
    if not t.single_br_splits:
        add(_comment("most bodies separate paragraphs by two <br>: one <br> is a line break", "    "))
        add("    single_br_splits=False,\n")
    if t.blank_line_splits:
        add(_comment("a body written as plain text: blank lines separate its paragraphs", "    "))
        add("    blank_line_splits=True,\n")
    if t.end:
        add(_comment(f"after the body on all {n} pages: a page without it was cut off", "    "))
        add(f"    end={literal(t.end)},\n")
    add(")\n\n")

    add("SITE = Site(\n")
    add(f'    name="{site.name}",\n')
    add(_comment("the part of the pages' <title> they all share: correct it to the office's name", "    "))
    add(f"    office={literal(office_name(site))},\n")
    add(_comment(f"language: {site.language[1]}", "    "))
    add(f'    language="{site.language[0]}",\n')
    zone, why = site.timezone
    add(_comment(f"time zone: {why}", "    "))
    add(f'    timezone="{zone or "UTC"}",\n')
    add(f'    allowed_domains=("{domain}",),\n')
    add("    canonical_hosts={\n")
    for key, value in hosts.items():
        add(f"        {literal(key)}: {literal(value)},\n")
    add("    },\n")
    add(_comment("the listing page learned from", "    "))
    add(f'    sections=(\n        Section("statements", {literal(site.listing_url)}),\n    ),\n')
    add("    listing=Listing(\n")
    group_size = len(site.group.links)
    add(
        _comment(
            f"the listing's largest group of title-like links of one URL shape ({group_size} on the first page);"
            f" this selector finds exactly them on {site.entry_exact[0]} of {site.entry_exact[1]} listing pages",
            "        ",
        )
    )
    add(f"        entry={literal(site.entry)},\n")
    add(_comment("what the paths of all the statement links seen share", "        "))
    add(f"        statement_url={_regex(site.statement_url, '        ')},\n")
    p = site.pagination
    if p is not None and p.kind == "count":
        add(_comment(f"{p.evidence}; page 2 is {p.url}", "        "))
        add(f"        page_count={_regex(p.count_regex or '', '        ')},\n")
        add(f"        page_url={literal(p.page_url or '')},\n")
    elif p is not None:
        add(_comment(f"{p.evidence}; it leads to {p.url}, which lists further statements", "        "))
        add(f"        next_page={literal(p.selector or '')},\n")
    else:
        add(_comment("no pagination found: one page (see the report)", "        "))
    if site.entry_dates is not None:
        dates = site.entry_dates
        if dates.block:
            add(_comment("the element holding one entry, its link and its date", "        "))
            add(f"        entry_block={literal(dates.block)},\n")
        add(
            _comment(
                f"the date beside {dates.seen[0]} of {dates.seen[1]} entries ({dates.format.name})",
                "        ",
            )
        )
        add(f"        entry_date={_regex(dates.format.regex, '        ')},\n")
    add("    ),\n")
    add("    templates=(TEMPLATE,),\n")
    formats = _page_formats(site)
    if formats:
        add(_comment("how the page's date element and the listing write dates", "    "))
        add("    page_dates=(\n")
        for form in formats:
            add(f"        {_regex(form.regex + _TIME, '        ')},\n")
        add("    ),\n")
    for field, rule, what in (
        ("title_dates", site.title_dates, "titles"),
        ("lead_dates", site.lead_dates, "first paragraphs"),
        ("closing_dates", site.closing_dates, "last paragraphs"),
    ):
        if rule is None:
            continue
        agree, compared = rule.agrees
        checked = f", agreeing with the listing or page on {agree} of {compared}" if compared else ""
        add(_comment(f"a date {rule.where} of {rule.seen[0]} of {rule.seen[1]} {what}{checked}", "    "))
        add(f"    {field}=({_regex(rule.regex, '        ')},),\n")
    if months:
        add("    month_names=ENGLISH_MONTHS,\n")
    if site.image_dates is not None:
        rule = site.image_dates
        add(
            _comment(
                f"photos are named after their upload date: {rule.agrees[0]} of {rule.agrees[1]} dated names on the"
                " page's date or the two days before (a title without a year takes the nearest)",
                "    ",
            )
        )
        add(f"    image_date={_regex(rule.regex)},\n")
    if site.speakers:
        add("    speaker_patterns=(\n")
        for rule in site.speakers:
            add(
                _comment(
                    f"names someone in {rule.seen[0]} of {rule.seen[1]} titles: {', '.join(rule.names)}",
                    "        ",
                )
            )
            add(f"        {_regex(rule.regex, '        ')},\n")
        add("    ),\n")
    add(_comment("title words of each kind; the number of sampled titles each rule classifies", "    "))
    add("    kind_rules=(\n")
    for rule in site.kinds:
        add(f"        # {rule.kind}: {rule.seen} of {n} titles\n")
        line = f"        ({_regex(rule.regex, '        ')}, {literal(rule.kind)}),\n"
        if len(line) > 111 or "\n" in line[:-1]:
            line = f"        (\n            {_regex(rule.regex, '            ')},\n            {literal(rule.kind)},\n        ),\n"
        add(line)
    add("    ),\n")
    add(f'    default_kind="{site.default_kind}",\n')
    if t.boilerplate:
        add("    boilerplate_paragraphs=(\n")
        for regex, evidence in t.boilerplate:
            add(_comment(evidence, "        "))
            add(f"        {_regex(regex, '        ')},\n")
        add("    ),\n")
    add(")\n")
    add(f'"""Spider `{site.name}`, learned from {urlsplit(site.listing_url).hostname}."""\n')
    return "".join(out)


def write_site(site: LearnedSite, folder: Path) -> Path:
    """Write the module to `folder/NAME.py` (the folder is made if missing) and return its path.

    Raises:
        FileExistsError: the file exists (a module the user may have corrected is never overwritten).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{site.name}.py"
    with path.open("x", encoding="utf-8") as stream:
        stream.write(write_module(site))
    return path
