"""Search latency on a database crawled from the recorded corpus (not a test: prints figures).

Usage:
    python benchmarks/search_corpus.py [--db statements.db] [--repeat 20]

The database should hold the replay crawls of fmprc_en and fmprc_zh (see README). For each query word, the
`statements search` library call (statements.search.search, limit 20) is timed `--repeat` times; the script prints
p50 and p95 in milliseconds per language and over all queries, and the hit counts.
"""

from __future__ import annotations

import argparse
import statistics
import time

from statements.search import search
from statements.store import Store

ENGLISH = [
    "Diaoyu",
    "sanction",
    "Hong Kong",
    "Xinjiang",
    "Pompeo",
    "vaccine",
    "Belt and Road",
    "Taiwan",
    "WHO",
    "trade",
]
CHINESE = [
    "台湾",
    "香港",
    "美国",
    "钓鱼岛",
    "一带一路",
    "华春莹",
    "香港国安法",
    "新冠肺炎疫情",
    "朝鲜半岛",
    "南海",
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="statements.db")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    store = Store(args.db, readonly=True)
    count = store.db.execute("select count(*) from statements").fetchone()[0]
    print(f"database: {args.db} ({count} statements)")
    every = []
    for language, words in (("en", ENGLISH), ("zh", CHINESE)):
        timings = []
        for word in words:
            hits = len(search(store, word, limit=100_000))
            for _ in range(args.repeat):
                start = time.perf_counter()
                search(store, word, limit=20)
                timings.append((time.perf_counter() - start) * 1000)
            print(f"  {language} {word!r}: {hits} statements")
        every += timings
        print(
            f"{language}: p50 {statistics.median(timings):.2f} ms, p95 {_percentile(timings, 0.95):.2f} ms"
            f" ({len(timings)} searches, limit 20)"
        )
    print(f"all: p50 {statistics.median(every):.2f} ms, p95 {_percentile(every, 0.95):.2f} ms")
    store.close()


if __name__ == "__main__":
    main()
