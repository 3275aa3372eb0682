"""Full-text search for Chinese (and other CJK) text: an index of overlapping character bigrams.

FTS5's unicode61 tokenizer keeps a run of Chinese characters as one token (a whole sentence), and its trigram
tokenizer never matches words shorter than three characters (台湾, 香港). So Chinese statements get an index of
their own, `statements_fts_zh`, whose text is rewritten before indexing: every run of CJK characters becomes its
overlapping bigrams ("台湾问题" → "台湾 湾问 问题"; a lone character stays itself), fenced by a marker token so
that no phrase can match across two runs; other text is kept as it is. A word of two characters or more is then
found exactly where it occurs as a substring, by the phrase of its own bigrams ("香港国安法" →
`"香港 港国 国安 安法"`), in title or body, whatever its length.
"""

from __future__ import annotations

import re

CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
"""Languages whose statements go to the bigram index."""

_CJK_RUN = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u309f\u30a0-\u30ff\uac00-\ud7af\U00020000-\U0003134f]+"
)
_FENCE = "\ue000"
"""A private-use character: a token to FTS5's unicode61 tokenizer that no query ever contains."""


def has_cjk(text: str) -> bool:
    """Whether `text` holds a CJK (Han, kana, hangul) character."""
    return _CJK_RUN.search(text) is not None


def _bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(map(str.__add__, run[:-1], run[1:]))  # every pair of neighbours, without a Python loop


def index_text(text: str) -> str:
    """Rewrite text for the bigram index: each CJK run becomes its bigrams between two fence tokens; other text
    stays. Example: "APAC新闻网" → "APAC \ue000 新闻 闻网 \ue000"."""
    return _CJK_RUN.sub(lambda match: f" {_FENCE} {_bigrams(match.group())} {_FENCE} ", text)


def match_phrase(word: str) -> str:
    """The FTS5 MATCH expression that finds `word` (two characters or more, or any non-CJK word) in the bigram
    index: the phrase of its own index text, fences at its ends removed. Example: "香港国安法" →
    `"香港 港国 国安 安法"`.

    Raises:
        ValueError: the word is empty once spaces are removed.
    """
    tokens = index_text(word).split()
    while tokens and tokens[0] == _FENCE:
        tokens.pop(0)
    while tokens and tokens[-1] == _FENCE:
        tokens.pop()
    if not tokens:
        raise ValueError("empty search word")
    return '"' + " ".join(token.replace('"', '""') for token in tokens) + '"'
