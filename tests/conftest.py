"""Shared test helpers: fixture pages, test WARCs, the corpus location, running a crawl."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import PageItem

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = Path(os.environ.get("STATEMENTS_CORPUS", REPO.parent / "shared" / "corpus"))


@dataclass
class FixturePage:
    """A page file of tests/fixtures with its sidecar JSON."""

    path: Path
    meta: dict[str, Any]

    @property
    def url(self) -> str:
        return self.meta["url"]

    def page_item(self, site: str = "fmprc_en", with_hints: bool = True) -> PageItem:
        return PageItem(
            site=site,
            url=self.url,
            status=self.meta.get("status", 200),
            headers=self.meta.get("headers", {}),
            body=self.path.read_bytes(),
            fetched_at="2020-07-04T03:55:41+00:00",
            hints=self.meta.get("hints", {}) if with_hints else {},
        )


def fixture_pages(site: str) -> list[FixturePage]:
    """Every page of tests/fixtures/<site> (recursively) that has a sidecar, sorted by path."""
    return [
        FixturePage(sidecar.with_suffix(""), json.loads(sidecar.read_text(encoding="utf-8")))
        for sidecar in sorted((FIXTURES / site).rglob("*.json"))
    ]


def statement_fixtures(site: str) -> list[FixturePage]:
    """Fixture pages that carry expected statement values."""
    return [page for page in fixture_pages(site) if "expected" in page.meta]


def write_warc(path: Path, responses: list[tuple[str, int, list[tuple[str, str]], bytes]]) -> Path:
    """Write a gzipped WARC of `response` records: (url, status, headers, body) each."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, status, headers, body in responses:
            http_headers = StatusAndHeaders(
                f"{status} {'OK' if status == 200 else 'Status'}", headers, protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http_headers
            )
            writer.write_record(record)
    return path


def fixture_warc(path: Path, site: str = "fmprc_en") -> Path:
    """A WARC of every fixture page of `site`, plus robots.txt answering 302 to /error.htm as fmprc.gov.cn did."""
    responses = [
        (
            page.url,
            page.meta.get("status", 200),
            [(name, value) for name, values in page.meta.get("headers", {}).items() for value in values],
            page.path.read_bytes(),
        )
        for page in fixture_pages(site)
    ]
    responses.append(
        (
            "https://www.fmprc.gov.cn/robots.txt",
            302,
            [
                ("Location", "https://www.fmprc.gov.cn/error.htm"),
                ("Content-Type", "text/html; charset=iso-8859-1"),
            ],
            b"",
        )
    )
    return write_warc(path, responses)


def crawl_command(spider: str, *args: str) -> list[str]:
    """The command line of `scrapy crawl SPIDER ARGS…` with this interpreter."""
    return [sys.executable, "-m", "scrapy", "crawl", spider, *args]


def run_crawl(
    spider: str, *args: str, timeout: int = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `scrapy crawl SPIDER ARGS…` from the repository root in a subprocess (with `env` added to the
    environment); returns the finished process."""
    return subprocess.run(
        crawl_command(spider, *args),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus (or $STATEMENTS_CORPUS). Missing: the test fails when CI is set, else it is skipped."""
    if not (CORPUS / "fmprc-2020" / "fmprc-2020.warc.gz").is_file():
        message = f"the recorded corpus is not at {CORPUS} (set STATEMENTS_CORPUS)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CORPUS
