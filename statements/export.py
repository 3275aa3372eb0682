"""Export statements as JSON Lines, CSV or Parquet, streaming: rows go out one at a time straight from the
database, in rowid order (which is date order, `statements.writer.date_rowid`), so memory stays flat whatever the
size of the database. JSON is written by orjson (several times faster than the standard library's encoder on long
texts).

Why one at a time: a batch of rows is as large as its bodies (2,000 White House briefings of 40 KB are 80 MB of
text, and the export of the 1,615 of the recording took 250 MB, of 138 of them 79 MB), and a filtered query
ordered by rowid made SQLite sort whole rows, bodies included. So the rowids of a filtered export are read
first (SQLite sorts integers), then each row by its rowid; Parquet row groups are cut by bytes as well as by
rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import IO, Any

import orjson

from statements.cjk import CJK_LANGUAGES
from statements.search import Filters
from statements.store import Store

COLUMNS = (
    "id",
    "site",
    "language",
    "url",
    "title",
    "kind",
    "date",
    "date_source",
    "published_at",
    "speakers",
    "body",
    "content_hash",
    "first_seen_at",
    "last_seen_at",
    "version",
    "site_language",
    "language_source",
)
"""Columns exported, in order (`speakers` is a list in JSON Lines and Parquet, a JSON array in CSV)."""

BATCH = 2000
"""Most rows of a Parquet row group."""
BATCH_BYTES = 2 * 2**20
"""Most bytes of text in a Parquet row group, about (a row group is built in memory before it is written; a CJK
character counts 3, its UTF-8 length)."""


def statement_rows(store: Store, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """The statements matching `filters` (all when None) in rowid order (undated first, then by date), one dict
    per row, `speakers` a list, one row in memory at a time (see the module docstring)."""
    where, params = (filters or Filters()).sql()
    # A file not yet opened for writing since an upgrade lacks the newer columns: they export as null.
    present = {row[1] for row in store.db.execute("pragma table_info(statements)")}
    selected = ", ".join(f"s.{c}" if c in present else f"null as {c}" for c in COLUMNS)
    select = f"select {selected} from statements s"
    connection = store.db.conn
    if where:
        rowids = connection.execute(
            f"select s.rowid from statements s where 1{where} order by s.rowid", params
        )
        reader = connection.cursor()
        rows: Iterator[tuple[Any, ...]] = (
            reader.execute(f"{select} where s.rowid = ?", rowid).fetchone() for rowid in rowids
        )
    else:
        rows = connection.execute(f"{select} order by s.rowid")
    for row in rows:
        record = dict(zip(COLUMNS, row, strict=True))
        record["speakers"] = orjson.loads(record["speakers"] or "[]")
        yield record


def export(store: Store, stream: IO[bytes], fmt: str, filters: Filters | None = None) -> int:
    """Write the statements matching `filters` to the binary `stream` as "jsonl", "csv" (UTF-8) or "parquet";
    returns the number of rows written.

    Raises:
        ValueError: an unknown format.
    """
    rows = statement_rows(store, filters)
    count = 0
    if fmt == "jsonl":
        for count, record in enumerate(rows, start=1):  # count is the result
            stream.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
    elif fmt == "csv":
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        for count, record in enumerate(rows, start=1):
            record["speakers"] = json.dumps(record["speakers"], ensure_ascii=False)
            writer.writerow(record.values())
        text.flush()
        text.detach()
    elif fmt == "parquet":
        count = _parquet(rows, stream)
    else:
        raise ValueError(f"unknown export format {fmt!r}: jsonl, csv or parquet")
    return count


def _parquet(rows: Iterator[dict[str, Any]], stream: IO[bytes]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # The system allocator gives each row group's memory back; pyarrow's default (jemalloc) kept it, so that peak
    # memory grew with the export (1,615 White House briefings: 254 MB against 163 MB for 138 of them).
    pa.set_memory_pool(pa.system_memory_pool())

    schema = pa.schema(
        [
            (
                column,
                pa.list_(pa.string())
                if column == "speakers"
                else pa.int64()
                if column == "version"
                else pa.string(),
            )
            for column in COLUMNS
        ]
    )
    count = 0
    # Statistics (min and max) and dictionaries of the short columns only: for title and body, whole texts that
    # repeat nowhere.
    short = [column for column in COLUMNS if column not in ("title", "body", "url", "speakers")]
    with pq.ParquetWriter(stream, schema, write_statistics=False, use_dictionary=short) as writer:
        batch: list[dict[str, Any]] = []
        size = 0
        for record in rows:
            batch.append(record)
            size += (len(record["body"]) + len(record["title"])) * (
                3 if record["language"] in CJK_LANGUAGES else 1
            )
            if len(batch) == BATCH or size >= BATCH_BYTES:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                count += len(batch)
                batch, size = [], 0
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
