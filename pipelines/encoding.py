"""Charset decision for recorded page bytes.

Government sites declare charsets that lie: fmprc.gov.cn sent `Content-Type: text/html` with no charset (its
`<meta>` says UTF-8); pages labelled gb2312 use GBK-only characters; a saved Belarus MFA listing claims
windows-1251 but holds UTF-8; a CMS copies a page's GBK bytes under a template that says `<meta charset="utf-8">`.
The rule, applied to the recorded bytes so that `statements reparse` can decide again, is in order:

1. a byte order mark wins, if the bytes after it decode under it;
2. bytes that are valid UTF-8 are UTF-8 when a declaration (HTTP header or `<meta>`) says UTF-8 or none says
   anything;
3. the HTTP header's charset, if the bytes decode under it without errors;
4. the `<meta>` charset, if the bytes decode under it without errors;
5. UTF-8 if the bytes are valid UTF-8 (a single-byte label on them was not taken).

No declaration decodes the bytes cleanly (nor UTF-8) then. Two cases remain:

6. **A few broken bytes.** Where the declared charset (else UTF-8) decodes every byte but at most
   `MAX_BROKEN_SEQUENCES` short runs, which are at most `MAX_BROKEN_SHARE` of the page's non-ASCII bytes, the page is
   in that charset and was damaged at its source (a character cut by the CMS, a stray byte pasted in): it is
   decoded so, each broken run becoming one U+FFFD, and the reason ends in "-with-errors" ("meta-with-errors").
   A browser shows the same replacement character; the rest of the text is the ministry's. A wrong label breaks
   far more: every Chinese character of a GBK page read as UTF-8, every Cyrillic letter of a windows-1251 page.
7. **A wrong label.** Detection (charset-normalizer), run on the page's non-ASCII text only (runs of bytes ≥ 0x80
   with at most three ASCII bytes between them: the markup around them is ASCII in every charset and drowned the
   guess, reading the windows-1251 Belarus page as windows-1250), proposes charsets; the first that decodes the
   whole page without an error is used. The reason says the declaration was overruled: "detected-over-meta",
   "detected-over-http-header" ("detected" where nothing was declared). GBK bytes under `<meta charset="utf-8">`
   are read as GB18030 so.

A page that none of these decodes is `UndecodableError`: the extract pipeline rejects it ("undecodable") rather
than store text that a wrong guess filled with U+FFFD or mojibake.

Labels are resolved as browsers do (w3lib): gb2312 and gbk decode as GB18030, iso-8859-1 as windows-1252. A
single-byte charset is taken only when declared (or detected) and the bytes are not valid UTF-8.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

_HIGH_BYTES = bytes(range(0x80, 0x100))
_BROKEN = re.compile("[\udc80-\udcff]+")
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+(?:[\x00-\x7f]{1,3}[\x80-\xff]+)*")

MAX_BROKEN_SEQUENCES = 3
"""At most this many runs of undecodable bytes make a page damaged at its source rather than mislabelled."""
MAX_BROKEN_SHARE = 0.01
"""…and they are at most this share of the page's non-ASCII bytes."""
DETECTION_SAMPLE_BYTES = 64 * 1024
"""Detection reads at most this much of a page's non-ASCII text (a page holds 1–60 KB of it)."""


class UndecodableError(ValueError):
    """No charset decodes the page's bytes (see the module docstring): the message says what was tried."""


@dataclass(frozen=True)
class Decoded:
    """Text decoded from page bytes.

    Attributes:
        text: the decoded text; it holds U+FFFD only where the page itself is broken (`broken` > 0).
        encoding: Python codec name used ("utf-8", "gb18030", "cp1251", …).
        reason: which rule chose it: "bom", "declared-utf-8", "undeclared-utf-8", "http-header", "meta",
            "valid-utf-8", "detected" (nothing declared), "detected-over-http-header" / "detected-over-meta" (the
            declaration does not decode the bytes, detection found the charset that does), or one of the first
            six followed by "-with-errors" (the page's own broken bytes; "utf-8-with-errors" where UTF-8 was not
            declared).
        broken: runs of bytes that do not decode (each one U+FFFD in `text`); 0 for a clean decode.
    """

    text: str
    encoding: str
    reason: str
    broken: int = 0


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, resolved as browsers do; None for unknown labels."""
    if not label:
        return None
    resolved = resolve_encoding(label)
    try:
        return codecs.lookup(resolved).name if resolved else None
    except LookupError:
        return None


def _is_single_byte(codec: str) -> bool:
    # A single-byte codec turns each of the 128 high bytes into exactly one character.
    return len(_HIGH_BYTES.decode(codec, errors="replace")) == len(_HIGH_BYTES)


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _broken_runs(body: bytes, codec: str) -> tuple[int, int]:
    """(runs of undecodable bytes, undecodable bytes) of `body` under `codec`."""
    escaped = body.decode(codec, errors="surrogateescape")
    runs = _BROKEN.findall(escaped)
    return len(runs), sum(map(len, runs))


def _few_broken(body: bytes, codec: str) -> int:
    """The number of broken runs when they are few enough to be the page's own damage (see rule 6), else 0."""
    runs, broken = _broken_runs(body, codec)
    high = len(body) - len(body.translate(None, _HIGH_BYTES))
    if 0 < runs <= MAX_BROKEN_SEQUENCES and broken <= MAX_BROKEN_SHARE * high:
        return runs
    return 0


def _detect(body: bytes) -> str | None:
    """The first charset detection proposes for the page's non-ASCII text that decodes the whole page cleanly."""
    sample = b" ".join(match.group() for match in _NON_ASCII_RUN.finditer(body))[:DETECTION_SAMPLE_BYTES]
    if not sample:
        return None
    for match in charset_normalizer.from_bytes(sample, preemptive_behaviour=False):
        codec = _codec(match.encoding) or _codec(match.encoding.replace("_", "-"))
        if codec and _decodes(body, codec):
            return codec
    return None


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """Decode recorded page bytes by the rule in this module's docstring.

    Args:
        body: the response body bytes, as recorded.
        content_type: the HTTP Content-Type header value, or None.

    Returns:
        The text with the codec, the rule that chose it and the count of the page's own broken byte runs.

    Raises:
        UndecodableError: no charset decodes the bytes, not even with a few broken runs.
    """
    # (reason, codec) of each declaration, in the order they are believed
    declared: list[tuple[str, str]] = []
    bom_label, bom = read_bom(body)
    if bom_label and bom:
        codec = _codec(bom_label) or "utf-8"
        body = body[len(bom) :]
        if _decodes(body, codec):
            return Decoded(body.decode(codec), codec, "bom")
        declared.append(("bom", codec))

    header = _codec(http_content_type_encoding(content_type))
    meta = _codec(html_body_declared_encoding(body))
    is_utf8 = _decodes(body, "utf-8")
    if is_utf8:
        if "utf-8" in (header, meta):
            return Decoded(body.decode("utf-8"), "utf-8", "declared-utf-8")
        if header is None and meta is None:
            return Decoded(body.decode("utf-8"), "utf-8", "undeclared-utf-8")
        # A single-byte label on bytes that are valid UTF-8 is not believed.
        header = header if header and not _is_single_byte(header) else None
        meta = meta if meta and not _is_single_byte(meta) else None
    if header and _decodes(body, header):
        return Decoded(body.decode(header), header, "http-header")
    if meta and _decodes(body, meta):
        return Decoded(body.decode(meta), meta, "meta")
    if is_utf8:
        return Decoded(body.decode("utf-8"), "utf-8", "valid-utf-8")

    declared += [(reason, codec) for reason, codec in (("http-header", header), ("meta", meta)) if codec]
    candidates = [*declared]
    if not any(codec == "utf-8" for _, codec in declared):
        candidates.append(("utf-8" if declared else "undeclared-utf-8", "utf-8"))
    for reason, codec in candidates:
        broken = _few_broken(body, codec)
        if broken:
            if codec == "utf-8" and reason in ("http-header", "meta"):
                reason = "declared-utf-8"
            return Decoded(body.decode(codec, errors="replace"), codec, f"{reason}-with-errors", broken)
    detected = _detect(body)
    if detected is not None:
        reason = f"detected-over-{declared[0][0]}" if declared else "detected"
        return Decoded(body.decode(detected), detected, reason)
    tried = ", ".join(f"{codec} ({reason})" for reason, codec in candidates)
    raise UndecodableError(f"no charset decodes the bytes: {tried}, and detection found none")
