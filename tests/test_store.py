"""Store: upsert by canonical URL, versions, raw pages, FTS, run log."""

from __future__ import annotations

import json
import zlib

import pytest

from crawler.items import PageItem
from crawler.sites import get_site
from pipelines.extract import extract
from pipelines.normalize import normalize
from statements.indexes import repair_indexes
from statements.reparse import process_page
from statements.runs import crawl_counts, finish_crawl, start_crawl
from statements.store import Store
from statements.writer import BatchWriter
from tests.conftest import FIXTURES, statement_fixtures

SITE = get_site("fmprc_en")


@pytest.fixture
def store() -> Store:
    store = Store(":memory:")
    yield store
    store.close()


def _statement(name: str):
    page = next(p for p in statement_fixtures("fmprc_en") if name in p.path.name)
    item = page.page_item()
    item.extracted = extract(item, SITE)
    item.statement = normalize(item, item.extracted, SITE)
    return item


def test_new_then_unchanged_keeps_one_row_and_first_seen(store: Store) -> None:
    item = _statement("t1794629")
    assert store.save(item, item.statement, "2026-11-29T10:00:00+00:00") == "new"
    assert store.save(item, item.statement, "2026-11-30T10:00:00+00:00") == "unchanged"
    rows = list(store.db["statements"].rows)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == item.statement.id
    assert (row["first_seen_at"], row["last_seen_at"], row["version"]) == (
        "2026-11-29T10:00:00+00:00",
        "2026-11-30T10:00:00+00:00",
        1,
    )
    assert json.loads(row["speakers"]) == ["Zhao Lijian"]
    assert row["date"] == "2020-07-03" and row["site"] == "fmprc_en" and row["language"] == "en"
    assert store.db["statement_versions"].count == 0


def test_changed_text_becomes_a_version(store: Store) -> None:
    item = _statement("t1794629")
    store.save(item, item.statement, "2026-11-29T10:00:00+00:00")
    old_body, old_hash = item.statement.body, item.statement.content_hash
    edited = _statement("t1794629")
    edited.statement.paragraphs[-1] += " (edited)"
    edited.statement.body = "\n\n".join(edited.statement.paragraphs)
    edited.statement.content_hash = "0" * 64
    assert store.save(edited, edited.statement, "2026-12-01T10:00:00+00:00") == "updated"
    row = store.db["statements"].get(item.statement.id)
    assert row["version"] == 2 and row["body"].endswith("(edited)")
    versions = list(store.db["statement_versions"].rows)
    assert [(v["version"], v["body"], v["content_hash"], v["replaced_at"]) for v in versions] == [
        (1, old_body, old_hash, "2026-12-01T10:00:00+00:00")
    ]


def test_raw_page_is_kept_compressed_with_headers_encoding_and_hints(store: Store) -> None:
    item = _statement("t1686638")
    store.save(item, item.statement, "2026-11-29T10:00:00+00:00")
    page = store.db["pages"].get(item.url)
    assert zlib.decompress(page["body"]) == item.body
    assert len(page["body"]) < len(item.body) / 2
    assert json.loads(page["headers"]) == {"Content-Type": ["text/html"]}
    assert (page["encoding"], page["encoding_reason"], page["template"]) == (
        "utf-8",
        "declared-utf-8",
        "fmprc-en-2018",
    )
    assert json.loads(page["hints"])["neighbours"][1]["url"].endswith("t1686637.shtml")
    assert page["statement_id"] == item.statement.id


def test_full_text_search_follows_inserts_and_updates(store: Store) -> None:
    first, second = _statement("t1794629"), _statement("t1688743")
    store.save(first, first.statement, "2026-11-29T10:00:00+00:00")
    store.save(second, second.statement, "2026-11-29T10:00:00+00:00")
    assert [row["id"] for row in store.db["statements"].search("Diaoyu")] == [first.statement.id]
    assert [row["id"] for row in store.db["statements"].search("Syria")] == [second.statement.id]
    # porter stemming: "sanction" finds t1687014's "sanctions"
    third = _statement("t1687014")
    store.save(third, third.statement, "2026-11-29T10:00:00+00:00")
    assert [row["id"] for row in store.db["statements"].search("sanction")] == [third.statement.id]
    second.statement.body += "\n\nDiaoyu Dao."
    second.statement.content_hash = "1" * 64
    store.save(second, second.statement, "2026-11-30T10:00:00+00:00")
    assert {row["id"] for row in store.db["statements"].search("Diaoyu")} == {
        first.statement.id,
        second.statement.id,
    }


def test_crawl_row_records_counts_and_finish_reason(store: Store) -> None:
    crawl = start_crawl(store, "fmprc_en", {"since": "2020-06-01"}, "2026-11-29T10:00:00+00:00")
    stats = {
        "downloader/request_count": 519,
        "statements/listing_pages": 13,
        "statements/statement_pages": 500,
        "statements/new": 498,
        "statements/rejected/no-template": 2,
        "statements/dateless": 1,
        "log_count/ERROR": 0,
    }
    finish_crawl(store, crawl, crawl_counts(stats), "2026-11-29T10:00:05+00:00", "finished")
    row = store.db["crawls"].get(crawl)
    assert (row["spider"], json.loads(row["arguments"]), row["finish_reason"]) == (
        "fmprc_en",
        {"since": "2020-06-01"},
        "finished",
    )
    assert (row["requests"], row["listing_pages"], row["statement_pages"], row["new"], row["rejected"]) == (
        519,
        13,
        500,
        498,
        2,
    )
    assert json.loads(row["rejected_reasons"]) == {"no-template": 2}
    assert (row["dateless"], row["unchanged"], row["errors"]) == (1, 0, 0)


def test_schema_creation_is_idempotent_and_uses_wal(tmp_path) -> None:
    path = tmp_path / "statements.db"
    Store(path).close()
    store = Store(path)
    assert store.db.journal_mode == "wal"
    assert {"statements", "statement_versions", "pages", "crawls", "statements_fts"} <= set(
        store.db.table_names()
    )
    store.close()


def test_an_older_file_of_this_project_gets_the_new_columns(tmp_path) -> None:
    path = tmp_path / "old.db"
    Store(path).close()
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("alter table crawls drop column http_errors")
    connection.commit()
    connection.close()
    store = Store(path)
    assert "http_errors" in store.db.table("crawls").columns_dict
    store.close()


def test_a_database_made_by_another_tool_is_refused_and_left_alone(tmp_path) -> None:
    import sqlite3

    from statements.store import StoreError

    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("create table statements (id integer primary key, text text)")
    connection.commit()
    before = connection.execute("select sql from sqlite_master").fetchall()
    connection.close()
    with pytest.raises(StoreError, match="is not a statements database"):
        Store(path)
    assert sqlite3.connect(path).execute("select sql from sqlite_master").fetchall() == before


def test_wal_switch_refused_while_another_process_opens_the_file_is_retried(tmp_path, monkeypatch) -> None:
    # Two crawls started together on a fresh file: SQLite answered the second's `PRAGMA journal_mode=wal` with
    # "database is locked" at once, without waiting (CI run of 2026-11-29), and the crawl died.
    import sqlite3

    import sqlite_utils

    real = sqlite_utils.Database.enable_wal
    refusals = []

    def locked_twice(self) -> None:
        if len(refusals) < 2:
            refusals.append(1)
            raise sqlite3.OperationalError("database is locked")
        real(self)

    monkeypatch.setattr(sqlite_utils.Database, "enable_wal", locked_twice)
    store = Store(tmp_path / "statements.db")
    assert len(refusals) == 2
    assert store.db.journal_mode == "wal"
    assert "statements" in store.db.table_names()
    store.close()


def test_a_file_locked_past_the_timeout_is_reported_as_locked_not_as_foreign(tmp_path, monkeypatch) -> None:
    import sqlite3

    import sqlite_utils

    from statements import store as store_module
    from statements.store import StoreError

    def always_locked(self) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(sqlite_utils.Database, "enable_wal", always_locked)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    with pytest.raises(StoreError, match=r"statements\.db is locked: another process held its write lock"):
        Store(tmp_path / "statements.db")


def _processed(site: str, name: str):
    from statements.reparse import process_page

    page = next(p for p in statement_fixtures(site) if name in p.path.name)
    item = page.page_item(site)
    process_page(item)
    return item


def _index_problems(store: Store) -> list[str]:
    """Tables whose FTS5 integrity check fails (index rows that do not match the text, or are missing)."""
    import sqlite3

    failed = []
    for table in ("statements_fts", "turns_fts", "statements_fts_zh", "turns_fts_zh"):
        try:
            store.db.execute(f"insert into {table} ({table}, rank) values ('integrity-check', 1)")
        except sqlite3.DatabaseError as error:
            failed.append(f"{table}: {error}")
    return failed


def test_a_batch_of_saves_indexes_new_updated_and_unchanged_statements_exactly(tmp_path) -> None:
    # Index rows of new statements are written at commit, in rowid order; a statement saved twice in one batch
    # (its update must find its own index rows) and a statement saved unchanged (nothing re-indexed) included.
    from statements.search import search, search_turns

    store = Store(tmp_path / "statements.db", commit_seconds=3600)
    zh_pc = _processed("fmprc_zh", "t1794584")  # 2020-07-03 赵立坚 press conference, with turns
    zh_news = _processed("fmprc_zh", "t1766275")
    en_pc = _processed("fmprc_en", "t1794629")
    for item in (zh_pc, zh_news, en_pc):
        assert store.save(item, item.statement, "2026-12-02T10:00:00+00:00") == "new"
    assert store.db.execute("select count(*) from statements_fts_docsize").fetchone() == (
        0,
    )  # queued, not yet written
    changed = _processed("fmprc_zh", "t1766275")
    changed.statement.body += "\n\n台湾问题是中国内政。"
    changed.statement.content_hash = "2" * 64
    assert store.save(changed, changed.statement, "2026-12-02T11:00:00+00:00") == "updated"
    assert store.save(en_pc, en_pc.statement, "2026-12-02T11:00:00+00:00") == "unchanged"
    store.flush()
    assert _index_problems(store) == []
    assert store.db.execute("select count(*) from statements_fts_docsize").fetchone() == (3,)
    assert store.db.execute("select count(*) from statements_fts_zh").fetchone() == (2,)
    turns = store.db.execute("select count(*) from turns").fetchone()[0]
    assert turns > 10
    assert store.db.execute("select count(*) from turns_fts_docsize").fetchone() == (turns,)
    assert [hit.id for hit in search(store, "台湾问题是中国内政")] == [zh_news.statement.id]
    assert [hit.id for hit in search(store, "Diaoyu")] == [en_pc.statement.id]
    hits = search_turns(store, "赵立坚")
    assert hits and {hit.statement_id for hit in hits} == {zh_pc.statement.id}
    store.close()


def test_a_statement_failing_midway_in_a_batch_leaves_nothing_and_the_batch_stays(
    tmp_path, monkeypatch
) -> None:
    store = Store(tmp_path / "statements.db", commit_seconds=3600)
    first, second, failing = (
        _processed("fmprc_zh", "t1794584"),
        _processed("fmprc_en", "t1794629"),
        _processed("fmprc_zh", "t1754530"),
    )
    store.save(first, first.statement, "2026-12-02T10:00:00+00:00")
    store.save(second, second.statement, "2026-12-02T10:00:00+00:00")
    real = BatchWriter._save_turns

    def broken(self, statement) -> None:
        real(self, statement)  # its turns are written, then the save fails
        if statement.id == failing.statement.id:
            raise RuntimeError("disk trouble")

    monkeypatch.setattr(BatchWriter, "_save_turns", broken)
    with pytest.raises(RuntimeError, match="disk trouble"):
        store.save(failing, failing.statement, "2026-12-02T10:00:00+00:00")
    store.flush()
    stored = {row[0] for row in store.db.execute("select id from statements")}
    assert stored == {first.statement.id, second.statement.id}
    assert {row[0] for row in store.db.execute("select distinct statement_id from turns")} <= stored
    assert store.db.execute("select count(*) from pages").fetchone() == (2,)
    assert _index_problems(store) == []
    assert store.db.execute("select count(*) from statements_fts_docsize").fetchone() == (2,)
    store.close()


def test_a_file_with_sqlite_utils_insert_triggers_gets_the_store_own(tmp_path) -> None:
    # Files made before 2026-12-02 have sqlite-utils' triggers: an insert trigger (which made every FTS5 index
    # write a segment per row) and update triggers that re-indexed a row whenever any column changed.
    path = tmp_path / "statements.db"
    Store(path).close()
    import sqlite3

    connection = sqlite3.connect(path)
    connection.executescript(
        "drop trigger statements_au;"
        "create trigger statements_ai after insert on statements begin"
        " insert into statements_fts (rowid, title, body) values (new.rowid, new.title, new.body); end;"
        "create trigger statements_au after update on statements begin"
        " insert into statements_fts (statements_fts, rowid, title, body)"
        " values ('delete', old.rowid, old.title, old.body);"
        " insert into statements_fts (rowid, title, body) values (new.rowid, new.title, new.body); end;"
    )
    connection.close()
    store = Store(path)
    triggers = dict(store.db.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall())
    assert "statements_ai" not in triggers and "turns_ai" not in triggers
    assert "after update of title, body on statements" in triggers["statements_au"]
    item = _processed("fmprc_en", "t1794629")
    store.save(item, item.statement, "2026-12-02T10:00:00+00:00")
    assert store.db.execute("select count(*) from statements_fts_docsize").fetchone() == (
        1,
    )  # indexed once, not twice
    assert _index_problems(store) == []
    store.close()


def test_a_batch_whose_commit_fails_is_rolled_back_whole(tmp_path, monkeypatch) -> None:
    # Disk full at commit time: no statement of the batch and no index row of it may stay half-written.
    import sqlite3

    store = Store(tmp_path / "statements.db", commit_seconds=3600)
    kept = _processed("fmprc_en", "t1794629")
    store.save(kept, kept.statement, "2026-12-02T10:00:00+00:00")
    store.flush()
    lost = _processed("fmprc_zh", "t1794584")
    store.save(lost, lost.statement, "2026-12-02T10:00:00+00:00")
    real = BatchWriter._write_index_queue

    def full_disk(self) -> None:
        real(self)
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(BatchWriter, "_write_index_queue", full_disk)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        store.flush()
    monkeypatch.undo()
    assert [row[0] for row in store.db.execute("select id from statements")] == [kept.statement.id]
    assert store.db.execute(
        "select count(*) from turns where statement_id = ?", [lost.statement.id]
    ).fetchone() == (0,)
    assert _index_problems(store) == []
    assert store.db.execute("select count(*) from statements_fts_docsize").fetchone() == (1,)
    # the store goes on: the statement is saved by the next crawl
    assert store.save(lost, lost.statement, "2026-12-02T11:00:00+00:00") == "new"
    store.flush()
    assert store.db.execute("select count(*) from statements_fts_docsize").fetchone() == (2,)
    assert _index_problems(store) == []
    store.close()


def test_a_statement_failing_again_in_the_redo_is_counted_lost_and_the_others_stay(
    tmp_path, monkeypatch
) -> None:
    # The redo after a failed save met a second failure (another writer took the lock meanwhile): the batch's
    # other statements used to be dropped silently (attack run of 2026-12-02: 2 of 10 kept).
    import sqlite3

    store = Store(tmp_path / "statements.db", commit_seconds=3600)
    names = ("t1794629", "t1688743", "t1687014")
    items = [_processed("fmprc_en", name) for name in names]
    for item in items:
        store.save(item, item.statement, "2026-12-02T10:00:00+00:00")
    failing = _processed("fmprc_zh", "t1794584")
    real_turns, real_save = BatchWriter._save_turns, BatchWriter.save
    redone = []

    def broken_turns(self, statement) -> None:
        real_turns(self, statement)
        if statement.id == failing.statement.id:
            raise RuntimeError("disk trouble")

    def save(self, page, statement, seen_at, touch=True):
        if statement.id == items[0].statement.id and seen_at == "2026-12-02T10:00:00+00:00":
            redone.append(statement.id)
            if len(redone) == 1:  # its redo (its first save was made before this patch)
                raise sqlite3.OperationalError("database is locked")
        return real_save(self, page, statement, seen_at, touch)

    monkeypatch.setattr(BatchWriter, "_save_turns", broken_turns)
    monkeypatch.setattr(BatchWriter, "save", save)
    with pytest.raises(RuntimeError, match="disk trouble"):
        store.save(failing, failing.statement, "2026-12-02T10:00:00+00:00")
    monkeypatch.undo()
    store.flush()
    stored = {row[0] for row in store.db.execute("select id from statements")}
    assert stored == {items[1].statement.id, items[2].statement.id}
    assert store.lost == 1
    assert _index_problems(store) == []
    store.close()


def test_rows_written_without_their_index_rows_are_indexed_when_the_file_is_opened(tmp_path) -> None:
    # A version from before 2026-12-02 left indexing to insert triggers, which this one drops: run on a file
    # this version upgraded, it wrote statements and turns with no index rows (attack run of 2026-12-02).
    from statements.search import search, search_turns

    path = tmp_path / "statements.db"
    store = Store(path)
    en, zh = _processed("fmprc_en", "t1794629"), _processed("fmprc_zh", "t1794584")
    for item in (en, zh):
        store.save(item, item.statement, "2026-12-02T10:00:00+00:00")
    for table in ("statements_fts", "turns_fts"):
        store.db.execute(f"insert into {table} ({table}) values ('delete-all')")
    for table in ("statements_fts_zh", "turns_fts_zh"):
        store.db.execute(f"delete from {table}")
    store.db.conn.commit()
    store.close()
    store = Store(path)
    assert _index_problems(store) == []
    turns = store.db.execute("select count(*) from turns").fetchone()[0]
    assert store.db.execute("select count(*) from turns_fts_docsize").fetchone() == (turns,)
    assert [hit.id for hit in search(store, "Diaoyu")] == [en.statement.id]
    assert [hit.id for hit in search(store, "赵立坚")] == [zh.statement.id]
    assert {hit.statement_id for hit in search_turns(store, "赵立坚")} == {zh.statement.id}
    assert repair_indexes(store) == {}  # nothing left to repair
    store.close()


def test_a_crawl_that_lost_statements_records_no_section_as_walked(tmp_path) -> None:
    # Otherwise the next incremental crawl stops at the first listing page it knows and never looks again.
    from types import SimpleNamespace

    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from pipelines.store import StorePipeline
    from statements.runs import section_walked_at

    def finished_crawl(lost: int) -> str | None:
        path = tmp_path / f"lost{lost}.db"
        spider = SimpleNamespace(name="fmprc_en", walked_sections={"press_conferences"})
        crawler = SimpleNamespace(
            settings=Settings({"STATEMENTS_DB": str(path), "STATEMENTS_COMMIT_SECONDS": 0}),
            signals=SimpleNamespace(connect=lambda *args, **kwargs: None),
            spider=spider,
        )
        crawler.stats = MemoryStatsCollector(crawler)
        pipeline = StorePipeline(crawler)
        pipeline.open_spider()
        pipeline.store.writer.lost = lost
        pipeline.spider_closed(spider, "finished")
        store = Store(path, readonly=True)
        walked = section_walked_at(store, "fmprc_en", "press_conferences")
        store.close()
        return walked

    assert finished_crawl(0) is not None
    assert finished_crawl(2) is None


# Issue 13, item 11: a statement is indexed by the language of its text. The Chinese site's 2020 transcript page
# (t1794584), and the same page holding the English transcript of that day (t1794629's title and body) instead.
ZH_PAGE = FIXTURES / "fmprc_zh" / "pc_2020-07-03_zhao-lijian_t1794584.shtml"
ZH_URL = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1794584.shtml"


def _english_on_the_chinese_site() -> bytes:
    zh = ZH_PAGE.read_text(encoding="utf-8")
    en = (FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml").read_text(encoding="utf-8")
    en_start = en.index('<div class="content">') + len('<div class="content">')
    en_body = en[en_start : en.rindex("</div>", en_start, en.index('<div class="tool"', en_start))]
    start = zh.index('<div id="News_Body_Txt_A" class="content">') + len(
        '<div id="News_Body_Txt_A" class="content">'
    )
    end = zh.rindex("</div>", start, zh.index('<div class="news" id="appendix_list"'))
    zh = zh[:start] + en_body + zh[end:]
    return zh.replace(
        ">2020年7月3日外交部发言人赵立坚主持例行记者会<",
        ">Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020<",
    ).encode("utf-8")


def _zh_item(body: bytes) -> PageItem:
    item = PageItem(
        "fmprc_zh", ZH_URL, 200, {"Content-Type": ["text/html"]}, body, "2020-07-04T03:55:41+00:00"
    )
    process_page(item)
    return item


def _bigram_rows(store: Store, statement_id: str) -> tuple[int, int]:
    (rowid,) = store.db.execute("select rowid from statements where id = ?", [statement_id]).fetchone()
    statements = store.db.execute(
        "select count(*) from statements_fts_zh where rowid = ?", [rowid]
    ).fetchone()[0]
    turns = store.db.execute(
        "select count(*) from turns_fts_zh where rowid in (select rowid from turns where statement_id = ?)",
        [statement_id],
    ).fetchone()[0]
    return statements, turns


def test_an_english_page_of_the_chinese_site_is_english_and_out_of_the_bigram_index(store: Store) -> None:
    item = _zh_item(_english_on_the_chinese_site())
    statement = item.statement
    assert (statement.language, statement.site_language, statement.language_source) == ("en", "zh", "text")
    assert statement.paragraphs[0].startswith("CCTV: The foreign ministry of Laos")
    assert store.save(item, statement, "2026-11-29T10:00:00+00:00") == "new"
    row = store.db.execute(
        "select language, site_language, language_source from statements where id = ?", [statement.id]
    ).fetchone()
    assert row == ("en", "zh", "text")
    assert _bigram_rows(store, statement.id) == (0, 0)
    hits = store.db.execute("select rowid from statements_fts where statements_fts match 'Laos'").fetchall()
    assert len(hits) == 1


def test_a_statement_whose_language_changes_moves_between_the_indexes(store: Store) -> None:
    chinese = _zh_item(ZH_PAGE.read_bytes())
    assert (chinese.statement.language, chinese.statement.language_source) == ("zh", "site")
    store.save(chinese, chinese.statement, "2026-11-29T10:00:00+00:00")
    assert _bigram_rows(store, chinese.statement.id) == (1, len(chinese.statement.turns))
    english = _zh_item(_english_on_the_chinese_site())
    assert english.statement.id == chinese.statement.id
    assert store.save(english, english.statement, "2026-11-30T10:00:00+00:00", touch=False) == "updated"
    assert _bigram_rows(store, english.statement.id) == (0, 0)
    assert store.db.execute("select count(*) from statements_fts_zh").fetchone() == (0,)
    assert store.db.execute("select count(*) from turns_fts_zh").fetchone() == (0,)
    assert store.db.execute("select count(*) from turns_fts").fetchone() == (len(english.statement.turns),)
    assert store.save(chinese, chinese.statement, "2026-12-01T10:00:00+00:00") == "updated"
    assert _bigram_rows(store, chinese.statement.id) == (1, len(chinese.statement.turns))
    store.db.execute("insert into statements_fts_zh (statements_fts_zh) values ('integrity-check')")
    store.db.execute("insert into turns_fts_zh (turns_fts_zh) values ('integrity-check')")
