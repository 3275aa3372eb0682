"""What the pipelines cost in a crawl: a full replay crawl into SQLite beside a bare Scrapy spider that fetches the
same URLs from the same WARC and does nothing with them (not a test: prints figures).

Usage:
    python benchmarks/crawl_overhead.py [--warc ../shared/corpus/fmprc-2020/fmprc-2020.warc.gz] [--repeat 2]

For each China MFA spider (fmprc_en: 500 statements, fmprc_zh: 1,000), in the same run: the wall time of
`scrapy crawl SPIDER -s REPLAY_WARC=…` into an empty database (listing walk, extract, normalize, segment, store,
translation links), and of `scrapy runspider benchmarks/bare_spider.py` over every URL the full crawl requested
(read back from its Scrapy stats: the recording's listing and statement pages of the site), with the same project
settings (replay, robots.txt, retries) and no item pipeline. Both include Scrapy's start-up; the best of
`--repeat` runs is reported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PREFIX = {"fmprc_en": "/mfa_eng/", "fmprc_zh": "/web/"}
"""Path prefix of each spider's pages in the recording."""


def site_urls(warc: Path, spider: str) -> list[str]:
    """Every URL of the recording under the spider's path prefix (its listing and statement pages)."""
    from crawler.middlewares import WarcArchive

    archive = WarcArchive(warc)
    urls = [url for url in archive.urls() if PREFIX[spider] in url]
    archive.close()
    return urls


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warc", type=Path, default=REPO.parent / "shared" / "corpus" / "fmprc-2020" / "fmprc-2020.warc.gz"
    )
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    warc = args.warc.resolve()
    print("| spider | pages | full crawl into SQLite | bare spider, same URLs | ratio |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for spider in ("fmprc_en", "fmprc_zh"):
            urls = site_urls(warc, spider)
            listing = Path(scratch) / f"{spider}.urls.json"
            listing.write_text(json.dumps(urls))
            full, bare = [], []
            for attempt in range(args.repeat):
                db = Path(scratch) / f"{spider}-{attempt}.db"
                full.append(
                    timed(
                        [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"REPLAY_WARC={warc}",
                         "-s", f"STATEMENTS_DB={db}", "-s", "LOG_LEVEL=WARNING"]
                    )
                )  # fmt: skip
                bare.append(
                    timed(
                        [sys.executable, "-m", "scrapy", "runspider", str(REPO / "benchmarks" / "bare_spider.py"),
                         "-a", f"urls={listing}", "-s", f"REPLAY_WARC={warc}", "-s", "LOG_LEVEL=WARNING"]
                    )
                )  # fmt: skip
            print(
                f"| {spider} | {len(urls)} | {min(full):.1f} s | {min(bare):.1f} s | {min(full) / min(bare):.2f}x |"
            )


if __name__ == "__main__":
    main()
