"""The schema of a statements database: tables, indexes, full-text indexes and the triggers that keep them in sync.

Tables (see DESIGN.md): `statements` (one row per canonical URL, `id` derived from it), `statement_versions`
(earlier texts of statements whose content hash changed), `pages` (the recorded bytes, zlib-compressed, with
status, headers, the encoding chosen and the listing hints, so `statements reparse` can rebuild everything; a
statement page that matched no template of its site module is kept too, with `statement_id` NULL and
`rejected_reason` "no-template", for a reparse once the module is fixed),
`crawls` (one row per run, with counts), `sections` (where incremental crawls may stop), `turns`, `translations`,
and the FTS5 table `statements_fts` over title and body (porter stemming), which `sqlite-utils search` and
Datasette use as is. Chinese statements are also indexed in `statements_fts_zh`, as character bigrams (see
`statements.cjk`). `turns` has `turns_fts` and `turns_fts_zh`.

How the indexes are kept in sync (see `FTS_TRIGGERS`): the writer (`statements.writer`) indexes each row it
inserts, in the same transaction; triggers change the index when a row's text is updated or the row deleted.
There is no insert trigger: a table trigger makes SQLite open a statement journal, and each one makes every FTS5
table of the transaction write its pending terms to disk as a new segment, so a crawl wrote a segment per
statement and per turn and spent its time merging them (saving the 1,000 Chinese statements of the 2020
recording took 10.1 s with sqlite-utils' triggers and a savepoint per statement, 5.0 s this way). Rows inserted
by another program are indexed the next time the store opens the file for writing
(`statements.indexes.repair_indexes`).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from statements import cjk
from statements.speakers import create_speaker_tables

TABLES: dict[str, tuple[dict[str, type], dict[str, Any]]] = {
    "statements": (
        {
            "id": str,
            "site": str,
            "language": str,
            "url": str,
            "title": str,
            "kind": str,
            "date": str,
            "date_source": str,
            "published_at": str,
            "speakers": str,
            "body": str,
            "content_hash": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "version": int,
            "site_language": str,
            "language_source": str,
        },
        {"pk": "id", "not_null": {"site", "language", "url", "title", "body", "content_hash", "version"}},
    ),
    "statement_versions": (
        {
            "statement_id": str,
            "version": int,
            "title": str,
            "body": str,
            "content_hash": str,
            "first_seen_at": str,
            "replaced_at": str,
        },
        {"pk": ("statement_id", "version"), "foreign_keys": [("statement_id", "statements", "id")]},
    ),
    "pages": (
        {
            "url": str,
            "statement_id": str,
            "site": str,
            "status": int,
            "headers": str,
            "body": bytes,
            "body_sha256": str,
            "encoding": str,
            "encoding_reason": str,
            "template": str,
            "fetched_at": str,
            "hints": str,
            "translations": str,
            "part_of": str,
            "rejected_reason": str,
        },
        {"pk": "url", "foreign_keys": [("statement_id", "statements", "id")]},
    ),
    "translations": (
        {"statement_id": str, "translated_id": str, "method": str},
        {
            "pk": ("statement_id", "translated_id"),
            "foreign_keys": [("statement_id", "statements", "id"), ("translated_id", "statements", "id")],
        },
    ),
    "crawls": (
        {
            "id": int,
            "spider": str,
            "arguments": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "requests": int,
            "listing_pages": int,
            "statement_pages": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "rejected": int,
            "rejected_reasons": str,
            "out_of_range": int,
            "dateless": int,
            "soft_404s": int,
            "http_errors": int,
            "fetch_errors": int,
            "faults": str,
            "retried": str,
            "errors": int,
            "sections": str,
            "incomplete": int,
            "problems": str,
            "failed_listings": str,
        },
        {"pk": "id"},
    ),
    "sections": (
        {"site": str, "section": str, "walked_at": str, "crawl_id": int},
        {"pk": ("site", "section")},
    ),
    "turns": (
        {
            "statement_id": str,
            "position": int,
            "role": str,
            "speaker": str,
            "outlet": str,
            "follow_up": int,
            "text": str,
        },
        {
            "pk": ("statement_id", "position"),
            "foreign_keys": [("statement_id", "statements", "id")],
            "not_null": {"role", "text"},
        },
    ),
}
"""Every table of the database: columns (name → Python type) and sqlite-utils `create` options."""

INDEXES = (
    ("statements", ["url"], True),
    ("statements", ["date"], False),  # the newest first, as Datasette's table page and `statements list` sort
    ("statements", ["language"], False),  # these: facets and filters that read an index, not the rows
    (
        "statements",
        ["site", "language", "kind", "date"],
        False,
    ),  # facets of a filtered page (a site's, a search's)
    ("statements", ["kind"], False),
    ("statements", ["first_seen_at"], False),  # `statements new`, feeds
    ("turns", ["role"], False),
    ("statements", ["site", "date"], False),
    ("pages", ["statement_id"], False),
    ("pages", ["part_of"], False),
    ("turns", ["outlet"], False),
    ("turns", ["speaker"], False),
)
"""(table, columns, unique) of every index."""

INDEX_INSERTS = (
    "insert into statements_fts (rowid, title, body) values (?, ?, ?)",
    "insert into statements_fts_zh (rowid, statement_id, title, body) values (?, ?, ?, ?)",
    "insert into turns_fts (rowid, text) values (?, ?)",
    "insert into turns_fts_zh (rowid, statement_id, position, text) values (?, ?, ?, ?)",
)
"""The index rows `statements.writer` writes for new rows: statement text, its bigrams, turn text, its bigrams."""

CJK_LANGUAGE_LIST = sorted(cjk.CJK_LANGUAGES)
CJK_STATEMENTS = f"language in ({', '.join('?' * len(CJK_LANGUAGE_LIST))})"
"""The condition on `statements` of those in the bigram index (parameters: `CJK_LANGUAGE_LIST`)."""
CJK_TURNS = f"statement_id in (select id from statements where {CJK_STATEMENTS})"
"""The condition on `turns` of those in the bigram index (same parameters)."""

FTS_TRIGGERS = {
    "statements_au": (
        "create trigger statements_au after update of title, body on statements begin"
        " insert into statements_fts (statements_fts, rowid, title, body)"
        " values ('delete', old.rowid, old.title, old.body);"
        " insert into statements_fts (rowid, title, body) values (new.rowid, new.title, new.body); end"
    ),
    "turns_au": (
        "create trigger turns_au after update of text on turns begin"
        " insert into turns_fts (turns_fts, rowid, text) values ('delete', old.rowid, old.text);"
        " insert into turns_fts (rowid, text) values (new.rowid, new.text); end"
    ),
    "statements_ai": None,
    "turns_ai": None,
}
"""The triggers that keep `statements_fts` and `turns_fts` in sync, replacing the ones sqlite-utils makes (name →
SQL; None: no such trigger). Update triggers fire only when the indexed text changes, so refreshing
`last_seen_at` re-indexes nothing; inserts are indexed by the writer itself (see the module docstring). The
delete triggers are sqlite-utils' own."""

REQUIRED_TABLES = ("statements", "pages", "crawls", "statements_fts")
# `turns` and the later tables are created in older files of this project when they are opened for writing.
"""Tables every statements database has; a file without them was made by another tool."""


def create_schema(db: sqlite_utils.Database) -> None:
    """Create every table, index, FTS table and trigger that is missing (and add the columns a file made by an
    older version of this project lacks), in the caller's transaction."""
    for name, (columns, options) in TABLES.items():
        table = db.table(name)
        table.create(columns, **options, if_not_exists=True)
        present = table.columns_dict
        for column, kind in columns.items():
            if column not in present:  # a file made by an older version of this project
                table.add_column(column, kind)
    for name, indexed, unique in INDEXES:
        db.table(name).create_index(indexed, unique=unique, if_not_exists=True)
    hidden = {row[1] for row in db.execute("pragma table_xinfo(statements)")}
    if "year" not in hidden:  # a column Datasette can facet on, computed from the date
        db.execute(
            "alter table statements add column year text generated always as (substr(date, 1, 4)) virtual"
        )
    db.execute("create index if not exists idx_statements_year on statements (year)")
    if not db.table("statements_fts").exists():
        db.table("statements").enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
    if not db.table("turns_fts").exists():
        db.table("turns").enable_fts(["text"], create_triggers=True, tokenize="porter")
    if not db.table("statements_fts_zh").exists():
        create_cjk_index(db)
    if not db.table("turns_fts_zh").exists():
        create_cjk_turn_index(db)
    set_fts_triggers(db)
    create_speaker_tables(db)


def set_fts_triggers(db: sqlite_utils.Database) -> None:
    """Make the FTS triggers those of `FTS_TRIGGERS`, replacing sqlite-utils' (files made before them)."""
    present = dict(db.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall())
    for name, sql in FTS_TRIGGERS.items():
        if present.get(name) == sql:
            continue
        if name in present:
            db.execute(f"drop trigger {name}")
        if sql is not None:
            db.execute(sql)


def create_cjk_index(db: sqlite_utils.Database) -> None:
    """Create the bigram index of CJK statements (see `statements.cjk`), fill it from the statements already
    stored, and make deleting a statement delete its index row."""
    db.execute(
        "create virtual table statements_fts_zh using fts5(statement_id unindexed, title, body,"
        " tokenize = 'unicode61')"
    )
    db.execute(
        "create trigger statements_fts_zh_ad after delete on statements begin"
        " delete from statements_fts_zh where rowid = old.rowid; end"
    )
    fill_cjk_index(db)


def fill_cjk_index(db: sqlite_utils.Database) -> None:
    """Write the bigram index rows of every stored CJK statement."""
    rows = db.execute(
        f"select rowid, id, title, body from statements where {CJK_STATEMENTS}", CJK_LANGUAGE_LIST
    ).fetchall()
    for rowid, statement_id, title, body in rows:
        index_cjk(db, rowid, statement_id, title, body)


def create_cjk_turn_index(db: sqlite_utils.Database) -> None:
    """The bigram index of the turns of CJK statements, like `statements_fts_zh`."""
    db.execute(
        "create virtual table turns_fts_zh using fts5(statement_id unindexed, position unindexed, text,"
        " tokenize = 'unicode61')"
    )
    db.execute(
        "create trigger turns_fts_zh_ad after delete on turns begin"
        " delete from turns_fts_zh where rowid = old.rowid; end"
    )
    fill_cjk_turn_index(db)


def fill_cjk_turn_index(db: sqlite_utils.Database) -> None:
    """Write the bigram index rows of every stored turn of a CJK statement (the index holds none of them)."""
    rows = db.execute(
        f"select rowid, statement_id, position, text from turns where {CJK_TURNS} order by rowid",
        CJK_LANGUAGE_LIST,
    ).fetchall()
    db.conn.executemany(
        INDEX_INSERTS[3],
        [
            (rowid, statement_id, position, cjk.index_text(text))
            for rowid, statement_id, position, text in rows
        ],
    )


def index_cjk(db: sqlite_utils.Database, rowid: int, statement_id: str, title: str, body: str) -> None:
    """(Re)write the bigram index row of one statement."""
    db.execute("delete from statements_fts_zh where rowid = ?", [rowid])
    db.execute(INDEX_INSERTS[1], [rowid, statement_id, cjk.index_text(title), cjk.index_text(body)])
