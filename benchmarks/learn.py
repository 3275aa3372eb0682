"""Leave-one-out measure of `statements learn` (not a test: prints a table).

Usage:
    python benchmarks/learn.py [--corpus ../shared/corpus] [--pages 20] [--work DIR] [--site NAME ...]

For every site of which the corpus holds a recording: learn the site from the recording (`statements learn
LISTING --warc`, which never reads the hand-written module), replay-crawl the recording with the learned module
(`scrapy crawl` with STATEMENTS_SITES), replay-crawl it with the hand-written module, and compare the two
databases: statement URLs (recall, precision), body F1 per page (tokens: words for English, characters for
Chinese, as benchmarks/quality.py counts them; mean and minimum over the pages both stored), titles equal, dates
equal, pages whose body holds a boilerplate string of the site's test list (tests/test_fixtures.py), and the body
F1 of the site's gold pages (benchmarks/gold) read with the learned module (gold pages of other eras'
templates, which the recording does not show and the learned module rejects, are counted apart). The Japan and Belarus pages are
files, not a WARC: a WARC is built from them and raw/SOURCES.tsv, as tests/test_sites.py does.

Goals (issue 14): URL recall ≥ 99 %, precision 100 %; body F1 mean ≥ 0.995, every page ≥ 0.95; titles equal
≥ 99 %; dates equal ≥ 98 %; no boilerplate string left. A missed goal is named under the table.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from quality import _f1, page_bytes, tokens

from crawler.items import PageItem
from pipelines.extract import NotAStatement, extract
from pipelines.normalize import normalize


@dataclass(frozen=True)
class Recording:
    """A recorded site: its hand-written spider, the WARC (or raw files to build one), the listing to learn
    from and the arguments of the hand-written crawl."""

    site: str
    warc: str | None
    raw: str | None
    listing: str
    hand_arguments: tuple[str, ...] = ()


RECORDINGS = (
    Recording(
        "fmprc_en",
        "fmprc-2020/fmprc-2020.warc.gz",
        None,
        "https://www.fmprc.gov.cn/mfa_eng/xwfw_665399/s2510_665401/2511_665403/default.shtml",
    ),
    Recording(
        "fmprc_zh",
        "fmprc-2020/fmprc-2020.warc.gz",
        None,
        "https://www.fmprc.gov.cn/web/wjdt_674879/fyrbt_674889/default.shtml",
    ),
    Recording(
        "whitehouse_en",
        "whitehouse-2016/whitehouse-2016.warc.gz",
        None,
        "https://www.whitehouse.gov/briefing-room/press-briefings",
    ),
    Recording(
        "kantei_en",
        None,
        "raw/kantei-en",
        "https://japan.kantei.go.jp/101_kishida/statement/202112/index.html",
        ("-a", "listing=https://japan.kantei.go.jp/101_kishida/statement/202112/index.html"),
    ),
    Recording("mfa_by_en", None, "raw/mfa-by", "https://mfa.gov.by/en/press/statements/"),
)


def _read_boilerplate() -> dict[str, tuple[str, ...]]:
    """The BOILERPLATE dict of tests/test_fixtures.py, read without importing the test module."""
    tree = ast.parse((REPO / "tests" / "test_fixtures.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BOILERPLATE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("tests/test_fixtures.py has no BOILERPLATE")


def build_warc(corpus: Path, folder: str, path: Path) -> Path:
    """A WARC of the raw files of `folder`, each at its URL in raw/SOURCES.tsv (annotations such as "(inferred)"
    dropped)."""
    rows = (corpus / "raw" / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    prefix = folder.removeprefix("raw/") + "/"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for row in rows[1:]:
            fields = dict(zip(header, row.split("\t"), strict=False))
            if not fields.get("local_path", "").startswith(prefix):
                continue
            url = fields["original_url"].split(" ", 1)[0]
            body = (corpus / "raw" / fields["local_path"]).read_bytes()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            )
    return path


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return result


def crawl(
    spider: str, warc: Path, db: Path, arguments: tuple[str, ...] = (), sites: Path | None = None
) -> None:
    """Replay-crawl `warc` with `spider` into `db`."""
    env = {"STATEMENTS_SITES": str(sites)} if sites else {"STATEMENTS_SITES": ""}
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-s",
        f"REPLAY_WARC={warc}",
        "-s",
        f"STATEMENTS_DB={db}",
    ]
    _run([*command, "-s", "LOG_LEVEL=WARNING", *arguments], env)


def rows(db: Path) -> dict[str, dict]:
    """url → title, date, body, language of every statement stored."""
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    found = {
        row["url"]: dict(row)
        for row in connection.execute("select url, title, date, body, language from statements")
    }
    connection.close()
    return found


def page_f1(expected: str, found: str, language: str) -> float:
    """Token F1 of a body against the expected one (quality.py's tokens)."""
    want, got = tokens(expected, language), tokens(found, language)
    overlap = sum((want & got).values())
    if not want and not got:
        return 1.0
    return _f1(overlap / max(1, sum(got.values())), overlap / max(1, sum(want.values())))


def gold_f1(
    corpus: Path, site: str, recorded: str, learned_site: object
) -> list[tuple[str, float | None, str | None]]:
    """Body F1 of the site's gold pages read with the learned module: (name, F1, None), or (name, None, reason)
    for a page outside the recording (`recorded`: the WARC's or raw folder's path in the corpus) that the module
    rejects, as it should a template of another era it never saw."""
    scores = []
    archives: dict = {}
    for path in sorted((REPO / "benchmarks" / "gold").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        if gold["site"] != site:
            continue
        body = page_bytes(corpus, gold["page"], archives)
        item = PageItem(
            site=learned_site.name, url=gold["url"], status=200, headers={}, body=body, fetched_at=""
        )
        try:
            output = normalize(item, extract(item, learned_site), learned_site).body
        except NotAStatement as rejection:
            if gold["page"].startswith(recorded):
                output = ""  # a page of the recording the learned module cannot read scores 0
            else:
                scores.append((gold["name"], None, rejection.reason))  # another era's template
                continue
        scores.append((gold["name"], page_f1("\n".join(gold["paragraphs"]), output, gold["language"]), None))
    return scores


def measure(recording: Recording, corpus: Path, work: Path, pages: int) -> dict:
    """Learn, crawl twice, compare: the figures of one site."""
    warc = (
        corpus / recording.warc
        if recording.warc
        else build_warc(corpus, recording.raw or "", work / f"{recording.site}.warc.gz")
    )
    sites = work / f"sites_{recording.site}"
    learned_name = f"learned_{recording.site}"
    (sites / f"{learned_name}.py").unlink(missing_ok=True)
    learned = _run(
        [str(Path(sys.executable).parent / "statements"), "learn", recording.listing, "--name", learned_name, "--warc", str(warc),
         "--out", str(sites), "--pages", str(pages)],
        {"STATEMENTS_SITES": ""},
    )  # fmt: skip
    (work / f"{recording.site}.report.txt").write_text(learned.stdout, encoding="utf-8")
    hand_db, learned_db = work / f"hand_{recording.site}.db", work / f"learned_{recording.site}.db"
    for db in (hand_db, learned_db):
        db.unlink(missing_ok=True)
    crawl(recording.site, warc, hand_db, recording.hand_arguments)
    crawl(learned_name, warc, learned_db, sites=sites)
    hand, mine = rows(hand_db), rows(learned_db)
    both = sorted(set(hand) & set(mine))
    language = next(iter(hand.values()))["language"] if hand else "en"
    f1 = {url: page_f1(hand[url]["body"], mine[url]["body"], language) for url in both}
    boilerplate = _read_boilerplate()[recording.site]
    left = {url: [text for text in boilerplate if text in row["body"]] for url, row in mine.items()}
    left = {url: texts for url, texts in left.items() if texts}

    from crawler.sites import SITES, load_site_folders

    load_site_folders(str(sites))
    golds = gold_f1(corpus, recording.site, recording.warc or recording.raw or "", SITES[learned_name])
    return {
        "site": recording.site,
        "hand": len(hand),
        "learned": len(mine),
        "recall": len(both) / max(1, len(hand)),
        "precision": len(both) / max(1, len(mine)),
        "f1_mean": statistics.mean(f1.values()) if f1 else 0.0,
        "f1_min": min(f1.values()) if f1 else 0.0,
        "f1_worst": sorted(f1.items(), key=lambda item: item[1])[:3],
        "titles": sum(hand[url]["title"] == mine[url]["title"] for url in both) / max(1, len(both)),
        "dates": sum(hand[url]["date"] == mine[url]["date"] for url in both) / max(1, len(both)),
        "date_misses": [(url, hand[url]["date"], mine[url]["date"]) for url in both if hand[url]["date"] != mine[url]["date"]][:3],
        "title_misses": [(url, hand[url]["title"], mine[url]["title"]) for url in both if hand[url]["title"] != mine[url]["title"]][:3],
        "boilerplate": left,
        "gold": golds,
        "missed_urls": sorted(set(hand) - set(mine))[:3],
        "extra_urls": sorted(set(mine) - set(hand))[:3],
    }  # fmt: skip


GOALS = (
    ("recall", 0.99, "URL recall"),
    ("precision", 1.0, "URL precision"),
    ("f1_mean", 0.995, "body F1 mean"),
    ("f1_min", 0.95, "body F1 of every page"),
    ("titles", 0.99, "titles equal"),
    ("dates", 0.98, "dates equal"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--pages", type=int, default=20, help="statement pages the learner compares")
    parser.add_argument("--work", type=Path, help="folder for the WARCs, modules, reports and databases")
    parser.add_argument("--site", action="append", help="only these sites (hand-written spider names)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="learn-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for recording in RECORDINGS:
        if args.site and recording.site not in args.site:
            continue
        print(f"{recording.site}: learning, crawling …", file=sys.stderr)
        results.append(measure(recording, args.corpus, work, args.pages))
    print(f"learned modules, reports and databases in {work}\n")
    print(
        "| site | hand-written | learned | URL recall | URL precision | body F1 mean | body F1 min | titles equal"
        " | dates equal | pages with boilerplate | gold pages read: F1 mean (min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        gold = [score for _, score, _ in r["gold"] if score is not None]
        other = sum(score is None for _, score, _ in r["gold"])
        gold_text = f"{len(gold)}: {statistics.mean(gold):.4f} ({min(gold):.4f})" if gold else "-"
        gold_text += f"; {other} of other templates rejected" if other else ""
        print(
            f"| {r['site']} | {r['hand']} | {r['learned']} | {r['recall']:.2%} | {r['precision']:.2%}"
            f" | {r['f1_mean']:.4f} | {r['f1_min']:.4f} | {r['titles']:.2%} | {r['dates']:.2%}"
            f" | {len(r['boilerplate'])} | {gold_text} |"
        )
    print()
    missed = False
    for r in results:
        for key, goal, label in GOALS:
            if r[key] < goal:
                missed = True
                detail = {
                    "recall": f"missed {r['missed_urls']}",
                    "precision": f"extra {r['extra_urls']}",
                    "f1_mean": f"lowest {r['f1_worst']}",
                    "f1_min": f"lowest {r['f1_worst']}",
                    "titles": f"e.g. {r['title_misses']}",
                    "dates": f"e.g. {r['date_misses']}",
                }[key]
                print(f"- {r['site']}: {label} {r[key]:.4f} < {goal}: {detail}")
        if r["boilerplate"]:
            missed = True
            example = next(iter(r["boilerplate"].items()))
            print(f"- {r['site']}: boilerplate left in {len(r['boilerplate'])} bodies, e.g. {example}")
    if not missed:
        print("every goal met")


if __name__ == "__main__":
    main()
