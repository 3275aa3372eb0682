"""Cost of telling a statement's language from its text (pipelines.language), on a database of replayed statements
(not a test: prints figures).

Usage:
    python benchmarks/language.py --db /tmp/all.db [--repeat 3] [--samples 120,200,300,600]

For every statement: the decision the normalize pipeline makes (`statement_language`, on a sample of the text of
`SAMPLE_CHARS` characters from its start, middle and end), for each sample size asked, and, for comparison, the model
run on the whole title and body. Prints the time per statement of each (best of `--repeat` passes, the model already
loaded), the model's load time, and, per sample size, the statements whose language is not their site's.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.sites import get_site
from pipelines import language


def _best(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    passes = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        passes.append(time.perf_counter() - started)
    return min(passes), statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", default=str(language.SAMPLE_CHARS), help="sample sizes, comma-separated")
    args = parser.parse_args()
    rows = sqlite3.connect(args.db).execute("select url, site, title, body from statements").fetchall()
    sites = {site: get_site(site).language for site in {site for _, site, *_ in rows}}
    started = time.perf_counter()
    language._identifier()
    load = time.perf_counter() - started
    chars = sum(len(title) + len(body) for _, _, title, body in rows)
    print(f"{len(rows)} statements, {chars / 1e6:.1f} M characters; model loaded in {load:.2f} s")

    def decide() -> list[tuple[str, str, str]]:
        return [
            (url, sites[site], language.statement_language(title, body.split("\n\n"), sites[site]).language)
            for url, site, title, body in rows
        ]

    for size in (int(size) for size in args.samples.split(",")):
        language.SAMPLE_CHARS = size
        best, median = _best(decide, args.repeat)
        print(
            f"sample of 3 × {size} characters: {best / len(rows) * 1000:.2f} ms a statement (median {median:.1f} s)"
        )
        for url, site_language, found in decide():
            if found != site_language:
                print(f"  {found} (site {site_language}): {url}")

    def whole() -> None:
        for _, _, title, body in rows:
            language.detect(f"{title}\n{body}")

    best, median = _best(whole, args.repeat)
    print(f"whole text: {best / len(rows) * 1000:.2f} ms a statement (median {median:.1f} s)")


if __name__ == "__main__":
    main()
