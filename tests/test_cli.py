"""`statements extract`, through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from statements.cli import main
from statements.store import Store
from tests.conftest import FIXTURES

PAGE = FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml"
URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"


def test_extract_prints_the_statement_as_json() -> None:
    result = CliRunner().invoke(main, ["extract", "--site", "fmprc_en", "--url", URL, str(PAGE)])
    assert result.exit_code == 0, result.output
    statement = json.loads(result.stdout)
    assert set(statement) == {
        "id",
        "url",
        "title",
        "date",
        "date_source",
        "published_at",
        "kind",
        "speakers",
        "language",
        "language_source",
        "paragraphs",
        "body",
        "turns",
    }
    assert len(statement["turns"]) == 22
    assert statement["turns"][0]["outlet"] == "CCTV" and statement["turns"][1]["speaker"] == "Zhao Lijian"
    assert (
        statement["title"]
        == "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 3, 2020"
    )
    assert (statement["date"], statement["kind"], statement["speakers"]) == (
        "2020-07-03",
        "press_conference",
        ["Zhao Lijian"],
    )
    assert statement["language"] == "en" and statement["url"] == URL
    assert statement["id"] == "d842253e9f9601a5"
    assert statement["body"] == "\n\n".join(statement["paragraphs"])
    assert statement["paragraphs"][0].startswith("CCTV: The foreign ministry of Laos issued a statement")


def test_extract_exits_2_with_a_one_line_reason_for_a_page_that_is_not_a_statement() -> None:
    result = CliRunner().invoke(
        main,
        [
            "extract",
            "--site",
            "fmprc_en",
            "--url",
            "https://www.fmprc.gov.cn/error.htm",
            str(FIXTURES / "fmprc_en" / "error.htm"),
        ],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "not a statement: soft-404: error page URL /error.htm\n"


def test_extract_refuses_an_unknown_site() -> None:
    result = CliRunner().invoke(main, ["extract", "--site", "nowhere", "--url", URL, str(PAGE)])
    assert result.exit_code == 2
    assert "unknown site 'nowhere'; known sites: fmprc_en" in result.stderr


def test_extract_refuses_a_missing_file() -> None:
    result = CliRunner().invoke(
        main, ["extract", "--site", "fmprc_en", "--url", URL, "/nonexistent/page.html"]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from statements.translations import link_translations
    from tests.test_search import _fill

    path = tmp_path_factory.mktemp("cli") / "statements.db"
    store = Store(path)
    _fill(store, "fmprc_en", "fmprc_zh")
    link_translations(store, "fmprc_en")
    store.close()
    return path


def test_search_json_has_url_title_date_site_and_snippet(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["search", "--db", str(db_path), "香港国安法", "--format", "json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert {"url", "title", "date", "site", "snippet"} <= set(hits[0])
    assert {hit["url"].rsplit("/", 1)[1] for hit in hits} == {"t1793459.shtml", "t1794584.shtml"}
    assert all("[香港国安法]" in hit["snippet"] for hit in hits)


def test_search_table_and_csv_and_filters(db_path: Path) -> None:
    table = CliRunner().invoke(main, ["search", "--db", str(db_path), "Diaoyu", "--language", "en"])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split() == ["id", "date", "site", "title", "snippet"]
    assert "2020-07-03  fmprc_en" in table.stdout and "[Diaoyu]" in table.stdout
    rows = CliRunner().invoke(
        main, ["search", "--db", str(db_path), "Diaoyu", "--format", "csv", "--until", "2019-12-31"]
    )
    assert rows.stdout.splitlines()[0] == "id,url,title,date,site,language,kind,snippet"
    assert all(line.split(",")[3] <= "2019-12-31" for line in rows.stdout.splitlines()[1:])


def test_search_uses_statements_db_from_the_environment(db_path: Path) -> None:
    result = CliRunner(env={"STATEMENTS_DB": str(db_path)}).invoke(
        main, ["search", "佩洛西", "--format", "json"]
    )
    assert result.exit_code == 0
    assert [hit["url"][-14:] for hit in json.loads(result.stdout)] == ["t1686604.shtml"]


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (
            ["search", "--db", "/nonexistent/statements.db", "x"],
            1,
            "Error: no database at /nonexistent/statements.db",
        ),
        (["search", "x", "--since", "2020-02-30"], 2, "'2020-02-30' is not an ISO date (YYYY-MM-DD)"),
        (["search", '"unbalanced'], 2, "is not a valid full-text query"),
        (["search", "x", "--site", "mars"], 2, "unknown site 'mars'"),
        (
            ["search", " OR ".join(["a"] * 200)],
            2,
            'Error: query too long: 200 terms, at most 32 (words and "phrases")',
        ),
        (["search", "a " * 5_000], 2, "Error: query too long: 10,000 characters, at most 1,000"),
        (
            ["turns", "-q", " OR ".join(["a"] * 200)],
            2,
            'Error: query too long: 200 terms, at most 32 (words and "phrases")',
        ),
    ],
)
def test_search_errors(db_path: Path, arguments: list[str], code: int, message: str) -> None:
    if "--db" not in arguments:
        arguments = [*arguments, "--db", str(db_path)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == code
    assert message in result.stderr


def test_search_stops_a_query_running_too_long(db_path: Path, monkeypatch) -> None:
    from statements import search as search_module

    monkeypatch.setattr(search_module, "QUERY_SECONDS", 0.0)
    monkeypatch.setattr(search_module, "_PROGRESS_STEPS", 1)
    result = CliRunner().invoke(main, ["search", "--db", str(db_path), "China"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: query too costly: stopped after 0 s (search rarer words, fewer terms or prefixes)"
    )


def test_search_with_many_terms_within_the_limits(db_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["search", "--db", str(db_path), " OR ".join(["a"] * 32), "--format", "json", "--limit", "5"]
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 5 and all("[a]" in hit["snippet"].lower() for hit in hits)


def test_search_refuses_a_database_made_by_another_tool(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table statements (text)").connection.commit()
    result = CliRunner().invoke(main, ["search", "--db", str(other), "x"])
    assert result.exit_code == 1
    assert (
        "is not a statements database (no pages, crawls, statements_fts table): another tool made it"
        in result.stderr
    )


def test_show_by_url_lists_translations_both_ways(db_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "show",
            "--db",
            str(db_path),
            "http://fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1686638.shtml",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == "Foreign Ministry Spokesperson Hua Chunying's Remarks on US House Speaker Nancy Pelosi's Erroneous Remarks on Hong Kong"
    )
    assert "date:      2019-08-06 (translation)" in lines
    assert (
        "translation (zh, document-number): 外交部发言人华春莹就美国会众议长佩洛西涉港错误言论答记者问"
        in lines
    )
    twin = CliRunner().invoke(
        main,
        [
            "show",
            "--db",
            str(db_path),
            "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1686604.shtml",
            "--format",
            "json",
        ],
    )
    record = json.loads(twin.stdout)
    assert [t["url"] for t in record["translations"]] == [
        "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1686638.shtml"
    ]
    assert record["speakers"] == ["华春莹"] and record["body"].startswith(
        "问：据报道，美国众议院议长佩洛西6日发表声明称"
    )


def test_show_unknown_statement(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["show", "--db", str(db_path), "0000000000000000"])
    assert result.exit_code == 1
    assert "no statement '0000000000000000'" in result.stderr


def test_turns_by_outlet_and_speaker(db_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["turns", "--db", str(db_path), "--outlet", "australian", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    turns = json.loads(result.stdout)
    assert {t["outlet"] for t in turns} == {"The Australian", "Australian Broadcasting Corporation"}
    assert all(t["role"] == "question" for t in turns)
    answers = CliRunner().invoke(
        main,
        [
            "turns",
            "--db",
            str(db_path),
            "--speaker",
            "耿爽",
            "--role",
            "answer",
            "-q",
            "路透社",
            "--format",
            "json",
        ],
    )
    turns = json.loads(answers.stdout)
    assert [(t["date"], t["position"], t["site"]) for t in turns] == [
        ("2020-04-28", 21, "fmprc_zh"),
        ("2020-04-28", 31, "fmprc_zh"),
        ("2020-04-28", 33, "fmprc_zh"),
        ("2020-04-28", 35, "fmprc_zh"),
    ]
    assert turns[1]["text"] == "耿爽：那你应该去问路透社，他们的消息源是哪里，他们从哪得到的消息？"
    assert all(t["speaker"] == "耿爽" and "路透社" in t["text"] for t in turns)


def test_turns_table_and_follow_ups(db_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "turns",
            "--db",
            str(db_path),
            "--since",
            "2020-04-28",
            "--until",
            "2020-04-28",
            "--site",
            "fmprc_en",
            "-q",
            "Reuters",
            "--format",
            "csv",
        ],
    )
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "statement_id",
        "url",
        "date",
        "site",
        "position",
        "role",
        "speaker",
        "outlet",
        "follow_up",
        "text",
    ]
    assert [row[4:9] for row in rows[1:]] == [
        ["4", "question", "", "Reuters", "False"],
        ["21", "answer", "Geng Shuang", "", "False"],
        ["28", "question", "", "The Australian", "False"],
        ["30", "question", "", "", "True"],
        ["31", "answer", "Geng Shuang", "", "False"],
        ["32", "question", "", "", "True"],
        ["33", "answer", "Geng Shuang", "", "False"],
        ["35", "answer", "Geng Shuang", "", "False"],
    ]
    table = CliRunner().invoke(main, ["turns", "--db", str(db_path), "--outlet", "Kyodo"])
    assert table.stdout.splitlines()[0].split() == [
        "statement",
        "date",
        "site",
        "#",
        "role",
        "speaker",
        "outlet",
        "text",
    ]
    assert table.stdout.splitlines()[2].split()[1:6] == ["2025-10-17", "fmprc_en", "10", "question", "Kyodo"]


def test_show_prints_turns(db_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "show",
            "--db",
            str(db_path),
            "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/t1794584.shtml",
        ],
    )
    assert "[0] question, 中央电视台\n中央电视台记者：日前，老挝外交部发表声明" in result.stdout
    assert "[21] answer, 赵立坚\n赵立坚：钓鱼岛及其附属岛屿是中国固有领土" in result.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1", "'http://[::1' is not a URL (Invalid IPv6 URL)"),
        ("http://a:99999/x", "is not a URL (Port out of range"),
        ("not a url", "'not a url' is not an http(s) URL with a host"),
        ("javascript:alert(1)", "is not an http(s) URL with a host"),
    ],
)
def test_extract_refuses_urls_that_are_not_http(url: str, message: str) -> None:
    result = CliRunner().invoke(main, ["extract", "--site", "fmprc_en", "--url", url, str(PAGE)])
    assert result.exit_code == 2
    assert message in result.stderr


def test_extract_refuses_files_that_are_not_regular() -> None:
    result = CliRunner().invoke(main, ["extract", "--site", "fmprc_en", "--url", URL, "/dev/zero"])
    assert result.exit_code == 2
    assert "/dev/zero is not a regular file" in result.stderr


def _crawled_copy(db_path: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "copy.db"
    source = sqlite3.connect(db_path)
    source.execute("pragma wal_checkpoint(truncate)")
    source.close()
    shutil.copy(db_path, copy)
    return copy


def test_reparse_of_an_unchanged_pipeline_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    copy = _crawled_copy(db_path, tmp_path)
    query = (
        "select id, content_hash, version, last_seen_at, date, date_source, kind, speakers from statements"
    )
    before = sqlite3.connect(copy).execute(query + " order by id").fetchall()
    turns_before = sqlite3.connect(copy).execute("select * from turns order by 1, 2").fetchall()
    result = CliRunner().invoke(main, ["reparse", "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"0 new, 0 updated, {len(before)} unchanged; rejected: 0\n"
    assert sqlite3.connect(copy).execute(query + " order by id").fetchall() == before
    assert sqlite3.connect(copy).execute("select * from turns order by 1, 2").fetchall() == turns_before


def test_reparse_brings_a_better_cleaner_to_stored_statements(db_path: Path, tmp_path: Path) -> None:
    import zlib

    copy = _crawled_copy(db_path, tmp_path)
    db = sqlite3.connect(copy)
    url = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"
    # as an older, worse cleaner left it: boilerplate in the body, no turns
    db.execute(
        "update statements set body = body || '\n\nSuggest to a friend', content_hash = 'old' where url = ?",
        [url],
    )
    db.execute("delete from turns where statement_id = (select id from statements where url = ?)", [url])
    # and a page the pipelines now reject: its stored statement must stay
    error_page = zlib.compress((FIXTURES / "fmprc_en" / "error.htm").read_bytes())
    db.execute("update pages set body = ? where url like '%t1688743.shtml'", [error_page])
    db.commit()
    result = CliRunner().invoke(main, ["reparse", "--db", str(copy), "--site", "fmprc_en"])
    assert result.exit_code == 0, result.output
    assert result.stdout == '0 new, 1 updated, 23 unchanged; rejected: {"no-template": 1}\n'
    row = db.execute("select id, body, version from statements where url = ?", [url]).fetchone()
    assert not row[1].endswith("Suggest to a friend") and row[2] == 2
    assert (
        db.execute("select body from statement_versions where statement_id = ?", [row[0]])
        .fetchone()[0]
        .endswith("Suggest to a friend")
    )
    assert db.execute("select count(*) from turns where statement_id = ?", [row[0]]).fetchone() == (22,)
    assert db.execute("select count(*) from statements where url like '%t1688743.shtml'").fetchone() == (1,)


def test_reparse_needs_an_existing_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reparse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert f"no database at {tmp_path / 'none.db'}" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_export_jsonl_csv_and_parquet_with_filters(db_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--db",
            str(db_path),
            "--site",
            "fmprc_en",
            "--since",
            "2020-07-01",
            "--until",
            "2020-12-31",
        ],
    )
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["url"].endswith("t1794629.shtml") and record["speakers"] == ["Zhao Lijian"]
    assert list(record) == [
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
    ]
    assert result.stderr == "1 statements exported\n"
    out = tmp_path / "zh.csv"
    CliRunner().invoke(
        main, ["export", "--db", str(db_path), "--format", "csv", "--language", "zh", "-o", str(out)]
    )
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 14 and rows[0]["date"] == "2016-11-15" and json.loads(rows[0]["speakers"]) == ["耿爽"]
    parquet = tmp_path / "all.parquet"
    result = CliRunner().invoke(
        main, ["export", "--db", str(db_path), "--format", "parquet", "-o", str(parquet)]
    )
    import pyarrow.parquet as pq

    table = pq.read_table(parquet)
    assert table.num_rows == 39 and table.column("speakers").type.value_type == "string"
    refused = CliRunner().invoke(main, ["export", "--db", str(db_path), "--format", "parquet"])
    assert refused.exit_code == 2 and "Parquet is binary: give a file with -o" in refused.stderr


def test_stats(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--db", str(db_path), "--format", "json"])
    report = json.loads(result.stdout)
    assert (report["statements"], report["first_date"], report["last_date"]) == (
        39,
        "2016-11-15",
        "2026-09-26",
    )
    assert {row["site"]: row["statements"] for row in report["by_site"]} == {"fmprc_en": 25, "fmprc_zh": 14}
    text = CliRunner().invoke(main, ["stats", "--db", str(db_path)])
    assert text.stdout.startswith("39 statements, ")


def _run(*arguments: str):
    return CliRunner().invoke(main, list(arguments))


def test_list_filters_without_a_query_case_insensitive_with_n_of_m(db_path: Path) -> None:
    result = _run(
        "list", "--db", str(db_path), "--site", "FMPRC_ZH", "--kind", "Press_Conference", "--limit", "3"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "date", "site", "kind", "title", "speakers"]
    assert lines[2].split()[1:4] == ["2020-07-03", "fmprc_zh", "press_conference"]
    assert lines[-1] == "3 of 6 shown (raise --limit to see more)"
    rows = json.loads(
        _run("list", "--db", str(db_path), "--speaker", "zhao lijian", "--format", "json").stdout
    )
    assert [row["date"] for row in rows] == ["2020-07-03", "2020-06-19", "2020-03-05"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["list", "--kind", "presser"], "Error: unknown kind 'presser'; known: interview, meeting, news,"),
        (["search", "China", "--language", "fr"], "Error: unknown language 'fr'; known: en, zh"),
        (
            ["turns", "--since", "2020-02-01", "--until", "2020-01-01"],
            "Error: --since 2020-02-01 is after --until",
        ),
        (["list", "--site", "nowhere"], "Error: Invalid value for '--site': unknown site 'nowhere'"),
        (
            ["export", "-o", "/nonexistent/folder/x.jsonl"],
            "Error: Invalid value for -o: no folder /nonexistent/folder",
        ),
        (
            ["new", "--since", "yesterday"],
            "Error: Invalid value for '--since': 'yesterday' is not an ISO date",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_2(db_path: Path, arguments: list[str], message: str) -> None:
    result = _run(*arguments, "--db", str(db_path))
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_new_lists_what_was_stored_or_changed_since(db_path: Path) -> None:
    everything = _run("new", "--db", str(db_path), "--since", "2026-11-29", "--format", "json")
    assert everything.exit_code == 0, everything.output
    assert len(json.loads(everything.stdout)) == 39  # every fixture was stored at 2026-11-29T10:00 (SEEN)
    nothing = _run("new", "--db", str(db_path), "--since", "2026-11-29T10:00:01")
    assert nothing.exit_code == 0 and nothing.stderr == "nothing matches\n"
    no_run = _run("new", "--db", str(db_path))
    assert no_run.exit_code == 1 and no_run.stderr == f"Error: no crawl has run on {db_path}: give --since\n"


def test_speakers_and_outlets_with_counts(db_path: Path) -> None:
    people = json.loads(_run("speakers", "--db", str(db_path), "--format", "json").stdout)
    assert {"name": "华春莹", "statements": 5, "turns": 30, "spellings": ["华春莹"]} in people
    assert people[0]["statements"] >= people[-1]["statements"]
    outlets = json.loads(
        _run("outlets", "--db", str(db_path), "--site", "fmprc_en", "--format", "json").stdout
    )
    assert {"outlet": "The Globe and Mail", "questions": 4, "transcripts": 1} in outlets


def test_turns_pairs_each_question_with_its_answer(db_path: Path) -> None:
    result = _run("turns", "--db", str(db_path), "--outlet", "Globe", "--pairs", "--format", "json")
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)
    assert [(pair["question"]["position"], pair["answer"]["position"]) for pair in pairs] == [
        (3, 4),
        (29, 30),
        (31, 32),
        (35, 36),
    ]
    assert {pair["answer"]["speaker"] for pair in pairs} == {"Zhao Lijian"}
    assert pairs[0]["question"]["text"].startswith("The Globe and Mail:")


def test_feed_is_valid_atom(db_path: Path, tmp_path: Path) -> None:
    import feedparser

    out = tmp_path / "feed.xml"
    result = _run("feed", "--db", str(db_path), "--site", "fmprc_en", "-q", "Diaoyu", "-o", str(out))
    assert result.exit_code == 0, result.output
    feed = feedparser.parse(out.read_bytes())
    assert not feed.bozo and feed.version == "atom10"
    assert [entry.link.rsplit("/", 1)[1] for entry in feed.entries] == ["t1794629.shtml"]
    assert feed.entries[0].authors[0].name == "Zhao Lijian"
    assert feed.feed.title == "Ministry statements: site fmprc_en, q Diaoyu"
