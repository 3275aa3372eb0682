"""Extraction speed over the 1,500 recorded China MFA statement pages: ours beside trafilatura and the floor of a bare
lxml parse (not a test: prints figures).

Usage:
    python benchmarks/speed.py [--warc ../shared/corpus/fmprc-2020/fmprc-2020.warc.gz] [--repeat 3]

Each tool runs in its own process (so that its peak memory is its own), single-threaded, over the statement pages
of the recording (500 English, 1,000 Chinese: every `tNNNNNNN.shtml` record) read into memory first; the best of
`--repeat` passes is reported as pages per second, with the process's peak RSS. Tools: "lxml" (lxml.html
parse of the whole page: the floor), "ours" (extract + normalize, the pipeline's work per page before storage),
"trafilatura" (trafilatura.extract with its defaults). Needs the tools compared: sh benchmarks/install.sh.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STATEMENT = re.compile(r"/t\d+\.shtml$")


def load(warc: Path) -> list[tuple[str, str, bytes]]:
    """(site, url, body) of every statement page of the recording."""
    from crawler.middlewares import WarcArchive

    archive = WarcArchive(warc)
    pages = []
    for url in archive.urls():
        if not STATEMENT.search(url):
            continue
        recorded = archive.get(url)
        if recorded is None or recorded.status != 200:
            continue
        site = "fmprc_en" if "/mfa_eng/" in url else "fmprc_zh"
        pages.append((site, url, recorded.body))
    archive.close()
    return pages


def run_tool(tool: str, warc: Path, repeat: int) -> dict:
    """Time one tool in this process; returns pages, seconds (best pass), pages/s and peak RSS (MiB)."""
    pages = load(warc)
    if tool == "lxml":
        import lxml.html

        def work(site: str, url: str, body: bytes) -> object:
            return lxml.html.document_fromstring(body)
    elif tool == "ours":
        from crawler.items import PageItem
        from crawler.sites import get_site
        from pipelines.extract import extract
        from pipelines.normalize import normalize

        sites = {name: get_site(name) for name in ("fmprc_en", "fmprc_zh")}

        def work(site: str, url: str, body: bytes) -> object:
            item = PageItem(
                site=site, url=url, status=200, headers={}, body=body, fetched_at="2020-07-04T00:00:00+00:00"
            )
            return normalize(item, extract(item, sites[site]), sites[site])
    elif tool == "trafilatura":
        import trafilatura

        def work(site: str, url: str, body: bytes) -> object:
            return trafilatura.extract(body, url=url)
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for site, url, body in pages:
            work(site, url, body)
        best = min(best, time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "tool": tool,
        "pages": len(pages),
        "seconds": best,
        "pages_per_s": len(pages) / best,
        "peak_mib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warc", type=Path, default=REPO.parent / "shared" / "corpus" / "fmprc-2020" / "fmprc-2020.warc.gz"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tool", help=argparse.SUPPRESS)  # one tool, in a child process
    args = parser.parse_args()
    if args.tool:
        print(json.dumps(run_tool(args.tool, args.warc, args.repeat)))
        return
    rows = []
    for tool in ("lxml", "ours", "trafilatura"):
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--tool",
                tool,
                "--warc",
                str(args.warc),
                "--repeat",
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print("| tool | pages | best pass | pages/s | ms/page | peak RSS |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['tool']} | {row['pages']} | {row['seconds']:.2f} s | {row['pages_per_s']:,.0f}"
            f" | {1000 / row['pages_per_s']:.2f} | {row['peak_mib']:.0f} MiB |"
        )
    by_tool = {row["tool"]: row["pages_per_s"] for row in rows}
    print(
        f"\nours / trafilatura: {by_tool['ours'] / by_tool['trafilatura']:.1f}x; ours / lxml floor: {by_tool['ours'] / by_tool['lxml']:.2f}x"
    )


if __name__ == "__main__":
    main()
