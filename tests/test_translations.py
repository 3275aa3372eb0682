"""Translation links made for the statements a run saved, by indexed lookups: the work of a run does not grow with
the archive (issue 13, item 9)."""

from __future__ import annotations

from pathlib import Path

from statements.store import Store
from statements.translations import link_translations
from tests.test_search import _fill

ZH_JULY_3 = "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1794584.shtml"
EN_JULY_3 = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"


def _id(store: Store, url: str) -> str:
    return store.db.execute("select id from statements where url = ?", [url]).fetchone()[0]


def _pairs(store: Store) -> set[tuple[str, str, str]]:
    return {
        (a.rsplit("/", 1)[1], b.rsplit("/", 1)[1], method)
        for a, b, method in store.db.execute(
            "select a.url, b.url, t.method from translations t join statements a on a.id = t.statement_id"
            " join statements b on b.id = t.translated_id where a.language = 'en'"
        )
    }


def test_a_run_links_only_the_statements_it_saved(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    _fill(store, "fmprc_en", "fmprc_zh")
    # a run that saved one Chinese statement: its English twin of the same day is linked, nothing else
    assert link_translations(store, "fmprc_zh", [_id(store, ZH_JULY_3)]) == 1
    assert _pairs(store) == {("t1794629.shtml", "t1794584.shtml", "same-day")}
    assert store.db.execute("select count(*) from translations").fetchone() == (2,)
    # the same pair is not linked twice; an English run that saved its twin finds it linked already
    assert link_translations(store, "fmprc_en", [_id(store, EN_JULY_3)]) == 0
    # every statement of the site (None): the 6 other pairs of the fixtures, with their methods
    assert link_translations(store, "fmprc_zh") == 6
    assert len(_pairs(store)) == 7
    store.close()


def _steps(store: Store, ids: list[str]) -> int:
    """SQLite virtual machine steps (in hundreds) that linking `ids` of fmprc_zh takes, the links then undone."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    store.db.conn.set_progress_handler(count, 100)
    try:
        assert link_translations(store, "fmprc_zh", ids) == 1
    finally:
        store.db.conn.set_progress_handler(None, 0)
    with store.transaction() as db:
        db.execute("delete from translations")
    return counted[0]


def test_linking_a_run_costs_the_same_in_an_archive_ten_thousand_statements_larger(tmp_path: Path) -> None:
    # Before: every run that stored anything read every statement of both sites and every page (1.4 s at
    # 100,000 statements of one site for a run that added 3).
    store = Store(tmp_path / "s.db")
    _fill(store, "fmprc_en", "fmprc_zh")
    run = [_id(store, ZH_JULY_3)]
    small = _steps(store, run)
    with store.transaction() as db:
        db.conn.executemany(
            "insert into statements (id, site, language, url, title, kind, date, date_source, speakers, body,"
            " content_hash, version) values (?, 'fmprc_en', 'en', ?, 'Regular Press Conference', ?, ?, 'title',"
            " '[\"Zhao Lijian\"]', 'Q: …', ?, 1)",
            [
                (
                    f"{number:016x}",
                    f"https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t{number}.shtml",
                    ("press_conference", "remarks")[number % 2],
                    f"{2000 + number % 18}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                    f"{number:064x}",
                )
                for number in range(1_000_000, 1_010_000)
            ],
        )
    large = _steps(store, run)
    assert _pairs(store) == set()  # undone by _steps
    # index lookups: a deeper B-tree costs a few steps more; reading the 10,000 would cost thousands of hundreds
    assert 0 < small <= large < 2 * small, (small, large)
    store.close()
