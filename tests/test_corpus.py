"""The main job on the whole recorded site: `scrapy crawl fmprc_en` replaying ../shared/corpus/fmprc-2020.

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
    """The corpus crawled twice into one database; returns its path and the two runs' stderr."""
    db_path = tmp_path_factory.mktemp("corpus") / "en.db"
    warc = corpus / "fmprc-2020" / "fmprc-2020.warc.gz"
    logs = []
    for _ in range(2):
        run = run_crawl("fmprc_en", "-s", f"REPLAY_WARC={warc}", "-s", f"STATEMENTS_DB={db_path}")
        assert run.returncode == 0, run.stderr[-3000:]
        logs.append(run.stderr)
    return db_path, logs


def _rows(db_path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    return db.execute("select * from statements order by url").fetchall()


def test_every_english_statement_page_is_stored_once(crawled, corpus: Path) -> None:
    db_path, logs = crawled
    recorded = {
        json.loads(line)["url"]
        for line in (corpus / "fmprc-2020" / "responses.jsonl").read_text().splitlines()
        if re.search(r"/mfa_eng/.*/t\d+\.shtml$", json.loads(line)["url"])
    }
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
            assert row["date_source"] == "inferred"
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
        for text in BOILERPLATE:
            assert text not in row["body"], (row["url"], text)


def test_kinds_and_speakers(crawled) -> None:
    rows = _rows(crawled[0])
    kinds = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
        speakers = json.loads(row["speakers"])
        assert len(speakers) == 1 and speakers[0] in row["title"], row["url"]
    assert kinds == {"press_conference": 487, "remarks": 13}


def test_second_crawl_changes_nothing(crawled) -> None:
    db = sqlite3.connect(crawled[0])
    runs = db.execute(
        "select new, updated, unchanged, statement_pages, listing_pages, finish_reason from crawls"
    ).fetchall()
    assert runs == [(500, 0, 0, 500, 13, "finished"), (0, 0, 500, 500, 13, "finished")]
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
    found = {row["url"] for row in json.loads(result.stdout)}
    word = re.compile(r"\bDiaoyu\b", re.IGNORECASE)  # a word index: "Diaoyutai Guesthouse" is another word
    expected = {
        row["url"] for row in _rows(crawled[0]) if word.search(row["title"]) or word.search(row["body"])
    }
    assert found == expected and len(found) == 7
