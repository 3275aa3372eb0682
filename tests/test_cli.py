"""`statements extract`, through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import FIXTURES

PAGE = FIXTURES / "fmprc_en" / "pc_2020-07-03_zhao-lijian_t1794629.shtml"
URL = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t1794629.shtml"


def test_extract_prints_the_statement_as_json() -> None:
    result = CliRunner().invoke(main, ["extract", "--site", "fmprc_en", "--url", URL, str(PAGE)])
    assert result.exit_code == 0, result.output
    statement = json.loads(result.stdout)
    assert set(statement) == {
        "url",
        "title",
        "date",
        "date_source",
        "published_at",
        "kind",
        "speakers",
        "language",
        "paragraphs",
        "body",
    }
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
    assert result.stderr == "not a statement: no-template: no site template matches the page\n"


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
