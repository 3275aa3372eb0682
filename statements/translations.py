"""Links between a statement and its translation on the same ministry's site in another language.

For each pair of sites a site module declares (`Site.translation_sites`), statements are linked:

0. **page-link**: where the page links its own translation (the current China MFA template does:
   `.news_header_lang`, `.lan_btn`), that link decides, its URL canonicalized by the other site's rules.

China's MFA publishes most spokesperson pages in Chinese first and in English a little later; neither page of
the 2018–2020 template links the other. What is left is matched in two passes over statements of the same kind
(press conference, remarks):

1. **same-day**: both titles give the same date ("… Regular Press Conference on July 3, 2020" ↔
   "2020年7月3日外交部发言人赵立坚主持例行记者会") and the speakers agree once names are written in Latin
   (`Site.speaker_names`: 赵立坚 → Zhao Lijian);
2. **document-number**: what is left (titles without dates, such as the English Remarks t1686638 on Pelosi's
   remarks) is paired with the statement of the other language, by the same speaker and within a day, whose
   document number is nearest below its own: the CMS numbers every document of both sites from one counter and
   the original comes first (佩洛西 t1686604 → t1686638).

A matched statement whose date was only inferred takes its twin's date (`date_source` "translation").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from crawler.sites import get_site
from crawler.sites.base import Site
from pipelines.normalize import canonical_url, statement_id
from statements.cjk import has_cjk
from statements.store import Store

logger = logging.getLogger(__name__)

MAX_DOCUMENT_GAP = 5000
"""Largest difference of document numbers accepted for a document-number match (a day's documents span ~400)."""
LINKED_KINDS = ("press_conference", "remarks")
PAGE_LINK_DAYS = 7
"""A page that links its translation is looked for, from the translation, among the pages dated within this many
days of it: China's MFA publishes a translation the same day or the next; a week leaves room."""


@dataclass
class _Candidate:
    id: str
    date: dt.date | None
    date_source: str
    kind: str
    speakers: frozenset[str] | None
    number: int | None

    def same_speakers(self, other: _Candidate) -> bool:
        """Whether the speakers agree; names that could not be written in Latin agree with anything."""
        return self.speakers is None or other.speakers is None or self.speakers == other.speakers


_UNLINKED = "not exists (select 1 from translations t where t.statement_id = s.id)"
_CHUNK = 500


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _candidate(site: Site, row: tuple[Any, ...]) -> _Candidate:
    sid, url, date, date_source, kind, speakers = row
    match = site.doc_id.search(url) if site.doc_id else None
    names: frozenset[str] | None = frozenset(
        site.speaker_names.get(name, name) for name in json.loads(speakers or "[]")
    )
    if names and any(has_cjk(name) for name in names):
        names = None
    return _Candidate(
        sid,
        dt.date.fromisoformat(date) if date else None,
        date_source,
        kind,
        names,
        int(match.group(1)) if match else None,
    )


_COLUMNS = "s.id, s.url, s.date, s.date_source, s.kind, s.speakers"


def _saved(store: Store, site: Site, ids: list[str] | None) -> list[_Candidate]:
    """The statements of `site` among `ids` (None: all of the site) that are linked to no translation, in rowid
    (date) order."""
    if ids is None:
        rows = store.db.execute(
            f"select s.rowid, {_COLUMNS} from statements s where s.site = ? and {_UNLINKED}", [site.name]
        ).fetchall()
    else:
        rows = [
            row
            for chunk in _chunks(sorted(set(ids)))
            for row in store.db.execute(
                f"select s.rowid, {_COLUMNS} from statements s where s.id in ({_marks(chunk)}) and s.site = ?"
                f" and {_UNLINKED}",
                [*chunk, site.name],
            )
        ]
    return [_candidate(site, row[1:]) for row in sorted(rows)]


def _near(
    store: Store, site: Site, dates: set[dt.date], days: int, kinds: tuple[str, ...]
) -> list[_Candidate]:
    """The unlinked statements of `site` dated within `days` of one of `dates`, or not dated at all, of one of
    `kinds` (all kinds when empty), in rowid order: looked up in the (site, date) index."""
    wanted = sorted(
        {(day + dt.timedelta(days=shift)).isoformat() for day in dates for shift in range(-days, days + 1)}
    )
    kind_filter = f" and s.kind in ({_marks(list(kinds))})" if kinds else ""
    rows = [
        row
        for chunk in _chunks(wanted)
        for row in store.db.execute(
            f"select s.rowid, {_COLUMNS} from statements s where s.site = ? and s.date in ({_marks(chunk)})"
            f"{kind_filter} and {_UNLINKED}",
            [site.name, *chunk, *kinds],
        )
    ]
    rows += store.db.execute(
        f"select s.rowid, {_COLUMNS} from statements s where s.site = ? and s.date is null{kind_filter}"
        f" and {_UNLINKED}",
        [site.name, *kinds],
    ).fetchall()
    return [_candidate(site, row[1:]) for row in sorted(set(rows))]


def _declared(store: Store, ids: list[str], other: Site) -> list[tuple[str, str]]:
    """(statement id, translation's statement id) for each stored page of the statements `ids` that links its
    translation on `other`."""
    links = []
    for chunk in _chunks(ids):
        for mine, declared in store.db.execute(
            f"select statement_id, translations from pages where statement_id in ({_marks(chunk)})"
            " and translations like '{\"%'",
            chunk,
        ):
            url = json.loads(declared).get(other.language)
            if url:
                links.append((mine, statement_id(canonical_url(url, other))))
    return links


def _page_links(store: Store, site: Site, other: Site, saved: list[_Candidate]) -> list[tuple[str, str]]:
    """(statement id, translation's statement id) of the pairs the pages declare, where one of the two is among
    the `saved` statements of `site`, the other stored too, and the `saved` one not linked yet: the saved pages'
    own links, and the links of pages of `other` dated within `PAGE_LINK_DAYS` of a saved statement."""
    saved_ids = {candidate.id for candidate in saved}
    links = []
    for mine, twin in _declared(store, sorted(saved_ids), other):
        if store.db.execute("select 1 from statements where id = ?", [twin]).fetchone():
            links.append((mine, twin))
    dates = {candidate.date for candidate in saved if candidate.date is not None}
    near = [candidate.id for candidate in _near(store, other, dates, PAGE_LINK_DAYS, ())]
    links += [(mine, theirs) for theirs, mine in _declared(store, near, site) if mine in saved_ids]
    return links


def link_translations(store: Store, site_name: str, ids: Iterable[str] | None = None) -> int:
    """Link statements of `site_name` to their translations on each of its `translation_sites`, in the
    `translations` table (both directions), and give matched statements with inferred dates their twin's date.

    Only the statements `ids` (those a crawl or reparse saved) are linked, each to a twin found by indexed
    lookups: its page's link, pages of the other site dated within `PAGE_LINK_DAYS` that link it, and
    statements of the other site dated within a day or not dated (for same-day and document-number matches).
    The work is that of the statements saved, whatever the size of the archive (a run that stores 3 statements
    into one of 200,000: benchmarks/translations.py). A statement with no date at all is matched by its dated
    twin's lookup, when the twin is saved after it, or by page links. `ids` None links every statement of the
    site (a scan: for a database filled by other means).

    Returns:
        The number of new pairs.
    """
    site = get_site(site_name)
    wanted = None if ids is None else list(ids)
    pairs = 0
    for other_name in site.translation_sites:
        other = get_site(other_name)
        saved = _saved(store, site, wanted)
        linked = list(
            dict.fromkeys(
                pair if pair[0] < pair[1] else (pair[1], pair[0])
                for pair in _page_links(store, site, other, saved)
            )
        )
        linked_ids = {statement for pair in linked for statement in pair}
        ours = [c for c in saved if c.id not in linked_ids and c.kind in LINKED_KINDS]
        dates = {c.date for c in ours if c.date is not None}
        theirs = [c for c in _near(store, other, dates, 1, LINKED_KINDS) if c.id not in linked_ids]
        found: list[tuple[_Candidate, _Candidate, str]] = []
        by_day: dict[tuple[str, dt.date | None], _Candidate] = {
            (c.kind, c.date): c for c in theirs if c.date_source == "title" and c.date is not None
        }
        for mine in ours:
            twin = by_day.get((mine.kind, mine.date)) if mine.date_source == "title" else None
            if twin is not None and mine.same_speakers(twin):
                del by_day[(mine.kind, mine.date)]
                found.append((mine, twin, "same-day"))
        matched = {c.id for pair in found for c in pair[:2]}
        rest_mine = [c for c in ours if c.id not in matched and c.number is not None]
        rest_theirs = [c for c in theirs if c.id not in matched and c.number is not None]
        options = []
        for mine in rest_mine:
            for twin in rest_theirs:
                close_in_time = mine.date is None or twin.date is None or abs(mine.date - twin.date).days <= 1
                if mine.kind == twin.kind and mine.same_speakers(twin) and close_in_time:
                    gap = abs(mine.number - twin.number)  # type: ignore[operator]
                    if gap <= MAX_DOCUMENT_GAP:
                        options.append((gap, mine, twin))
        taken: set[str] = set()
        for _, mine, twin in sorted(options, key=lambda option: option[0]):
            if mine.id not in taken and twin.id not in taken:
                taken.update((mine.id, twin.id))
                found.append((mine, twin, "document-number"))
        with store.transaction() as db:
            for mine_id, twin_id in linked:
                for a_id, b_id in ((mine_id, twin_id), (twin_id, mine_id)):
                    db.table("translations").insert(
                        {"statement_id": a_id, "translated_id": b_id, "method": "page-link"}, replace=True
                    )
            for mine, twin, method in found:
                for a, b in ((mine, twin), (twin, mine)):
                    db.table("translations").insert(
                        {"statement_id": a.id, "translated_id": b.id, "method": method}, replace=True
                    )
                    if a.date_source in ("inferred", "none") and b.date is not None:
                        db.table("statements").update(
                            a.id, {"date": b.date.isoformat(), "date_source": "translation"}
                        )
        pairs += len(found) + len(linked)
        logger.info(
            "linked %d statements of %s to their translations on %s",
            len(found) + len(linked),
            site_name,
            other_name,
        )
    return pairs
