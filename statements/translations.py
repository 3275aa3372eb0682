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
from dataclasses import dataclass

from crawler.sites import get_site
from crawler.sites.base import Site
from pipelines.normalize import canonical_url, statement_id
from statements.cjk import has_cjk
from statements.store import Store

logger = logging.getLogger(__name__)

MAX_DOCUMENT_GAP = 5000
"""Largest difference of document numbers accepted for a document-number match (a day's documents span ~400)."""
LINKED_KINDS = ("press_conference", "remarks")


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


def _candidates(store: Store, site: Site) -> list[_Candidate]:
    linked = {row[0] for row in store.db.execute("select statement_id from translations")}
    rows = store.db.execute(
        f"select id, url, date, date_source, kind, speakers from statements where site = ?"
        f" and kind in ({', '.join('?' * len(LINKED_KINDS))})",
        [site.name, *LINKED_KINDS],
    )
    candidates = []
    for statement_id, url, date, date_source, kind, speakers in rows:
        if statement_id in linked:
            continue
        match = site.doc_id.search(url) if site.doc_id else None
        names: frozenset[str] | None = frozenset(
            site.speaker_names.get(name, name) for name in json.loads(speakers or "[]")
        )
        if names and any(has_cjk(name) for name in names):
            names = None
        candidates.append(
            _Candidate(
                statement_id,
                dt.date.fromisoformat(date) if date else None,
                date_source,
                kind,
                names,
                int(match.group(1)) if match else None,
            )
        )
    return candidates


def _page_links(store: Store, site: Site, other: Site) -> list[tuple[str, str]]:
    """(statement id, translation's statement id) for each stored page of `site` that links its translation on
    `other` where that translation is stored too and the pair is not linked yet."""
    rows = store.db.execute(
        "select p.statement_id, p.translations from pages p where p.site = ? and p.translations like '{\"%'"
        " and not exists (select 1 from translations t where t.statement_id = p.statement_id)",
        [site.name],
    ).fetchall()
    links = []
    for mine, declared in rows:
        url = json.loads(declared).get(other.language)
        if not url:
            continue
        twin = statement_id(canonical_url(url, other))
        if store.db.execute("select 1 from statements where id = ?", [twin]).fetchone():
            links.append((mine, twin))
    return links


def link_translations(store: Store, site_name: str) -> int:
    """Link the statements of `site_name` to their translations on each of its `translation_sites`, in the
    `translations` table (both directions), and give matched statements with inferred dates their twin's date.

    Returns:
        The number of new pairs.
    """
    site = get_site(site_name)
    pairs = 0
    for other_name in site.translation_sites:
        other = get_site(other_name)
        linked = _page_links(store, site, other) + [(b, a) for a, b in _page_links(store, other, site)]
        linked = list(dict.fromkeys(pair if pair[0] < pair[1] else (pair[1], pair[0]) for pair in linked))
        linked_ids = {statement for pair in linked for statement in pair}
        ours = [c for c in _candidates(store, site) if c.id not in linked_ids]
        theirs = [c for c in _candidates(store, other) if c.id not in linked_ids]
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
