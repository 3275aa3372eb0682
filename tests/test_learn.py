"""Sites outside the package (STATEMENTS_SITES) and `statements learn`: modules learned from recordings of each
site are written, loaded like the hand-written ones, and read the recorded pages exactly as their sidecars say
(title, date, first and last paragraph)."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.learn import process
from crawler.learn.pages import Fetched
from crawler.learn.report import report
from crawler.learn.writer import write_site
from crawler.middlewares import WarcArchive
from crawler.sites import SITES, load_site_folders
from crawler.sites.base import Site
from pipelines.extract import extract
from pipelines.normalize import normalize
from tests.conftest import REPO, fixture_pages, fixture_warc, statement_fixtures, write_warc

STATEMENTS = Path(sys.executable).parent / "statements"
KANTEI = "https://japan.kantei.go.jp/101_kishida/statement/202112/index.html"


@pytest.fixture(autouse=True)
def _sites_registry() -> Iterator[None]:
    """The sites a test loads from its folders leave the registry with it (other tests list the built-in ones)."""
    before = dict(SITES)
    yield
    SITES.clear()
    SITES.update(before)


def _run(command: list[str], sites: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "STATEMENTS_SITES": str(sites) if sites else "", **env}
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, env=environment, timeout=300, check=False
    )


class _Archive:
    """Recorded responses by URL, as the learner's offline driver reads them (redirects followed)."""

    def __init__(self, path: Path) -> None:
        self.archive = WarcArchive(path)

    def get(self, url: str, default: object = None) -> object:
        recorded = self.archive.get(url)
        if recorded is None:
            return default
        headers: dict[str, list[str]] = {}
        for name, value in recorded.headers:
            headers.setdefault(name, []).append(value)
        body = recorded.body
        if any(
            "gzip" in value
            for name, values in headers.items()
            if name.lower() == "content-encoding"
            for value in values
        ):
            body = gzip.decompress(body)
        return Fetched(url, recorded.status, headers, body)


def _learn(warc: Path, listing: str, name: str, folder: Path, pages: int = 20) -> Site:
    learned = process.run_offline(process.learn(listing, name, pages), _Archive(warc))  # type: ignore[arg-type]
    write_site(learned, folder)
    assert load_site_folders(str(folder)) == [name]
    return SITES[name]


def _check_fixtures(site: Site, fixture_site: str, paragraphs: bool = True) -> int:
    """Every statement fixture of the site in the learned section (its URL pattern) reads as its sidecar says:
    title, date and (with `paragraphs`) first and last paragraph."""
    checked = 0
    for page in statement_fixtures(fixture_site):
        if not site.listing.statement_url.search(urlsplit(page.url).path) or "constructed" in page.path.parts:
            continue
        item = page.page_item(site.name)
        statement = normalize(item, extract(item, site), site)
        expected = page.meta["expected"]
        assert statement.title == expected["title"], page.path.name
        assert statement.date == expected["date"], page.path.name
        if paragraphs:
            assert statement.paragraphs[0] == expected["first_paragraph"], page.path.name
            assert statement.paragraphs[-1] == expected["last_paragraph"], page.path.name
        checked += 1
    return checked


def _kantei_warc(path: Path) -> Path:
    return write_warc(
        path,
        [
            (page.url, 200, [("Content-Type", "text/html; charset=utf-8")], page.path.read_bytes())
            for page in fixture_pages("kantei_en")
        ],
    )


def test_learned_kantei_module_reads_every_recorded_statement_as_the_sidecars_say(tmp_path: Path) -> None:
    site = _learn(
        _kantei_warc(tmp_path / "kantei.warc.gz"), KANTEI, "learned_kantei_fixtures", tmp_path / "sites"
    )
    assert site.listing.entry == "div.news-list-title a[href]"
    assert site.listing.entry_block == "div.news-list-data"
    assert site.templates[0].title == ("h1",) and site.templates[0].body == "#format"
    assert site.templates[0].date == ("span.date",)
    assert site.timezone == "Asia/Tokyo" and site.language == "en"
    assert _check_fixtures(site, "kantei_en") == 11


def test_learned_belarus_module_reads_saved_pages_and_dates_by_title_and_closing_line(tmp_path: Path) -> None:
    pages = fixture_pages("mfa_by_en")
    warc = write_warc(
        tmp_path / "by.warc.gz",
        [(page.url, 200, [("Content-Type", "text/html")], page.path.read_bytes()) for page in pages],
    )
    listing = next(page.url for page in pages if "listing" in page.path.name)
    site = _learn(warc, listing, "learned_by_fixtures", tmp_path / "sites")
    assert site.listing.statement_url.pattern == r"^/en/press/statements/[0-9a-f]{16}\.html$"
    assert site.timezone == "Europe/Minsk"
    assert site.title_dates and site.closing_dates
    assert _check_fixtures(site, "mfa_by_en") == 4


def test_learned_fmprc_module_counts_listing_pages_and_reads_title_dates(tmp_path: Path) -> None:
    warc = fixture_warc(tmp_path / "en.warc.gz", "fmprc_en")
    listing = "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml"
    site = _learn(warc, listing, "learned_fmprc_fixtures", tmp_path / "sites")
    assert (
        site.listing.page_count is not None and site.listing.page_count.pattern == r"\bcountPage\s*=\s*(\d+)"
    )
    assert site.listing.page_url == "{stem}_{n}{suffix}"
    assert (
        site.listing.statement_url.pattern == r"^/mfa_eng/xwfw_665399/s2510_665401/2511_665403/t\d+\.shtml$"
    )
    assert site.templates[0].body == "div.content"
    assert site.title_dates and site.timezone == "Asia/Shanghai"
    dated = [
        page
        for page in statement_fixtures("fmprc_en")
        if page.meta["expected"]["date_source"] == "title" and "/2511_665403/t1" in page.url
    ]
    for page in dated:
        item = page.page_item(site.name)
        statement = normalize(item, extract(item, site), site)
        expected = page.meta["expected"]
        assert (statement.title, statement.date) == (expected["title"], expected["date"])
        assert statement.paragraphs[0] == expected["first_paragraph"]
        assert statement.paragraphs[-1] == expected["last_paragraph"]
    assert len(dated) >= 8


def test_pages_that_are_not_statements_are_reported_and_not_learned_from(tmp_path: Path) -> None:
    """Two statement links of the Japan listing answer the China MFA's "系统维护" placeholder and a third the
    listing itself (a listing of listings): all three are set aside with their reason, and the template is
    learned from the other eight."""
    soft_404 = next(
        page for page in fixture_pages("fmprc_zh") if "soft404" in page.path.name
    ).path.read_bytes()
    pages = fixture_pages("kantei_en")
    listing = next(page for page in pages if "listing" in page.path.name).path.read_bytes()
    replaced = {
        "https://japan.kantei.go.jp/101_kishida/statement/202112/_00003.html": soft_404,
        "https://japan.kantei.go.jp/101_kishida/statement/202112/_00004.html": soft_404,
        "https://japan.kantei.go.jp/101_kishida/statement/202112/_00005.html": listing,
    }
    warc = write_warc(
        tmp_path / "kantei.warc.gz",
        [
            (
                page.url,
                200,
                [("Content-Type", "text/html; charset=utf-8")],
                replaced.get(page.url, page.path.read_bytes()),
            )
            for page in pages
        ],
    )
    learned = process.run_offline(process.learn(KANTEI, "learned_kantei_odd", 20), _Archive(warc))  # type: ignore[arg-type]
    reasons = {item.url.rsplit("/", 1)[-1]: item.reason for item in learned.rejected}
    assert reasons["_00005.html"].startswith("a listing: 14 links")
    assert "_00003.html" in reasons and "_00004.html" in reasons
    assert all(reason in ("the same page answers 2 URLs (a placeholder)", "an error or maintenance page ('系统维护')")
               for name, reason in reasons.items() if name != "_00005.html")  # fmt: skip
    assert len(learned.template.pages) == 8 and learned.template.body == "#format"
    text = report(learned)
    assert "not statements (3, not learned from):" in text and "missing from the recording" not in text
    assert "not fetched (3):" in text


def test_statements_learn_writes_a_module_that_scrapy_lists_and_extract_reads(tmp_path: Path) -> None:
    """Through Scrapy (the WARC replayed by the project's middleware), then the module used by `scrapy list` and
    `statements extract`, from STATEMENTS_SITES."""
    warc = _kantei_warc(tmp_path / "kantei.warc.gz")
    sites = tmp_path / "sites"
    learned = _run([str(STATEMENTS), "learn", KANTEI, "--name", "japan_pm_en", "--warc", str(warc)], sites)
    assert learned.returncode == 0, learned.stderr[-2000:]
    assert (sites / "japan_pm_en.py").is_file()
    assert f"wrote {sites / 'japan_pm_en.py'}" in learned.stdout
    assert "body        #format" in learned.stdout and "missing from the recording" in learned.stdout
    listed = _run([sys.executable, "-m", "scrapy", "list"], sites)
    assert "japan_pm_en" in listed.stdout.split()
    page = next(page for page in statement_fixtures("kantei_en") if "_00001" in page.url)
    shown = _run(
        [str(STATEMENTS), "extract", "--site", "japan_pm_en", "--url", page.url, str(page.path)], sites
    )
    assert shown.returncode == 0, shown.stderr
    assert '"date": "2021-12-02"' in shown.stdout
    again = _run([str(STATEMENTS), "learn", KANTEI, "--name", "japan_pm_en", "--warc", str(warc)], sites)
    assert again.returncode != 0 and "exists" in again.stderr and "Traceback" not in again.stderr
    clash = _run([str(STATEMENTS), "learn", KANTEI, "--name", "kantei_en", "--warc", str(warc)], sites)
    assert clash.returncode == 2 and "exists already" in clash.stderr


def _site_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sites"
    folder.mkdir()
    source = (REPO / "crawler" / "sites" / "kantei_en.py").read_text(encoding="utf-8")
    (folder / "japan_copy.py").write_text(
        source.replace('name="kantei_en"', 'name="japan_copy"'), encoding="utf-8"
    )
    (folder / "broken.py").write_text("import no_such_module_here\n", encoding="utf-8")
    (folder / "clash.py").write_text(source, encoding="utf-8")
    (folder / "nonsense.py").write_text(
        source.replace('name="kantei_en"', 'name="tz_nonsense"').replace('"Asia/Tokyo"', '"Mars/Olympus"'),
        encoding="utf-8",
    )
    return folder


def test_statements_sites_folders_add_spiders_and_skip_bad_modules_with_one_line(tmp_path: Path) -> None:
    folder = _site_folder(tmp_path)
    for command, env_folder in (
        ([sys.executable, "-m", "scrapy", "list"], folder),
        ([sys.executable, "-m", "scrapy", "list", "-s", f"STATEMENTS_SITES={folder}"], None),
    ):
        result = _run(command, env_folder)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [
            "fmprc_en", "fmprc_zh", "japan_copy", "kantei_en", "mfa_by_en", "whitehouse_en"
        ]  # fmt: skip
        problems = [line for line in result.stderr.splitlines() if "site module" in line]
        assert len(problems) == 3, result.stderr
        assert any(f"{folder / 'broken.py'}" in line and "No module named" in line for line in problems)
        assert any(f"{folder / 'clash.py'}" in line and "built-in site: refused" in line for line in problems)
        assert any(f"{folder / 'nonsense.py'}" in line and "'Mars/Olympus'" in line for line in problems)
        assert "Traceback" not in result.stderr


def test_an_external_site_is_crawled_and_extracted_like_a_built_in_one(tmp_path: Path) -> None:
    folder = _site_folder(tmp_path)
    for name in ("broken.py", "clash.py", "nonsense.py"):
        (folder / name).unlink()
    page = next(page for page in statement_fixtures("kantei_en") if "_00001" in page.url)
    shown = _run(
        [str(STATEMENTS), "extract", "--site", "japan_copy", "--url", page.url, str(page.path)], folder
    )
    assert shown.returncode == 0, shown.stderr
    assert page.meta["expected"]["title"] in shown.stdout
    warc = _kantei_warc(tmp_path / "kantei.warc.gz")
    db = tmp_path / "statements.db"
    crawled = _run(
        [sys.executable, "-m", "scrapy", "crawl", "japan_copy", "-a", f"listing={KANTEI}",
         "-s", f"REPLAY_WARC={warc}", "-s", f"STATEMENTS_DB={db}"],
        folder,
    )  # fmt: skip
    assert crawled.returncode == 0 and "'statements/new': 11" in crawled.stderr, crawled.stderr[-2000:]
    reparsed = _run([str(STATEMENTS), "reparse", "--db", str(db), "--site", "japan_copy"], folder)
    assert reparsed.returncode == 0 and "11 unchanged" in reparsed.stdout, reparsed.stderr[-2000:]


@pytest.mark.slow
def test_learned_from_the_whole_recordings(corpus: Path, tmp_path: Path) -> None:
    """The 2020 China and 2016 White House recordings: pagination found on the listing's own pages, the template
    from 20 pages spread over the section (the White House's last listing page found by probing)."""
    whitehouse = _learn(
        corpus / "whitehouse-2016" / "whitehouse-2016.warc.gz",
        "https://www.whitehouse.gov/briefing-room/press-briefings",
        "learned_whitehouse_corpus",
        tmp_path / "wh",
    )
    assert whitehouse.listing.next_page == "li.pager-next a@href"
    assert whitehouse.listing.statement_url.pattern == r"^/the\-press\-office/.+$"
    assert whitehouse.templates[0].date == ("div.press-article-date",)
    assert whitehouse.timezone == "America/New_York"
    # Titles and dates as the sidecars say; the transcripts' framing (the room, time stamps, "END") repeats across
    # the briefings and is learned as boilerplate, so first and last paragraphs are checked on the letter only.
    assert _check_fixtures(whitehouse, "whitehouse_en", paragraphs=False) == 8
    letter = next(page for page in statement_fixtures("whitehouse_en") if "letter" in page.path.name)
    statement = normalize(
        letter.page_item(whitehouse.name), extract(letter.page_item(whitehouse.name), whitehouse), whitehouse
    )
    assert statement.paragraphs[0] == letter.meta["expected"]["first_paragraph"]
    assert statement.paragraphs[-1] == letter.meta["expected"]["last_paragraph"]
    chinese = _learn(
        corpus / "fmprc-2020" / "fmprc-2020.warc.gz",
        "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml",
        "learned_fmprc_zh_corpus",
        tmp_path / "zh",
    )
    assert chinese.language == "zh" and chinese.templates[0].date == ("#News_Body_Time",)
    assert _check_fixtures(chinese, "fmprc_zh") >= 10
    shutil.rmtree(tmp_path / "wh")
