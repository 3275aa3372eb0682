"""Language, time zone, kinds and speakers: what the words of a site tell.

- Language: the pages' `<html lang>` where most agree, else the script of the bodies' letters (Han, kana,
  hangul, Cyrillic, Arabic) and, for Latin script, the commonest function words.
- Time zone: the zone of the site's country, told by its host's country-code domain (`.cn`, `.by`, `.jp`; `.gov`
  and `.mil` are the United States), from the system's zone table; a country of several zones takes its
  capital's. Elsewhere the user names one (`--timezone`).
- Kinds: title words of each kind of statement, in English and Chinese.
- Speakers: a role word ("Spokesperson", "Press Secretary", "Prime Minister", "发言人") followed by a name, kept
  where it names someone in a quarter of the titles and the same person in two of them.
"""

from __future__ import annotations

import re
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from crawler.learn.pages import Page

_LATIN_WORDS = {
    "en": "the of and to in is that for on with was by",
    "fr": "le la les des et est du une pour dans que sur",
    "es": "el la los las de y que en del por para una",
    "de": "der die das und ist den von mit zu des im nicht",
    "pt": "o a os as de e que do da em para uma",
    "it": "il la di e che per del della una sono con",
    "ru": "и в не на что с по к это из",
}


def detect_language(pages: list[Page], texts: list[str]) -> tuple[str, str]:
    """The ISO 639-1 code of the statements, and what told it.

    Args:
        pages: the statement pages (their `<html lang>`).
        texts: their body texts.
    """
    declared = Counter(
        (page.root.get("lang") or page.root.get("{http://www.w3.org/XML/1998/namespace}lang") or "")[
            :2
        ].lower()
        for page in pages
    )
    code, count = declared.most_common(1)[0] if declared else ("", 0)
    if code.isalpha() and len(code) == 2 and count * 5 >= len(pages) * 4:
        return code, f'<html lang="{code}…"> on {count} of {len(pages)} pages'
    text = " ".join(texts)
    scripts = Counter()
    for char in text:
        if "\u3040" <= char <= "\u30ff":
            scripts["ja"] += 1
        elif "\uac00" <= char <= "\ud7af":
            scripts["ko"] += 1
        elif "\u4e00" <= char <= "\u9fff":
            scripts["zh"] += 1
        elif "\u0400" <= char <= "\u04ff":
            scripts["cyrillic"] += 1
        elif "\u0600" <= char <= "\u06ff":
            scripts["ar"] += 1
        elif char.isalpha():
            scripts["latin"] += 1
    letters = sum(scripts.values()) or 1
    if scripts["ja"] > 0.05 * letters:
        return "ja", "kana in the bodies"
    if scripts["ko"] > 0.3 * letters:
        return "ko", "hangul in the bodies"
    if scripts["zh"] > 0.3 * letters:
        return "zh", f"Han characters are {scripts['zh'] / letters:.0%} of the bodies' letters"
    if scripts["ar"] > 0.3 * letters:
        return "ar", "Arabic script in the bodies"
    words = Counter(re.findall(r"\w+", text.lower()))
    scored = {
        language: sum(words[word] for word in vocabulary.split())
        for language, vocabulary in _LATIN_WORDS.items()
    }
    if scripts["cyrillic"] <= 0.3 * letters:
        scored.pop("ru")
    language = max(scored, key=scored.__getitem__)
    return language, f"its function words are the commonest in the bodies ({scored[language]} of them)"


_GENERIC_TLDS = {"gov": "US", "mil": "US", "uk": "GB"}
_CAPITAL_ZONES = {
    "AR": "America/Argentina/Buenos_Aires", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
    "CA": "America/Toronto", "CD": "Africa/Kinshasa", "CL": "America/Santiago", "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin", "EC": "America/Guayaquil", "ES": "Europe/Madrid", "FM": "Pacific/Pohnpei",
    "ID": "Asia/Jakarta", "KI": "Pacific/Tarawa", "KZ": "Asia/Almaty", "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar", "MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti", "PG": "Pacific/Port_Moresby", "PS": "Asia/Hebron", "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow", "UA": "Europe/Kyiv", "UM": "Pacific/Wake", "US": "America/New_York",
    "UZ": "Asia/Tashkent", "CY": "Asia/Nicosia", "GL": "America/Nuuk", "KH": "Asia/Phnom_Penh",
    "CU": "America/Havana", "VN": "Asia/Ho_Chi_Minh", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo",
}  # fmt: skip
"""The capital's zone of countries that span several zones (zone.tab lists those zones in no useful order)."""


def _zone_table() -> dict[str, list[str]]:
    """Country code → its zones, from the system's zone.tab (else the tzdata package's, a dependency)."""
    text = None
    system = Path("/usr/share/zoneinfo/zone.tab")
    if system.is_file():
        text = system.read_text(encoding="utf-8")
    else:
        try:
            text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            return {}
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            table.setdefault(fields[0], []).append(fields[2])
    return table


def guess_timezone(host: str) -> tuple[str | None, str]:
    """The IANA zone of the country a host's domain names, and how it was told; (None, why) where it cannot be."""
    label = host.lower().rstrip(".").rsplit(".", 1)[-1]
    country = _GENERIC_TLDS.get(label, label.upper() if len(label) == 2 else None)
    if country is None:
        return None, f"the domain .{label} names no country"
    if country in _CAPITAL_ZONES:
        zone = _CAPITAL_ZONES[country]
    else:
        zones = _zone_table().get(country, [])
        if len(zones) != 1:
            return None, f"country {country} (.{label}) has {len(zones) or 'no'} time zones in zone.tab"
        zone = zones[0]
    try:
        zoneinfo.ZoneInfo(zone)
    except zoneinfo.ZoneInfoNotFoundError:
        return None, f"{zone} is not known to this system"
    return zone, f"the site's country, {country} (.{label})"


KIND_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (
            "press_conference",
            r"\bPress (?:Conference|Briefing|Gaggle)\b|\bNews Conference\b|\bDaily Briefing\b",
        ),
        ("remarks", r"\bSpokesperson\b.*\bRemarks\b|\bRemarks on\b|\bComments? on\b"),
        (
            "speech",
            r"\bSpeech\b|\bAddress\b|\bKeynote\b|\bRemarks (?:by|at)\b|\bToast\b|\bLecture\b|\bVideo Message\b",
        ),
        ("statement", r"\bStatement\b|\bCommuniqu[eé]\b|\bDeclaration\b"),
        ("interview", r"\bInterview\b"),
        (
            "meeting",
            (
                r"\bMeets?\b|\bTalks\b|\bPhone Call\b|\bTelephone\b|\bVideo Call\b|\bMeeting\b|\bConsultations?\b"
                r"|\bReadout\b"
            ),
        ),
    ),
    "zh": (
        ("press_conference", r"例行记者会|记者会|吹风会"),
        ("remarks", r"答记者问|发言人.*(?:谈话|表态|立场)|发言人.*答问"),
        ("speech", r"讲话|致辞|演讲|(?<!人)发言(?!人)|署名文章"),
        ("statement", r"声明|公报|宣言"),
        ("interview", r"接受.*采访|专访"),
        ("meeting", r"会见|会谈|通电话|视频会晤|通话|磋商|会晤"),
    ),
}
"""Title words of each kind, by language; the first kind whose words a title holds is its kind."""


@dataclass(frozen=True)
class KindRule:
    """A kind rule and on how many sampled titles it is the rule that applies."""

    kind: str
    regex: str
    seen: int


def kind_rules(language: str, titles: list[str]) -> tuple[list[KindRule], str]:
    """The kind rules of the site's language (English ones for languages without a list), each with how many of
    the sampled titles it classifies, and the default kind: "news"."""
    rules = KIND_WORDS.get(language, KIND_WORDS["en"])
    seen: Counter[str] = Counter()
    for title in titles:
        for kind, regex in rules:
            if re.search(regex, title):
                seen[kind] += 1
                break
    return [KindRule(kind, regex, seen[kind]) for kind, regex in rules], "news"


_ROLES_EN = (
    r"Spokesperson|Spokesman|Spokeswoman|Press Secretary|Secretary|Prime Minister|Minister|President|Premier"
    r"|Chancellor|Ambassador|Councilor|Director|Envoy|Governor|Advisor|Adviser|Consul General"
)
SPEAKER_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": (
        rf"\b(?:{_ROLES_EN})\s+(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b",
        rf"\b(?:{_ROLES_EN})\s+(?P<name>[A-Z]{{2,}} [A-Z][a-z]+)\b",
    ),
    "zh": (
        r"发言人(?P<name>[\u4e00-\u9fff]{2,3}?)(?=主持|就|答|发表|表示|在|宣布|谈)",
        (
            r"(?:部长|外长|总理|主席|大使|副部长|国务委员)(?P<name>[\u4e00-\u9fff]{2,3}?)"
            r"(?=会见|会谈|出席|同|与|在|致|发表|接受|通电话|表示|集体会见)"
        ),
    ),
}
"""Speaker patterns tried on titles: a role, then a name."""


@dataclass(frozen=True)
class SpeakerRule:
    """A speaker pattern that holds across the sampled titles, with the names it found there."""

    regex: str
    seen: tuple[int, int]
    names: tuple[str, ...]


def speaker_rules(language: str, titles: list[str]) -> list[SpeakerRule]:
    """The speaker patterns of the language that find a name in a quarter of the titles (two at least) and the
    same name in two of them."""
    kept = []
    for regex in SPEAKER_PATTERNS.get(language, ()):
        names = [match.group("name") for title in titles if (match := re.search(regex, title))]
        counts = Counter(names)
        if len(names) >= 2 and len(names) * 4 >= len(titles) and counts.most_common(1)[0][1] >= 2:
            kept.append(
                SpeakerRule(
                    regex, (len(names), len(titles)), tuple(name for name, _ in counts.most_common(5))
                )
            )
    return kept
