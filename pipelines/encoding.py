"""Charset decision for recorded page bytes.

Government sites declare charsets that lie: fmprc.gov.cn sent `Content-Type: text/html` with no charset (its
`<meta>` says UTF-8); pages labelled gb2312 use GBK-only characters; a saved Belarus MFA listing claims
windows-1251 but holds UTF-8. The rule, applied to the recorded bytes so that `statements reparse` can decide
again, is in order:

1. a byte order mark wins;
2. bytes that are valid UTF-8 are UTF-8 when a declaration (HTTP header or `<meta>`) says UTF-8 or none says
   anything;
3. the HTTP header's charset, if the bytes decode under it without errors;
4. the `<meta>` charset, as browsers do, even where some bytes do not decode under it (they become U+FFFD):
   charset detection guesses wrong on pages that are mostly ASCII (it reads the windows-1251 Belarus page as
   windows-1250), so a declaration, even a partly wrong one, is the better evidence;
5. UTF-8 if the bytes are valid UTF-8 (a single-byte label on them was not taken), else detection
   (charset-normalizer).

Labels are resolved as browsers do (w3lib): gb2312 and gbk decode as GB18030, iso-8859-1 as windows-1252. A
single-byte charset is taken only when declared and the bytes are not valid UTF-8.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

_HIGH_BYTES = bytes(range(0x80, 0x100))


@dataclass(frozen=True)
class Decoded:
    """Text decoded from page bytes.

    Attributes:
        text: the decoded text (undecodable bytes, where the chosen codec meets any, become U+FFFD).
        encoding: Python codec name used ("utf-8", "gb18030", "cp1251", …).
        reason: which rule chose it: "bom", "declared-utf-8", "undeclared-utf-8", "http-header", "meta",
            "valid-utf-8", "detected" or "fallback-utf-8" (detection found nothing).
    """

    text: str
    encoding: str
    reason: str


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, resolved as browsers do; None for unknown labels."""
    if not label:
        return None
    resolved = resolve_encoding(label)
    return codecs.lookup(resolved).name if resolved else None


def _is_single_byte(codec: str) -> bool:
    # A single-byte codec turns each of the 128 high bytes into exactly one character.
    return len(_HIGH_BYTES.decode(codec, errors="replace")) == len(_HIGH_BYTES)


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _decode(body: bytes, codec: str) -> str:
    return body.decode(codec, errors="replace")


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """Decode recorded page bytes by the rule in this module's docstring.

    Args:
        body: the response body bytes, as recorded.
        content_type: the HTTP Content-Type header value, or None.

    Returns:
        The text with the codec and the rule that chose it. Never raises on bad bytes: they become U+FFFD.
    """
    bom_label, bom = read_bom(body)
    if bom_label and bom:
        codec = _codec(bom_label) or "utf-8"
        return Decoded(_decode(body[len(bom) :], codec), codec, "bom")

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
    if meta:
        return Decoded(_decode(body, meta), meta, "meta")
    if is_utf8:
        return Decoded(body.decode("utf-8"), "utf-8", "valid-utf-8")
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        codec = _codec(best.encoding) or best.encoding
        return Decoded(_decode(body, codec), codec, "detected")
    return Decoded(_decode(body, "utf-8"), "utf-8", "fallback-utf-8")
