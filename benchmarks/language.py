"""Cost of telling a statement's language from its text (pipelines.language), on a database of replayed statements
(not a test: prints figures).

Usage:
    python benchmarks/language.py --db /tmp/all.db [--repeat 3]

For every statement: the decision the normalize pipeline makes (`statement_language`, on a sample of the text), and,
for comparison, the model run on the whole title and body. Prints the time per statement of each (best of
`--repeat` passes, the model already loaded), the model's load time, and the statements whose language is not
their site's.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.sites import get_site
from pipelines.language import _identifier, detect, statement_language


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = sqlite3.connect(args.db).execute("select url, site, title, body from statements").fetchall()
    sites = {site: get_site(site).language for site in {site for _, site, *_ in rows}}
    started = time.perf_counter()
    _identifier()
    load = time.perf_counter() - started
    chars = sum(len(title) + len(body) for _, _, title, body in rows)

    def decide() -> list[tuple[str, str, str]]:
        return [
            (url, sites[site], statement_language(title, body.split("\n\n"), sites[site]).language)
            for url, site, title, body in rows
        ]

    def whole() -> None:
        for _, _, title, body in rows:
            detect(f"{title}\n{body}")

    timings = {}
    for name, run in (("sample (as the pipeline does)", decide), ("whole text", whole)):
        passes = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run()
            passes.append(time.perf_counter() - started)
        timings[name] = min(passes), statistics.median(passes)
    print(f"{len(rows)} statements, {chars / 1e6:.1f} M characters; model loaded in {load:.2f} s")
    for name, (best, median) in timings.items():
        print(
            f"{name}: {best / len(rows) * 1000:.2f} ms a statement (best of {args.repeat}; median {median:.1f} s)"
        )
    for url, site_language, language in decide():
        if language != site_language:
            print(f"  {language} (site {site_language}): {url}")


if __name__ == "__main__":
    main()
