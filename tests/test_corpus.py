"""The main job on the whole recorded site: `scrapy crawl fmprc_en` and `scrapy crawl fmprc_zh` replaying
../shared/corpus/fmprc-2020 into one database, each twice.

Skipped when the corpus is missing, unless CI is set: then it fails (see conftest.corpus).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.conftest import run_crawl
from tests.test_fixtures import BOILERPLATE

TITLE_DATE = re.compile(r"on ([A-Z][a-z]+) ?(\d{1,2})(?:, (\d{4}))?$")


@pytest.fixture(scope="module")
def crawled(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The corpus crawled by fmprc_en twice, then by fmprc_zh twice, into one database; returns its path and the
    runs' stderr."""
    db_path = tmp_path_factory.mktemp("corpus") / "statements.db"
    warc = corpus / "fmprc-2020" / "fmprc-2020.warc.gz"
    logs = []
    for spider in ("fmprc_en", "fmprc_en", "fmprc_zh", "fmprc_zh"):
        run = run_crawl(spider, "-s", f"REPLAY_WARC={warc}", "-s", f"STATEMENTS_DB={db_path}")
        assert run.returncode == 0, run.stderr[-3000:]
        logs.append(run.stderr)
    return db_path, logs


def _rows(db_path: Path, site: str = "fmprc_en") -> list[sqlite3.Row]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    return db.execute("select * from statements where site = ? order by url", [site]).fetchall()


def _recorded(corpus: Path, pattern: str) -> dict[str, dict]:
    return {
        record["url"]: record
        for line in (corpus / "fmprc-2020" / "responses.jsonl").read_text().splitlines()
        if re.search(pattern, (record := json.loads(line))["url"])
    }


def test_every_english_statement_page_is_stored_once(crawled, corpus: Path) -> None:
    db_path, logs = crawled
    recorded = set(_recorded(corpus, r"/mfa_eng/.*/t\d+\.shtml$"))
    assert len(recorded) == 500
    rows = _rows(db_path)
    assert {row["url"] for row in rows} == recorded
    assert len({row["id"] for row in rows}) == 500
    for log in logs:
        assert "Traceback" not in log and "ERROR" not in log


def test_dates_are_those_of_the_titles_or_inferred_right(crawled) -> None:
    rows = _rows(crawled[0])
    inferred = {}
    for row in rows:
        assert row["title"] and row["date"], row["url"]
        match = TITLE_DATE.search(row["title"])
        if match and match.group(3):
            title_date = dt.datetime.strptime(" ".join(match.groups()), "%B %d %Y").date().isoformat()
            assert (row["date"], row["date_source"]) == (title_date, "title"), row["url"]
        else:
            inferred[row["url"].rsplit("/", 1)[1]] = row["date"]
            assert row["date_source"] == "translation"  # inferred, then given by the Chinese twin
    assert len(inferred) == 16
    assert inferred.pop("t1686638.shtml") == "2019-08-06"
    assert inferred.pop("t1687014.shtml") == "2019-08-07"
    for row in rows:  # the 14 titles with no year are of September 2018
        name = row["url"].rsplit("/", 1)[1]
        if name in inferred:
            month, day = TITLE_DATE.search(row["title"]).group(1, 2)
            assert (
                inferred[name] == dt.datetime.strptime(f"{month} {day} 2018", "%B %d %Y").date().isoformat()
            )


def test_bodies_hold_exactly_the_text_of_the_body_container(crawled, corpus: Path) -> None:
    for row in _rows(crawled[0]):
        path = corpus / "fmprc-2020" / "www.fmprc.gov.cn" / urlsplit(row["url"]).path.lstrip("/")
        container = lxml.html.fromstring(path.read_bytes()).cssselect("div.content")[0]
        for element in container.xpath(".//script|.//style"):
            element.drop_tree()
        assert re.sub(r"\s+", "", row["body"]) == re.sub(r"\s+", "", container.text_content()), row["url"]
        for text in BOILERPLATE["fmprc_en"]:
            assert text not in row["body"], (row["url"], text)


def test_kinds_and_speakers(crawled) -> None:
    rows = _rows(crawled[0])
    kinds = {}
    several = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        speakers = json.loads(row["speakers"])
        assert speakers and speakers[0] in row["title"], row["url"]
        if len(speakers) > 1:
            several[row["url"].rsplit("/", 1)[-1]] = speakers
    assert kinds == {"press_conference": 487, "remarks": 13}
    # Zhao Lijian's first press conference: Hua Chunying introduced him and answered as "Hua Chunying:".
    assert several == {"t1748946.shtml": ["Zhao Lijian", "Hua Chunying"]}


def test_second_crawl_changes_nothing(crawled) -> None:
    db = sqlite3.connect(crawled[0])
    runs = db.execute(
        "select spider, new, updated, unchanged, statement_pages, listing_pages, finish_reason from crawls"
    ).fetchall()
    assert runs == [
        ("fmprc_en", 500, 0, 0, 500, 13, "finished"),
        ("fmprc_en", 0, 0, 0, 0, 1, "finished"),  # incremental: page 1 holds only stored statements
        ("fmprc_zh", 1000, 0, 0, 1000, 67, "finished"),
        ("fmprc_zh", 0, 0, 0, 0, 1, "finished"),
    ]
    assert db.execute("select count(*) from statements where version != 1").fetchone()[0] == 0
    assert db.execute("select count(*) from statement_versions").fetchone()[0] == 0


def test_sqlite_utils_search_finds_statements(crawled) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqlite_utils",
            "search",
            str(crawled[0]),
            "statements",
            "Diaoyu",
            "-c",
            "url",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = {row["url"] for row in json.loads(result.stdout) if "/mfa_eng/" in row["url"]}
    word = re.compile(r"\bDiaoyu\b", re.IGNORECASE)  # a word index: "Diaoyutai Guesthouse" is another word
    expected = {
        row["url"] for row in _rows(crawled[0]) if word.search(row["title"]) or word.search(row["body"])
    }
    assert found == expected and len(found) == 7


def test_every_chinese_statement_page_is_stored_once_dated_as_its_listing_says(crawled, corpus: Path) -> None:
    recorded = set(_recorded(corpus, r"/web/wjdt_674879/fyrbt_674889/t\d+\.shtml$"))
    assert len(recorded) == 1000
    listing_dates = {}
    folder = corpus / "fmprc-2020" / "www.fmprc.gov.cn" / "web" / "wjdt_674879" / "fyrbt_674889"
    for listing in folder.glob("default*.shtml"):
        for name, date in re.findall(
            r'href="\./(t\d+\.shtml)"[^>]*>[^<]*</a>\((\d{4}-\d{2}-\d{2})\)', listing.read_text()
        ):
            listing_dates[name] = date
    rows = _rows(crawled[0], "fmprc_zh")
    assert {row["url"] for row in rows} == recorded
    for row in rows:
        assert row["date"] == listing_dates[row["url"].rsplit("/", 1)[1]], row["url"]
        assert row["language"] == "zh" and row["title"] and row["body"]


def test_chinese_bodies_hold_exactly_the_text_of_the_body_container(crawled, corpus: Path) -> None:
    for row in _rows(crawled[0], "fmprc_zh"):
        path = corpus / "fmprc-2020" / "www.fmprc.gov.cn" / urlsplit(row["url"]).path.lstrip("/")
        container = lxml.html.fromstring(path.read_bytes()).cssselect("#News_Body_Txt_A")[0]
        for element in container.xpath(".//script|.//style"):
            element.drop_tree()
        assert re.sub(r"\s+", "", row["body"]) == re.sub(r"\s+", "", container.text_content()), row["url"]
        for text in BOILERPLATE["fmprc_zh"]:
            assert text not in row["body"], (row["url"], text)
        assert not any(paragraph.startswith(" ") for paragraph in row["body"].split("\n\n"))


@pytest.mark.parametrize(
    "word",
    [
        "台湾",
        "香港",
        "美国",
        "钓鱼岛",
        "一带一路",
        "华春莹",
        "香港国安法",
        "新冠肺炎疫情",
        "朝鲜半岛",
        "南海",
        "蓬佩奥",
        "勠力同心",
    ],
)
def test_chinese_search_is_a_substring_scan(crawled, word: str) -> None:
    from statements.search import search
    from statements.store import Store

    store = Store(crawled[0], readonly=True)
    expected = {
        row["id"] for row in _rows(crawled[0], "fmprc_zh") if word in row["title"] or word in row["body"]
    }
    assert {hit.id for hit in search(store, word, limit=100_000)} == expected
    assert expected
    store.close()


def test_english_statements_are_linked_to_their_chinese_twins(crawled) -> None:
    db = sqlite3.connect(crawled[0])
    linked = db.execute(
        "select count(distinct statement_id) from translations t join statements s on s.id = t.statement_id"
        " where s.site = 'fmprc_en'"
    ).fetchone()[0]
    assert linked == 499  # the Chinese page of April 29, 2019 is not in the recording
    twins = dict(
        db.execute(
            "select substr(a.url, -14), substr(b.url, -14) from translations t join statements a on a.id = t.statement_id"
            " join statements b on b.id = t.translated_id where a.site = 'fmprc_en' and t.method = 'document-number'"
            " and a.kind = 'remarks'"
        ).fetchall()
    )
    assert twins == {"t1686638.shtml": "t1686604.shtml", "t1687014.shtml": "t1687000.shtml"}
    for en, zh in db.execute(
        "select a.date, b.date from translations t join statements a on a.id = t.statement_id"
        " join statements b on b.id = t.translated_id"
    ):
        assert en == zh


PRESS_CONFERENCE = re.compile(r"Regular Press Conference|Daily Briefing Online|例行记者会")


@pytest.mark.parametrize(("site", "transcripts"), [("fmprc_en", 487), ("fmprc_zh", 827)])
def test_press_conferences_are_split_into_turns(crawled, site: str, transcripts: int) -> None:
    db = sqlite3.connect(crawled[0])
    db.row_factory = sqlite3.Row
    turns: dict[str, list[sqlite3.Row]] = {}
    for turn in db.execute("select * from turns order by statement_id, position"):
        turns.setdefault(turn["statement_id"], []).append(turn)
    conferences = [row for row in _rows(crawled[0], site) if PRESS_CONFERENCE.search(row["title"])]
    assert len(conferences) == transcripts
    with_qa = answers = named = 0
    for row in conferences:
        own = turns.get(row["id"], [])
        assert "\n\n".join(turn["text"] for turn in own) == row["body"] or not own, row["url"]
        with_qa += {"question", "answer"} <= {turn["role"] for turn in own}
        spokesperson = json.loads(row["speakers"])[0]
        for turn in own:
            if turn["role"] == "answer":
                answers += 1
                named += turn["speaker"] == spokesperson
    assert with_qa / transcripts >= 0.98
    assert named / answers >= 0.95
    others = [row for row in _rows(crawled[0], site) if not PRESS_CONFERENCE.search(row["title"])]
    for row in others:  # remarks with questions get turns, announcements none
        own = turns.get(row["id"], [])
        has_question = (
            re.search(r"(?m)^(?:Q|问|有记者问|会后有记者问及|[^\n：]{1,20}记者)\s*[:：]", row["body"])
            is not None
        )
        assert bool(own) == has_question, row["url"]


def test_a_backfill_stores_exactly_the_statements_the_listing_dates_in_the_range(
    corpus: Path, tmp_path: Path
) -> None:
    db_path = tmp_path / "june.db"
    warc = corpus / "fmprc-2020" / "fmprc-2020.warc.gz"
    run = run_crawl(
        "fmprc_zh",
        "-a",
        "since=2020-06-01",
        "-a",
        "until=2020-06-30",
        "-s",
        f"REPLAY_WARC={warc}",
        "-s",
        f"STATEMENTS_DB={db_path}",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    folder = corpus / "fmprc-2020" / "www.fmprc.gov.cn" / "web" / "wjdt_674879" / "fyrbt_674889"
    june = {
        f"https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/{name}"
        for listing in folder.glob("default*.shtml")
        for name, date in re.findall(
            r'href="\./(t\d+\.shtml)"[^>]*>[^<]*</a>\((\d{4}-\d{2}-\d{2})\)', listing.read_text()
        )
        if date.startswith("2020-06")
    }
    db = sqlite3.connect(db_path)
    assert {url for (url,) in db.execute("select url from statements")} == june and len(june) == 23
    # no other statement page fetched; 3 of the 67 listing pages walked
    assert db.execute("select statement_pages, listing_pages, out_of_range from crawls").fetchone() == (
        23,
        3,
        0,
    )
