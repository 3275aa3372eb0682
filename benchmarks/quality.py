"""Body text quality against the hand-checked gold standard (benchmarks/gold/*.json), ours beside generic extractors
(not a test: prints figures).

Usage:
    python benchmarks/quality.py [--corpus ../shared/corpus] [--show NAME]

For each gold page and each tool (ours: extract + normalize with the page's site module; trafilatura.extract;
readability-lxml's Document.summary(); jusText, English pages only, as it has no Chinese stoplist): token-level
precision, recall and F1 of the body text against the gold body (words for English, characters for Chinese,
compared as multisets), and the pages where the gold's first or last paragraph is missing from the output
(compared after Unicode NFKC and whitespace folding) or where a boilerplate string of the site's template survives.
Figures are per tool: F1 averaged over pages (macro) and over all tokens (micro), by language and overall.
Needs the tools compared: sh benchmarks/install.sh.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.items import PageItem  # noqa: E402
from crawler.middlewares import WarcArchive  # noqa: E402
from crawler.sites import get_site  # noqa: E402
from pipelines.extract import NotAStatement, extract  # noqa: E402
from pipelines.normalize import normalize  # noqa: E402

BOILERPLATE = {
    "fmprc_en": (
        "Suggest to a friend",
        "Home >",
        "Related News",
        "Appendix:",
        "Copyright©",
        "Updated:",
        "Links:",
    ),
    "fmprc_zh": (
        "打印本页",
        "推荐给朋友",
        "首页 >",
        "相关新闻",
        "关闭窗口",
        "版权所有",
        "字体：",
        "相关附件",
    ),
    "whitehouse_en": (
        "Share This",
        "More ways to engage",
        "Office of the Press Secretary",
        "For Immediate Release",
    ),
    "mfa_by_en": ("Statements & Speeches /", "Press Service /", "Belarusian Diplomatic Missions abroad"),
    "kantei_en": ("[Provisional Translation]", "Related Link", "Tweet"),
}
"""Strings of each site's template around the body: present in an output and absent from the gold, boilerplate
survived."""


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def tokens(text: str, language: str) -> Counter[str]:
    """Words (English, lower case) or characters (Chinese: every letter, digit and ideograph)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if language == "zh":
        return Counter(char for char in folded if char.isalnum())
    return Counter(re.findall(r"\w+", folded))


def _ours(html: bytes, url: str, site: str) -> str:
    declarations = get_site(site)
    item = PageItem(
        site=site, url=url, status=200, headers={}, body=html, fetched_at="2026-11-29T00:00:00+00:00"
    )
    try:
        return normalize(item, extract(item, declarations), declarations).body
    except NotAStatement:
        return ""


def _trafilatura(html: bytes, url: str, site: str) -> str:
    import trafilatura

    return (
        trafilatura.extract(html, url=url, include_comments=False, include_tables=True, favor_precision=False)
        or ""
    )


def _html_text(fragment: str) -> str:
    import lxml.html

    root = lxml.html.fromstring(fragment or "<div></div>")
    for element in root.iter("br", "p", "div", "li", "h1", "h2", "h3", "tr", "td"):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _readability(html: bytes, url: str, site: str) -> str:
    from readability import Document

    return _html_text(Document(html, url=url).summary(html_partial=True))


def _justext(html: bytes, url: str, site: str) -> str | None:
    import justext

    if get_site(site).language != "en":
        return None  # no Chinese stoplist
    paragraphs = justext.justext(html, justext.get_stoplist("English"))
    return "\n\n".join(paragraph.text for paragraph in paragraphs if not paragraph.is_boilerplate)


TOOLS: dict[str, Callable[[bytes, str, str], str | None]] = {
    "ours": _ours,
    "trafilatura": _trafilatura,
    "readability-lxml": _readability,
    "jusText": _justext,
}


def page_bytes(corpus: Path, path: str, archives: dict[str, WarcArchive]) -> bytes:
    """A gold page's bytes: a file of the corpus, or `archive.warc.gz#url`."""
    if "#" in path:
        warc, url = path.split("#", 1)
        if warc not in archives:
            archives[warc] = WarcArchive(corpus / warc)
        recorded = archives[warc].get(url)
        if recorded is None:
            raise SystemExit(f"{url} is not in {warc}")
        return recorded.body
    return (corpus / path).read_bytes()


def score(gold: dict, output: str) -> dict:
    """Token counts, first/last paragraph kept, boilerplate survived, for one output against its gold."""
    language = gold["language"]
    expected = tokens("\n".join(gold["paragraphs"]), language)
    found = tokens(output, language)
    overlap = sum((expected & found).values())
    folded_output = _fold(output)
    gold_text = _fold("\n".join(gold["paragraphs"]))
    return {
        "overlap": overlap,
        "found": sum(found.values()),
        "expected": sum(expected.values()),
        "first_lost": _fold(gold["paragraphs"][0]) not in folded_output,
        "last_lost": _fold(gold["paragraphs"][-1]) not in folded_output,
        "boilerplate": [
            b for b in BOILERPLATE[gold["site"]] if _fold(b) in folded_output and _fold(b) not in gold_text
        ],
    }


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--gold", type=Path, default=REPO / "benchmarks" / "gold")
    parser.add_argument("--show", help="print the per-tool scores of this gold page")
    args = parser.parse_args()
    golds = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(args.gold.glob("*.json"))]
    archives: dict[str, WarcArchive] = {}
    results: dict[str, list[tuple[dict, dict]]] = {tool: [] for tool in TOOLS}
    for gold in golds:
        html = page_bytes(args.corpus, gold["page"], archives)
        for tool, run in TOOLS.items():
            output = run(html, gold["url"], gold["site"])
            if output is None:
                continue
            scored = score(gold, output)
            results[tool].append((gold, scored))
            if args.show == gold["name"]:
                print(tool, {k: v for k, v in scored.items()}, repr(output[:300]))
    languages = sorted({gold["language"] for gold in golds})
    print(
        f"{len(golds)} gold pages: "
        + ", ".join(f"{sum(g['language'] == lang for g in golds)} {lang}" for lang in languages)
    )
    print()
    header = "| tool | language | pages | precision | recall | F1 (micro) | F1 (mean of pages) | first paragraph lost | last paragraph lost | boilerplate survived |"
    print(header)
    print("|" + "---|" * header.count("|")[:-1] if False else "|---|---|---|---|---|---|---|---|---|---|")
    for tool, scored_pages in results.items():
        for language in [*languages, "all"]:
            chosen = [s for g, s in scored_pages if language in ("all", g["language"])]
            if not chosen:
                continue
            overlap = sum(s["overlap"] for s in chosen)
            precision = overlap / max(1, sum(s["found"] for s in chosen))
            recall = overlap / max(1, sum(s["expected"] for s in chosen))
            per_page = [
                _f1(s["overlap"] / s["found"] if s["found"] else 0.0, s["overlap"] / s["expected"])
                for s in chosen
            ]
            print(
                f"| {tool} | {language} | {len(chosen)} | {precision:.4f} | {recall:.4f} | {_f1(precision, recall):.4f}"
                f" | {statistics.mean(per_page):.4f} | {sum(s['first_lost'] for s in chosen)}"
                f" | {sum(s['last_lost'] for s in chosen)} | {sum(bool(s['boilerplate']) for s in chosen)} |"
            )
    print()
    for tool, scored_pages in results.items():
        worst = sorted(
            scored_pages,
            key=lambda pair: _f1(
                pair[1]["overlap"] / max(1, pair[1]["found"]), pair[1]["overlap"] / pair[1]["expected"]
            ),
        )[:3]
        print(
            f"{tool}, lowest F1: "
            + "; ".join(
                f"{g['name']} {_f1(s['overlap'] / max(1, s['found']), s['overlap'] / s['expected']):.3f}"
                + (f" (boilerplate: {', '.join(s['boilerplate'])})" if s["boilerplate"] else "")
                for g, s in worst
            )
        )


if __name__ == "__main__":
    main()
