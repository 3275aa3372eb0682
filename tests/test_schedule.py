"""`statements crawl`: sites in turn in one process, and the verdict a scheduled run gives cron."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crawler.schedule import CrawlResult, judge
from crawler.sites import SITES
from tests.conftest import REPO, fixture_pages, write_warc


def test_judge_reports_what_a_scheduled_run_must_fail_on() -> None:
    ok = CrawlResult(
        "fmprc_en",
        {
            "finish_reason": "finished",
            "statements/listing_pages": 1,
            "statements/section/press_conferences/links": 40,
        },
    )
    assert judge(ok, {"press_conferences": 40}) == []
    quiet = CrawlResult("fmprc_en", {"finish_reason": "finished", "statements/listing_pages": 2})
    assert judge(quiet, {"press_conferences": 40, "top_stories": 0}) == [
        "fmprc_en: section press_conferences yielded no statement link (40 last time)"
    ]
    offline = CrawlResult("fmprc_en", {"finish_reason": "finished", "statements/fetch_errors": 9})
    assert judge(offline, {}) == ["fmprc_en: no listing page could be read (9 requests failed)"]
    killed = CrawlResult("fmprc_zh", {"finish_reason": "shutdown", "statements/listing_pages": 3})
    assert judge(killed, {}) == ["fmprc_zh: the crawl ended with 'shutdown', not 'finished'"]
    # the spider's own verdict, as it recorded it (crawler.verdict)
    failed = CrawlResult(
        "fmprc_en",
        {
            "finish_reason": "failed",
            "statements/listing_pages": 1,
            "statements/problems": [
                "1 listing pages could not be read (see the warnings); not walked to the end: x"
            ],
        },
    )
    assert judge(failed, {}) == [
        "fmprc_en: 1 listing pages could not be read (see the warnings); not walked to the end: x"
    ]
    broken = CrawlResult("fmprc_zh", error="-a sinc is unknown")
    assert judge(broken, {"x": 1}) == ["fmprc_zh: could not start: -a sinc is unknown"]


def _warc(path: Path, without: str | None = None) -> Path:
    responses = [
        (
            page.url,
            200,
            [(n, v) for n, vs in page.meta["headers"].items() for v in vs],
            page.path.read_bytes(),
        )
        for site in ("fmprc_en", "fmprc_zh")
        for page in fixture_pages(site)
        if page.url != without
    ]
    return write_warc(path, responses)


def _statements(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statements.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_crawl_all_names_every_site_and_reports_those_it_could_not_read(tmp_path: Path) -> None:
    """A recording of the China sites only: --all crawls them and says, for every other site, that no listing
    page could be read (exit status 1)."""
    warc = _warc(tmp_path / "site.warc.gz")
    run = _statements("crawl", "--all", "--db", str(tmp_path / "all.db"), "--replay-warc", str(warc))
    assert run.returncode == 1
    assert [line.split(":")[0] for line in run.stdout.splitlines()] == sorted(SITES)
    assert run.stderr.strip().splitlines()[-3:] == [
        f"{name}: no listing page could be read ({count} requests failed)"
        for name, count in (("kantei_en", 3), ("mfa_by_en", 1), ("whitehouse_en", 1))
    ]


def test_crawl_sites_then_a_section_that_goes_quiet_fails_the_run(tmp_path: Path) -> None:
    db = tmp_path / "statements.db"
    warc = _warc(tmp_path / "site.warc.gz")
    first = _statements("crawl", "fmprc_en", "fmprc_zh", "--db", str(db), "--replay-warc", str(warc))
    assert first.returncode == 0, first.stderr[-2000:]
    lines = first.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["fmprc_en", "fmprc_zh"]
    assert lines[0].startswith("fmprc_en: 25 new, 0 updated, 0 unchanged, 1 rejected;")
    # the English press conference section has moved: its first listing page is gone
    listing = "https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/index.html"
    moved = _warc(tmp_path / "moved.warc.gz", without=listing)
    second = _statements("crawl", "fmprc_en", "--db", str(db), "--replay-warc", str(moved))
    assert second.returncode == 1
    assert second.stderr.strip().splitlines()[-1] == (
        "fmprc_en: section press_conferences yielded no statement link (3 last time)"
    )


def test_the_verdict_calls_most_pages_of_no_template_a_changed_site() -> None:
    from crawler.verdict import run_problems

    def pages(unmatched: int, fetched: int) -> list[str]:
        stats = {
            "statements/listing_pages": 1,
            "statements/section/press_conferences/links": fetched,
            "statements/statement_pages": fetched,
            "statements/rejected/no-template": unmatched,
        }
        return run_problems(stats)

    changed = (
        "the site has changed? 3 of 5 statement pages match no template of the site module; their pages are kept:"
        " fix the module, then run `statements reparse`"
    )
    assert pages(3, 5) == [changed]
    assert pages(3, 6) == []  # half is not most
    assert pages(2, 2) == []  # two odd pages are not a redesign (SITE_CHANGED_MIN_PAGES = 3)
    assert run_problems({"statements/statement_pages": 2, "statements/rejected/no-template": 2}, min_pages=2)
    quiet = {"statements/listing_pages": 2, "statements/section/a/links": 0, "statements/section/b/links": 4}
    assert run_problems(quiet) == [
        "the site has changed? section a: its listing yields no statement link (the site module's statement_url"
        " or entry selector no longer matches)"
    ]
    failed = {
        "statements/listing_pages": 2,
        "statements/section/b/links": 4,
        "statements/section/b/failed_listings": 1,
    }
    assert run_problems(failed) == [
        "1 listing pages could not be read (see the warnings); not walked to the end: b"
    ]


def test_a_distributed_run_is_judged_on_the_counts_of_all_its_workers() -> None:
    """A worker sees part of a distributed run; the writer judges the whole from the summed `crawls` row, rebuilt
    into the stats the verdict reads (crawler.verdict.stats_of_row)."""
    import json

    from crawler.verdict import run_problems, stats_of_row
    from statements.runs import crawl_counts

    # two workers: one read the listing, the other only met the sections the recording lacks
    first = crawl_counts(
        {
            "statements/listing_pages": 67,
            "statements/statement_pages": 1000,
            "statements/section/spokesperson/links": 1000,
            "statements/section/minister_speeches/links": 0,
        }
    )
    second = crawl_counts({"statements/http_errors": 4, "statements/section/spokesperson/failed_listings": 1})
    summed = {
        column: first[column] + second[column]
        for column in ("listing_pages", "statement_pages", "http_errors", "fetch_errors")
    }
    for column in ("sections", "failed_listings", "rejected_reasons"):
        summed[column] = json.dumps(json.loads(first[column]) | json.loads(second[column]))
    assert run_problems(stats_of_row(second)) == ["no listing page could be read (4 requests failed)"]
    assert run_problems(stats_of_row(summed)) == [
        "1 listing pages could not be read (see the warnings); not walked to the end: spokesperson",
        "the site has changed? section minister_speeches: its listing yields no statement link (the site"
        " module's statement_url or entry selector no longer matches)",
    ]
    assert run_problems(stats_of_row({**summed, "failed_listings": "{}", "sections": '{"spokesperson": 1000}'})) == []
