"""Full-text search (English word index, Chinese bigram index) and translation links, on stored fixtures."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest

from crawler.sites import get_site
from pipelines.extract import extract
from pipelines.normalize import normalize
from pipelines.segment import segment
from statements import cjk
from statements.search import BadQuery, Filters, search, search_turns
from statements.stats import find_statement
from statements.store import Store
from statements.translations import link_translations
from tests.conftest import statement_fixtures

SEEN = "2026-11-29T10:00:00+00:00"


def _fill(store: Store, *sites: str) -> None:
    for site in sites:
        declarations = get_site(site)
        for page in statement_fixtures(site):
            item = page.page_item(site)
            item.extracted = extract(item, declarations)
            item.statement = normalize(item, item.extracted, declarations)
            item.statement.turns = segment(item.statement, declarations)
            store.save(item, item.statement, SEEN)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("search") / "statements.db")
    _fill(store, "fmprc_en", "fmprc_zh")
    yield store
    store.close()


def test_index_text_and_match_phrase() -> None:
    assert cjk.index_text("台湾问题") == " \ue000 台湾 湾问 问题 \ue000 "
    assert cjk.index_text("港") == " \ue000 港 \ue000 "
    assert cjk.index_text("APAC新闻，G20") == "APAC \ue000 新闻 \ue000 ，G20"
    assert cjk.match_phrase("香港国安法") == '"香港 港国 国安 安法"'
    assert cjk.match_phrase("台湾") == '"台湾"'
    with pytest.raises(ValueError):
        cjk.match_phrase("  ")


def _substring_hits(store: Store, word: str) -> set[str]:
    return {
        row["id"]
        for row in store.db.query("select id, title, body from statements where language = 'zh'")
        if word in row["title"] or word in row["body"]
    }


@pytest.mark.parametrize(
    "word",
    [
        "台湾",
        "香港",
        "美国",
        "钓鱼岛",
        "华春莹",
        "香港国安法",
        "佩洛西",
        "勠力同心",
        "委内瑞拉",
        "新冠肺炎疫情",
    ],
)
def test_chinese_search_finds_exactly_the_statements_holding_the_word(store: Store, word: str) -> None:
    found = {hit.id for hit in search(store, word, limit=1000)}
    assert found == _substring_hits(store, word)
    assert found  # every word above occurs in the Chinese fixtures


def test_a_phrase_never_matches_across_punctuation(store: Store) -> None:
    # "问：" ends a run and "据报道" starts the next one in many transcripts; "问据" is in no text.
    assert _substring_hits(store, "问据") == set()
    assert search(store, "问据", limit=1000) == []


def test_chinese_hits_carry_a_snippet_with_the_word_marked(store: Store) -> None:
    [hit] = search(store, "佩洛西涉港错误言论", limit=5)
    assert hit.title == "外交部发言人华春莹就美国会众议长佩洛西涉港错误言论答记者问"
    assert "[佩洛西涉港错误言论]" in hit.snippet
    assert (hit.date, hit.site, hit.language) == ("2019-08-06", "fmprc_zh", "zh")


def test_english_search_stems_and_is_what_sqlite_utils_search_finds(store: Store) -> None:
    found = {hit.id for hit in search(store, "sanction", limit=1000)}
    word = re.compile(r"\bsanction(s|ed|ing)?\b", re.IGNORECASE)
    expected = {
        row["id"]
        for row in store.db.query("select id, title, body from statements where language = 'en'")
        if word.search(row["title"]) or word.search(row["body"])
    }
    assert found == expected and len(found) >= 3
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", store.path, "statements", "sanction", "-c", "id"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert {row["id"] for row in __import__("json").loads(result.stdout)} == found


def test_filters(store: Store) -> None:
    hits = search(
        store,
        "Hong Kong",
        Filters(site="fmprc_en", kind="remarks", since=dt.date(2019, 8, 1), until=dt.date(2019, 8, 31)),
        50,
    )
    assert {hit.date for hit in hits} <= {"2019-08-06", "2019-08-07", "2019-08-14"} and hits
    assert all(hit.kind == "remarks" for hit in hits)
    zhao = search(store, "香港", Filters(speaker="赵立坚"), 50)
    assert zhao and all(hit.site == "fmprc_zh" for hit in zhao)
    assert {hit.title for hit in zhao} >= {"2020年7月3日外交部发言人赵立坚主持例行记者会"}


def test_bad_queries_are_refused(store: Store) -> None:
    for query in ("", "   ", '"unbalanced', "AND"):
        with pytest.raises(BadQuery):
            search(store, query)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (" OR ".join(["a"] * 200), 'query too long: 200 terms, at most 32 (words and "phrases")'),
        (" ".join(["a"] * 33), 'query too long: 33 terms, at most 32 (words and "phrases")'),
        (
            "NEAR(" + " ".join(["a"] * 33) + ", 10)",
            'query too long: 33 terms, at most 32 (words and "phrases")',
        ),
        (
            " OR ".join(f"{letter}*" for letter in "abcdefghijklmnopqrstuvwxyzabcdefg"),
            'query too long: 33 terms, at most 32 (words and "phrases")',
        ),
        (" ".join(["香港"] * 33), 'query too long: 33 terms, at most 32 (words and "phrases")'),
        ("a " * 5_000, "query too long: 10,000 characters, at most 1,000"),
        ('"' + "a " * 500 + '"', "query too long: 1,002 characters, at most 1,000"),
        ("香港国安法" * 201, "query too long: 1,005 characters, at most 1,000"),
    ],
)
def test_queries_over_the_limits_are_refused_before_any_work(store: Store, query: str, message: str) -> None:
    with pytest.raises(BadQuery) as refused:
        search(store, query)
    assert str(refused.value) == message
    with pytest.raises(BadQuery) as refused:
        search_turns(store, query)
    assert str(refused.value) == message


def test_deeply_nested_parentheses_are_refused_by_fts5(store: Store) -> None:
    with pytest.raises(BadQuery) as refused:
        search(store, "(" * 400 + "a" + ")" * 400)
    assert str(refused.value).endswith("is not a valid full-text query (fts5: parser stack overflow)")


def test_operators_phrases_and_column_names_are_not_counted_as_terms(store: Store) -> None:
    words = [f"w{n}" for n in range(31)]
    allowed = [
        " OR ".join(words) + ' OR "one country two systems and then some more words"',  # 32 terms
        "NEAR(" + " ".join(words[:30]) + ", 10) NOT Diaoyu",  # NEAR and its distance are no terms
        " AND ".join(f"title: {word}" for word in words[:32]),  # nor are column names
    ]
    for query in allowed:
        assert search(store, query) == []
    repeated = search(store, " ".join(["香港国安法"] * 32), limit=100)
    assert [hit.id for hit in repeated] == [hit.id for hit in search(store, "香港国安法", limit=100)]
    assert all("[香港国安法]" in hit.snippet and "[[" not in hit.snippet for hit in repeated) and repeated


def test_pathological_queries_within_the_limits_complete(store: Store) -> None:
    # 32 ORed "a"s, "the"s or prefixes put every word of a statement in its snippet's way: FTS5's snippet() compared
    # each with every other (minutes for 200); the snippet is now made in time linear in the hits.
    single = {hit.id for hit in search(store, "the", limit=1_000)}
    repeated = search(store, " OR ".join(["the"] * 32), limit=1_000)
    assert {hit.id for hit in repeated} == single and len(single) > 20
    assert all(re.search(r"\[the\]", hit.snippet, re.IGNORECASE) for hit in repeated)
    everything = search(store, " OR ".join(f"{letter}*" for letter in "abcdefghijklmnopqrstuvwxyzabcdef"))
    assert len(everything) == 20 and all(hit.snippet.count("[") >= 8 for hit in everything)
    assert len(search(store, "NEAR(" + " ".join(["a"] * 31) + ", 10)")) == 20
    chinese = search(store, " ".join(["中国"] * 32), limit=100)
    assert {hit.id for hit in chinese} == {hit.id for hit in search(store, "中国", limit=100)} and chinese
    turns = search_turns(store, " OR ".join(["the"] * 32), limit=10_000)
    assert len(turns) == len(search_turns(store, "the", limit=10_000)) > 100


@pytest.mark.parametrize(
    "query",
    [
        "Diaoyu",
        "sanction",
        "Hong Kong",
        '"one country two systems"',
        "Diaoyu OR Senkaku",
        "trade AND (tariffs OR sanctions)",
        "Pompeo",
        "epidemic",
        "China",
        "NEAR(Hong Kong, 3)",
    ],
)
def test_english_snippets_are_those_of_fts5_snippet(store: Store, query: str) -> None:
    hits = search(store, query, limit=1_000)
    assert hits
    for hit in hits:
        [(expected,)] = store.db.execute(
            "select snippet(statements_fts, -1, '[', ']', '…', 16) from statements_fts"
            " where statements_fts match ? and rowid = (select rowid from statements where id = ?)",
            [query, hit.id],
        ).fetchall()
        assert hit.snippet == re.sub(r"\s+", " ", expected).strip()


def test_chinese_snippets_mark_each_hit_once(store: Store) -> None:
    hits = search(store, "香港 香港国安法 香港", limit=100)
    assert hits and all("[[" not in hit.snippet and "]]" not in hit.snippet for hit in hits)
    assert any("[香港国安法]" in hit.snippet for hit in hits)


def test_a_search_running_too_long_is_stopped(store: Store, monkeypatch) -> None:
    from statements import search as search_module

    with monkeypatch.context() as patch:
        patch.setattr(search_module, "QUERY_SECONDS", 0.0)
        patch.setattr(search_module, "_PROGRESS_STEPS", 1)
        for run in (
            lambda: search(store, "China"),
            lambda: search(store, "香港"),
            lambda: search_turns(store, "China"),
        ):
            with pytest.raises(BadQuery) as stopped:
                run()
            assert str(stopped.value) == (
                "query too costly: stopped after 0 s (search rarer words, fewer terms or prefixes)"
            )
    # the connection is left as it was
    assert len(search(store, "China")) == 20 and len(search_turns(store, "China", limit=5)) == 5


def test_deleting_a_statement_deletes_it_from_both_indexes(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    _fill(store, "fmprc_zh")
    [hit] = search(store, "佩洛西涉港错误言论")
    store.db.execute("delete from statements where id = ?", [hit.id])
    assert search(store, "佩洛西涉港错误言论") == []
    assert store.db.execute(
        "select count(*) from statements_fts_zh where statement_id = ?", [hit.id]
    ).fetchone() == (0,)
    store.close()


def test_translations_link_press_conferences_and_twins_without_dates(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    _fill(store, "fmprc_en", "fmprc_zh")
    assert link_translations(store, "fmprc_zh") == 7
    pairs = {
        (a["url"].rsplit("/", 1)[1], b["url"].rsplit("/", 1)[1], row["method"])
        for row in store.db.query("select * from translations")
        for a in [store.db.table("statements").get(row["statement_id"])]
        for b in [store.db.table("statements").get(row["translated_id"])]
        if a["language"] == "en"
    }
    assert pairs == {
        ("t1794629.shtml", "t1794584.shtml", "same-day"),  # July 3, 2020: Zhao Lijian / 赵立坚
        ("t1621251.shtml", "t1621208.shtml", "same-day"),  # December 12, 2018: Lu Kang / 陆慷
        # February 3, 2020: Daily Briefing Online / 网上例行记者会
        ("t1739548.shtml", "t1739521.shtml", "same-day"),
        ("t1774380.shtml", "t1774228.shtml", "same-day"),  # April 28, 2020: Geng Shuang / 耿爽
        ("t1686638.shtml", "t1686604.shtml", "document-number"),  # Pelosi / 佩洛西
        ("t1687014.shtml", "t1687000.shtml", "document-number"),  # Venezuela / 委内瑞拉
        # the current template links the translation: https://www.mfa.gov.cn/zyxw/… is …/web/zyxw/…
        ("t20260926_12031663.html", "t20260926_12031616.shtml", "page-link"),
    }
    assert store.db.execute("select count(*) from translations").fetchone() == (14,)
    pelosi = find_statement(
        store, "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1686638.shtml"
    )
    assert (pelosi["date"], pelosi["date_source"]) == ("2019-08-06", "translation")
    assert [t["url"] for t in pelosi["translations"]] == [
        "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1686604.shtml"
    ]
    assert link_translations(store, "fmprc_en") == 0  # already linked
    store.close()


def test_rowids_follow_dates_so_that_common_words_rank_only_their_newest_hits(
    store: Store, monkeypatch
) -> None:
    from statements import search as search_module

    dated = store.db.execute("select date from statements where date is not null order by rowid").fetchall()
    assert [d for (d,) in dated] == sorted(d for (d,) in dated)
    newest_two = {
        row[0]
        for row in store.db.execute(
            "select s.id from statements_fts f join statements s on s.rowid = f.rowid"
            " where statements_fts match 'China' order by f.rowid desc limit 2"
        )
    }
    assert len(search(store, "China", limit=100)) > 10
    monkeypatch.setattr(search_module, "RANK_LIMIT", 2)
    [hit] = search(store, "China", limit=1)
    assert hit.id in newest_two
    # a filter that none of the newest hits passes widens the window until enough do
    older = search(store, "China", Filters(until=dt.date(2018, 12, 31)), limit=3)
    assert len(older) == 3 and all(hit.date <= "2018-12-31" for hit in older)
