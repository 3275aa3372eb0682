"""One person, one name, measured on a database (not a test: prints figures).

Usage:
    python benchmarks/speakers.py --db statements.db [--site whitehouse_en]

For each site: the distinct spellings of speakers' names as the statements write them, the distinct names after
resolution (`statements.speakers`), and every merge: the name kept and the spellings merged into it, with their
statements. Read the list to check that no two people were merged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from statements.speakers import speaker_counts
from statements.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("statements.db"))
    parser.add_argument("--site", action="append", help="only these sites (default: all)")
    args = parser.parse_args()
    store = Store(args.db)  # writable: a file made before the speaker tables gets them
    sites = args.site or [row[0] for row in store.db.execute("select distinct site from statements order by 1")]
    for site in sites:
        where, params = " and s.site = :site", {"site": site}
        spellings = store.db.execute(
            "select count(distinct ss.speaker), count(distinct ss.name) from statement_speakers ss"
            " join statements s on s.id = ss.statement_id where s.site = :site",
            params,
        ).fetchone()
        people = speaker_counts(store.db, where, params)
        merged = [(name, count, names) for name, count, names in people if names != [name]]
        print(f"{site}: {spellings[0]} spellings, {spellings[1]} names ({len(merged)} names merge several)")
        for name, count, names in sorted(merged):
            print(f"  {name} ({count} statements) <= {', '.join(other for other in names if other != name)}")
    store.close()


if __name__ == "__main__":
    main()
