"""What a database holds, and one statement with everything linked to it: the reads behind `statements stats` and
`statements show`."""

from __future__ import annotations

import json
from typing import Any

from crawler.sites import SITES
from pipelines.normalize import canonical_url, statement_id
from statements.store import Store


def find_statement(store: Store, key: str) -> dict[str, Any] | None:
    """A statement by id or URL (canonicalized with the site rules of every known site), with its speakers as a
    list, its turns (position, role, speaker, outlet, follow_up, text) and its translations (id, url, title,
    language, method); None when there is none."""
    ids = {key} | {statement_id(canonical_url(key, site)) for site in SITES.values() if "://" in key}
    rows = list(
        store.db.query(
            f"select * from statements where id in ({', '.join('?' * len(ids))}) or url = ?", [*ids, key]
        )
    )
    if not rows:
        return None
    record = dict(rows[0])
    record["speakers"] = json.loads(record["speakers"] or "[]")
    record["translations"] = list(
        store.db.query(
            "select s.id, s.url, s.title, s.language, t.method from translations t"
            " join statements s on s.id = t.translated_id where t.statement_id = ? order by s.language",
            [record["id"]],
        )
    )
    record["turns"] = [
        {**turn, "follow_up": bool(turn["follow_up"])}
        for turn in store.db.query(
            "select position, role, speaker, outlet, follow_up, text from turns where statement_id = ?"
            " order by position",
            [record["id"]],
        )
    ]
    return record


def database_stats(store: Store, runs: int = 10) -> dict[str, Any]:
    """What a database holds: statement and turn counts, date range, statements per site and language (with
    their first and last date), per year and per kind, and the `runs` most recent `crawls` rows."""
    db = store.db
    first, last = db.execute("select min(date), max(date) from statements").fetchone()
    return {
        "statements": db.execute("select count(*) from statements").fetchone()[0],
        "turns": db.execute("select count(*) from turns").fetchone()[0] if db.table("turns").exists() else 0,
        "first_date": first,
        "last_date": last,
        "by_site": list(
            db.query(
                "select site, language, count(*) as statements, min(date) as first, max(date) as last"
                " from statements group by site, language order by site"
            )
        ),
        "by_year": list(
            db.query(
                "select coalesce(substr(date, 1, 4), 'undated') as year, count(*) as statements from statements"
                " group by 1 order by 1"
            )
        ),
        "by_kind": list(
            db.query("select kind, count(*) as statements from statements group by kind order by 2 desc")
        ),
        "crawls": list(db.query("select * from crawls order by id desc limit ?", [runs])),
    }
