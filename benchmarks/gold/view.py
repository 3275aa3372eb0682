"""A page's visible text, one numbered line per block element or `<br>`: what a reader sees, without markup, scripts
or styles. The gold standard (this folder) was made by reading these lines (see README.md); use it to check a gold
file against its page.

Usage:
    python benchmarks/gold/view.py PAGE            # PAGE: a file, or ARCHIVE.warc.gz#URL
    python benchmarks/gold/view.py --gold NAME     # the page of benchmarks/gold/NAME.json, its gold lines marked
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import lxml.html
from w3lib.encoding import html_to_unicode

REPO = Path(__file__).resolve().parents[2]
BLOCKS = frozenset(
    "address article aside blockquote center dd details dialog div dl dt fieldset figcaption figure footer form h1 "
    "h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot tr td th ul option "
    "select".split()
)
BREAK = "\x00"


def visible_lines(raw: bytes, blank_lines: bool = False) -> list[str]:
    """The page's visible text lines (whitespace folded, empty lines left out); with `blank_lines`, a blank line
    in the text itself also ends a line (bodies pasted as plain text)."""
    _, text = html_to_unicode(None, raw)
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    for hidden in root.xpath("//script|//style|//noscript|//head|//template"):
        hidden.drop_tree()
    out: list[str] = []

    def text_of(value: str) -> str:
        return re.sub(r"\n[^\S\n]*\n", BREAK, value) if blank_lines else value

    def walk(element: lxml.html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "br" or tag in BLOCKS:
            out.append(BREAK)
        if element.text and tag != "br":
            out.append(text_of(element.text))
        for child in element:
            walk(child)
            if child.tail:
                out.append(text_of(child.tail))
        if tag in BLOCKS:
            out.append(BREAK)

    body = root.find("body")
    walk(body if body is not None else root)
    lines = (" ".join(line.split()) for line in "".join(out).split(BREAK))
    return [line for line in lines if line]


def page_bytes(corpus: Path, page: str) -> bytes:
    """The bytes of a corpus file, or of `ARCHIVE.warc.gz#URL`'s record."""
    sys.path.insert(0, str(REPO))
    if "#" in page:
        from crawler.middlewares import WarcArchive

        warc, url = page.split("#", 1)
        recorded = WarcArchive(corpus / warc).get(url)
        if recorded is None:
            raise SystemExit(f"{url} is not in {warc}")
        return recorded.body
    return (corpus / page).read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?")
    parser.add_argument("--gold")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    args = parser.parse_args()
    gold = json.loads((REPO / "benchmarks" / "gold" / f"{args.gold}.json").read_text()) if args.gold else None
    page = gold["page"] if gold else args.page
    if not page:
        parser.error("give a PAGE or --gold NAME")
    lines = visible_lines(page_bytes(args.corpus, page), blank_lines=bool(gold and gold.get("blank_lines")))
    kept = set(gold["paragraphs"]) if gold else set()
    for number, line in enumerate(lines):
        print(f"{'*' if line in kept else ' '} {number:4d} {line}")


if __name__ == "__main__":
    main()
