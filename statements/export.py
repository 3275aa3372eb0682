"""Export statements as JSON Lines, CSV or Parquet, streaming: rows go out in batches straight from the
database cursor, in rowid order (which is date order, `statements.writer.date_rowid`: no sort), so memory stays
flat whatever the size of the database. JSON is written by orjson (several times faster than the standard
library's encoder on long texts)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import IO, Any

import orjson

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
"""Rows read from the database at a time."""


def statement_rows(store: Store, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """The statements matching `filters` (all when None) in rowid order (undated first, then by date), one dict
    per row, `speakers` a list, read `BATCH` rows at a time."""
    where, params = (filters or Filters()).sql()
    # A file not yet opened for writing since an upgrade lacks the newer columns: they export as null.
    present = {row[1] for row in store.db.execute("pragma table_info(statements)")}
    selected = ", ".join(f"s.{c}" if c in present else f"null as {c}" for c in COLUMNS)
    cursor = store.db.execute(
        f"select {selected} from statements s where 1{where} order by s.rowid",
        params,
    )
    while rows := cursor.fetchmany(BATCH):
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
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
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
    with pq.ParquetWriter(stream, schema) as writer:
        batch: list[dict[str, Any]] = []
        for record in rows:
            batch.append(record)
            if len(batch) == BATCH:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
