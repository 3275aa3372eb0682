"""Linking translations after a run that stores a few statements, in an archive of many (not a test: prints
figures).

Usage:
    python benchmarks/translations.py --source statements.db [--db /tmp/translations.db] [--count 100000]
        [--reuse] [--before REV] [--repeat 5]

The archive: `--count` English statements (fmprc_en) and as many Chinese ones (fmprc_zh), each a copy of a
statement of the corpus database `--source` (after the replay crawls of README) with its recorded page, under a
new document number, dated over 2000–2026 (a press conference and a Spokesperson's Remarks a day, the rest
news); every one linked to its twin except the three newest English press conferences and remarks, whose Chinese
twins the measured run stores. The run: those three Chinese statements are inserted, then `link_translations` is timed,
the links it made undone, and again, alternately with the code of git revision `--before` (the module as it
was there, called as it was called there: all of the site) and the working tree's (the run's three ids).

Printed: build time and size; for each version, the median and max of `--repeat` timings and the pairs found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from pipelines.normalize import statement_id
from statements import cjk
from statements.store import Store
from statements.translations import link_translations
from statements.writer import ROWIDS_PER_DAY

EN = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t{}.shtml"
ZH = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t{}.shtml"
SEEN = "2026-12-01T00:00:00+00:00"
BATCH = 2000
NEW = 3


def _templates(source: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Real statements of the source database with their pages, by site."""
    corpus = Store(source, readonly=True)
    rows = corpus.db.execute(
        "select s.site, s.title, s.body, p.body, p.headers, p.hints from statements s"
        " join pages p on p.statement_id = s.id where s.site in ('fmprc_en', 'fmprc_zh')"
    ).fetchall()
    corpus.close()
    found: dict[str, list[tuple[Any, ...]]] = {"fmprc_en": [], "fmprc_zh": []}
    for site, *rest in rows:
        found[site].append(tuple(rest))
    if not all(found.values()):
        raise SystemExit(f"{source} lacks fmprc_en or fmprc_zh statements: crawl the corpus first (README)")
    return found


def _row(site: str, number: int, day: dt.date, kind: str, template: tuple[Any, ...]) -> dict[str, Any]:
    title, body, page, headers, hints = template
    url = (EN if site == "fmprc_en" else ZH).format(number)
    sid = statement_id(url)
    return {
        "rowid": day.toordinal() * ROWIDS_PER_DAY + number % ROWIDS_PER_DAY,
        "id": sid,
        "site": site,
        "language": "en" if site == "fmprc_en" else "zh",
        "url": url,
        "title": f"{title} ({number})",
        "kind": kind,
        "date": day.isoformat(),
        "date_source": "title",
        "speakers": json.dumps(["Zhao Lijian"] if site == "fmprc_en" else ["赵立坚"], ensure_ascii=False),
        "body": body,
        "content_hash": f"{number:064x}",
        "page": page,
        "headers": headers,
        "hints": hints,
    }


def _plan(count: int) -> list[tuple[int, dt.date, str]]:
    """(pair number, date, kind) of each pair of twins, oldest first, from 1 January 2000 on, as many a day as
    it takes to stay before 2027: a press conference and a Spokesperson's Remarks a day, the rest news."""
    start = dt.date(2000, 1, 1).toordinal()
    per_day = max(3, -(-count // (dt.date(2026, 12, 31).toordinal() - start)))
    plan = []
    for number in range(count):
        day, slot = divmod(number, per_day)
        kind = ("press_conference", "remarks")[slot] if slot < 2 else "news"
        plan.append((number, dt.date.fromordinal(start + day), kind))
    return plan


def _insert(store: Store, rows: list[dict[str, Any]]) -> None:
    """Insert statements, their pages and index rows as the store would (see statements.writer)."""
    with store.transaction() as db:
        db.conn.executemany(
            "insert into statements (rowid, id, site, language, url, title, kind, date, date_source, speakers,"
            " body, content_hash, first_seen_at, last_seen_at, version)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [
                (r["rowid"], r["id"], r["site"], r["language"], r["url"], r["title"], r["kind"], r["date"],
                 r["date_source"], r["speakers"], r["body"], r["content_hash"], SEEN, SEEN)
                for r in rows
            ],
        )  # fmt: skip
        db.conn.executemany(
            "insert into pages (url, statement_id, site, status, headers, body, encoding, encoding_reason,"
            " template, fetched_at, hints, translations) values (?, ?, ?, 200, ?, ?, 'utf-8', 'meta', ?, ?, ?,"
            " '{}')",
            [
                (r["url"], r["id"], r["site"], r["headers"], r["page"],
                 "fmprc-en-2018" if r["site"] == "fmprc_en" else "fmprc-zh-2016", SEEN, r["hints"])
                for r in rows
            ],
        )  # fmt: skip
        db.conn.executemany(
            "insert into statements_fts (rowid, title, body) values (?, ?, ?)",
            sorted((r["rowid"], r["title"], r["body"]) for r in rows),
        )
        db.conn.executemany(
            "insert into statements_fts_zh (rowid, statement_id, title, body) values (?, ?, ?, ?)",
            sorted(
                (r["rowid"], r["id"], cjk.index_text(r["title"]), cjk.index_text(r["body"]))
                for r in rows
                if r["language"] == "zh"
            ),
        )


def build(source: Path, target: Path, count: int) -> list[dict[str, Any]]:
    """Write the archive to `target` (see the module docstring); returns the rows of the run's new statements."""
    templates = _templates(source)
    store = Store(target)
    plan = _plan(count)
    newest = {number for number, _, kind in plan if kind != "news"}
    newest = set(sorted(newest)[-NEW:])
    new: list[dict[str, Any]] = []
    for first in range(0, count, BATCH):
        rows, links = [], []
        for number, day, kind in plan[first : first + BATCH]:
            en = _row("fmprc_en", 1_000_000 + 2 * number + 1, day, kind,
                      templates["fmprc_en"][number % len(templates["fmprc_en"])])  # fmt: skip
            zh = _row("fmprc_zh", 1_000_000 + 2 * number, day, kind,
                      templates["fmprc_zh"][number % len(templates["fmprc_zh"])])  # fmt: skip
            if number in newest:
                rows.append(en)
                new.append(zh)
                continue
            rows += [en, zh]
            if kind != "news":
                links += [(en["id"], zh["id"], "same-day"), (zh["id"], en["id"], "same-day")]
        _insert(store, rows)
        with store.transaction() as db:
            db.conn.executemany("insert into translations values (?, ?, ?)", links)
        if (first // BATCH) % 10 == 0:
            print(f"  {first + BATCH} pairs", file=sys.stderr, flush=True)
    store.close()
    return new


def _module_at(revision: str) -> ModuleType:
    """statements/translations.py as it was at git `revision`, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{revision}:statements/translations.py"], capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "translations_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("translations_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _undo(store: Store, ids: list[str]) -> None:
    """Remove the links of `ids` (both ways), so that the next timing starts from the same archive."""
    marks = ", ".join("?" * len(ids))
    with store.transaction() as db:
        db.execute(f"delete from translations where statement_id in ({marks}) or translated_id in ({marks})",
                   [*ids, *ids])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("statements.db"))
    parser.add_argument("--db", type=Path, default=Path("/tmp/translations.db"))
    parser.add_argument("--count", type=int, default=100_000, help="statements per site")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", default="b7d0728", help="git revision of the code measured as 'before'")
    parser.add_argument("--reuse", action="store_true", help="measure an existing --db without building it")
    args = parser.parse_args()
    state = Path(f"{args.db}.new.json")
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        new = build(args.source, args.db, args.count)
        state.write_text(json.dumps(new, default=lambda b: b.hex()), encoding="utf-8")
        print(f"built {2 * args.count - len(new)} statements in {time.perf_counter() - started:.0f} s")
    new = json.loads(state.read_text(encoding="utf-8"))
    for row in new:
        row["page"] = bytes.fromhex(row["page"])
    size = sum(Path(f"{args.db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{args.db}{s}").exists())
    store = Store(args.db)
    total = store.db.execute("select count(*) from statements").fetchone()[0]
    print(
        f"archive: {total} statements, {size / 2**30:.2f} GiB; the run stores {len(new)} Chinese statements"
    )
    ids = [row["id"] for row in new]
    if not store.db.execute("select 1 from statements where id = ?", [ids[0]]).fetchone():
        _insert(store, new)
    before = _module_at(args.before)
    timings: dict[str, list[float]] = {"before": [], "after": []}
    pairs: dict[str, int] = {}
    for _ in range(args.repeat):
        for label in ("before", "after"):
            _undo(store, ids)
            started = time.perf_counter()
            if label == "before":
                found = before.link_translations(store, "fmprc_zh")
            else:
                found = link_translations(store, "fmprc_zh", ids)
            timings[label].append(time.perf_counter() - started)
            pairs[label] = found
    store.close()
    for label, values in timings.items():
        print(
            f"{label}: median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"
            f" over {len(values)} runs; {pairs[label]} pairs linked"
        )


if __name__ == "__main__":
    main()
