"""Upkeep of the full-text indexes: rows that lack their index rows are indexed again.

The store indexes what it writes (`statements.writer`); a row written by another program (sqlite-utils insert,
a script) or by a version of this project whose store left indexing to insert triggers has no index row, and is
found and indexed here when the file is opened for writing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from statements.schema import (
    CJK_LANGUAGE_LIST,
    CJK_STATEMENTS,
    CJK_TURNS,
    fill_cjk_index,
    fill_cjk_turn_index,
)

if TYPE_CHECKING:
    from statements.store import Store

logger = logging.getLogger(__name__)


def repair_indexes(store: Store) -> dict[str, int]:
    """Index the statements and turns that lack index rows, as rows written by another program, or by a
    version of this project from before 2026-12-02 (whose store left indexing to insert triggers this one
    drops), would. Run on every writable open: rows and word-index rows are counted (under 10 ms at 100,000
    statements, `benchmarks/million.py --count 100000`); only when the word index of statements or turns
    lacks rows are the bigram indexes counted too (170 ms each there: no index on `language`), since every
    writer that skips one skips both. A repair logs a WARNING first: it may take minutes on a large file.

    Returns:
        index name → rows it lacked (only indexes that were repaired).
    """
    checks: tuple[tuple[str, str, list[str], str], ...] = (
        (
            "statements_fts",
            "select count(*) from statements",
            [],
            "select count(*) from statements_fts_docsize",
        ),
        ("turns_fts", "select count(*) from turns", [], "select count(*) from turns_fts_docsize"),
        (
            "statements_fts_zh",
            f"select count(*) from statements where {CJK_STATEMENTS}",
            CJK_LANGUAGE_LIST,
            "select count(*) from statements_fts_zh",
        ),
        (
            "turns_fts_zh",
            f"select count(*) from turns where {CJK_TURNS}",
            CJK_LANGUAGE_LIST,
            "select count(*) from turns_fts_zh",
        ),
    )
    repaired: dict[str, int] = {}
    short = set()
    for index, rows_sql, params, indexed_sql in checks:
        if index.endswith("_zh") and index.removesuffix("_zh") not in short:
            continue
        rows = store.db.execute(rows_sql, params).fetchone()[0]
        indexed = store.db.execute(indexed_sql).fetchone()[0]
        if rows == indexed:
            continue
        short.add(index)
        logger.warning(
            "%s: %s has %d index rows for %d rows (rows written by another program, or by an older version"
            " of this project): re-indexing",
            store.path,
            index,
            indexed,
            rows,
        )
        with store.transaction() as db:
            if index in ("statements_fts", "turns_fts"):
                db.execute(f"insert into {index} ({index}) values ('rebuild')")
            elif index == "statements_fts_zh":
                db.execute("delete from statements_fts_zh")
                fill_cjk_index(db)
            else:
                db.execute("delete from turns_fts_zh")
                fill_cjk_turn_index(db)
        repaired[index] = rows - indexed
    return repaired
