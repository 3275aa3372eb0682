"""The language of a statement's text, not of its site.

A site declares the language of its statements (`Site.language`), and pages say `lang="en"` whatever they hold: the
White House's 2009–2016 briefings include two statements in Spanish ("Declaraciones del Presidente Durante Rueda de
Prensa", "Información Sobre La Reunión Del Presidente"), and a Chinese site's page may be in English. The text is
asked too, with py3langid (langid.py's naive Bayes model over byte n-grams, shipped inside the package: nothing is
downloaded at run time), restricted to languages with an ISO 639-1 code (the codes the `language` column holds; the
model's regional and historical varieties, such as Wu Chinese or Aragonese, took a share of the probability of
Chinese and Spanish texts without ever being their language on the corpus).

The site's language is kept where the text agrees, where the text is too short to tell (`MIN_LETTERS`), and where
the model is not sure (`MIN_CONFIDENCE`); else the text's language is the statement's, and `language_source` says so
("text"; "site" otherwise). On the 3,115 statements of the recordings only the two Spanish briefings change (the
briefing of 2009 by Robert Gibbs and Dan Restrepo "including Spanish text", 8 of its 274 paragraphs, stays English).
The model walks the text's bytes in a Python loop, so it reads a sample (`SAMPLE_CHARS` from the start, the middle
and the end): 2.0 ms a statement where the whole text took 47 ms, over the 3,115 statements on a busy machine
(`benchmarks/language.py`, `benchmarks/README.md`); samples of 120 to 600 characters decide every statement of the
corpus alike.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

MIN_LETTERS = 100
"""A text with fewer letters keeps the site's language: a title and a line say too little."""
MIN_CONFIDENCE = 0.95
"""The text's language overrules the site's only when the model gives it at least this probability."""
SAMPLE_CHARS = 200
"""Characters read from each of the start, the middle and the end of a statement."""


class Language(NamedTuple):
    """A statement's language and where it comes from: "site" (the site's, the text agreeing or not telling) or
    "text" (the text is in another language than the site's)."""

    language: str
    source: str


@functools.cache
def _identifier() -> Any:  # py3langid has no type hints
    """The language identifier, loaded once per process (0.7 s: the model is decompressed from the package)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([label for label in identifier.labels if len(label) == 2 and label != "zxx"])
    return identifier


def sample(title: str, paragraphs: list[str]) -> str:
    """The text the model reads: the title and the body, or, for a long one, its start, middle and end."""
    text = "\n".join((title, *paragraphs))
    if len(text) <= 3 * SAMPLE_CHARS:
        return text
    middle = len(text) // 2
    return "\n".join(
        (
            text[:SAMPLE_CHARS],
            text[middle - SAMPLE_CHARS // 2 : middle + SAMPLE_CHARS // 2],
            text[-SAMPLE_CHARS:],
        )
    )


def detect(text: str) -> tuple[str, float]:
    """The most probable language of `text` (ISO 639-1 code) and its probability (0–1)."""
    language, probability = _identifier().classify(text)
    return language, float(probability)


def statement_language(title: str, paragraphs: list[str], site_language: str) -> Language:
    """The language of a statement with this title and body, on a site of `site_language` (see the module
    docstring for the rule)."""
    text = sample(title, paragraphs)
    if sum(char.isalpha() for char in text) < MIN_LETTERS:
        return Language(site_language, "site")
    language, probability = detect(text)
    if language != site_language and probability >= MIN_CONFIDENCE:
        return Language(language, "text")
    return Language(site_language, "site")
