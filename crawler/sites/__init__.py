"""Site modules: one per press office and language. `SITES` maps spider names to their declarations.

Every module of this package that defines `SITE` (a `crawler.sites.base.Site`) is a site: adding a press office
is adding its module (see README, "Adding a site"). Modules without `SITE` hold what several sites share
(`fmprc` for both China MFA sites) or the declarations themselves (`base`).

Site modules outside the package live in the folders named by `STATEMENTS_SITES` (environment variable or Scrapy
setting; several folders separated by `os.pathsep`): every `*.py` file there that defines `SITE` is loaded the
same way (`load_site_folders`), so `statements learn` can write a module that every command sees without a change
to the package. A module that fails to import, declares something that is not a usable `Site`, or takes the name
of a built-in site is skipped with one ERROR line naming its file; the other sites still work.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import pkgutil
import re
import sys
import zlib
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from crawler.sites.base import Listing, Section, Site, Template

logger = logging.getLogger(__name__)


class UnknownSiteError(KeyError):
    """Raised for a site name that no site module declares."""


def _discover() -> dict[str, Site]:
    """The `SITE` of every module of this package, by name, sorted.

    Raises:
        TypeError: a module's `SITE` is not a `Site`.
        ValueError: two modules declare sites of the same name.
    """
    found: dict[str, Site] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        site = getattr(module, "SITE", None)
        if site is None:
            continue
        if not isinstance(site, Site):
            raise TypeError(f"{module.__name__}.SITE is a {type(site).__name__}, not a Site")
        if site.name in found:
            raise ValueError(f"two site modules declare the site {site.name!r}")
        found[site.name] = site
    return found


SITES: dict[str, Site] = _discover()
BUILT_IN: frozenset[str] = frozenset(SITES)
"""Names of the sites of this package: an external module may not take one."""
SITE_FILES: dict[str, Path] = {}
"""Name → file of each site loaded from a `STATEMENTS_SITES` folder."""
SITE_PROBLEMS: dict[Path, str] = {}
"""File → the one-line reason it was skipped, for every external module that could not be loaded."""
_LOADED_FOLDERS: set[Path] = set()

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _check_selectors(owner: str, selectors: tuple[str | None, ...]) -> str | None:
    for selector in selectors:
        if selector is None:
            continue
        css = selector.rpartition("@")[0] if "@" in selector else selector
        try:
            CSSSelector(css, translator="html")
        except (SelectorError, SyntaxError, ValueError):
            return f"{owner} selector {selector!r} is not valid CSS"
    return None


def site_problem(site: object) -> str | None:
    """Why a module's `SITE` cannot be crawled, in a few words, or None when it is usable.

    Checked: the type of every declaration, the name (a spider name: lower case, digits, underscores), the time
    zone (an IANA name), that there are sections (http(s) URLs on the allowed domains) and templates, that every
    CSS selector compiles and that the regexes are compiled patterns.
    """
    if not isinstance(site, Site):
        return f"SITE is a {type(site).__name__}, not a crawler.sites.base.Site"
    if not isinstance(site.name, str) or not _NAME.fullmatch(site.name):
        return f"SITE.name {site.name!r} is not a spider name (lower case letters, digits, _)"
    try:
        zoneinfo.ZoneInfo(site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return f"SITE.timezone {site.timezone!r} is not an IANA time zone"
    if not site.allowed_domains or isinstance(site.allowed_domains, str):
        return "SITE.allowed_domains must be a tuple of domains"
    if not site.sections or not all(isinstance(section, Section) for section in site.sections):
        return "SITE.sections must be a non-empty tuple of Section"
    for section in site.sections:
        parts = urlsplit(section.url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return f"section {section.name!r}: {section.url!r} is not an http(s) URL"
        if not any(host == domain or host.endswith("." + domain) for domain in site.allowed_domains):
            return f"section {section.name!r}: {host} is not in SITE.allowed_domains"
    listings = [site.listing, *(section.listing for section in site.sections if section.listing is not None)]
    for listing in listings:
        if not isinstance(listing, Listing):
            return f"a listing is a {type(listing).__name__}, not a Listing"
        if not isinstance(listing.statement_url, re.Pattern):
            return "Listing.statement_url must be a compiled regex (re.compile)"
        next_page = listing.next_page.rpartition("@")[0] if listing.next_page else None
        problem = _check_selectors("Listing", (listing.entry, listing.entry_block, next_page))
        if problem:
            return problem
    if not site.templates or not all(isinstance(template, Template) for template in site.templates):
        return "SITE.templates must be a non-empty tuple of Template"
    for template in site.templates:
        problem = _check_selectors(
            f"template {template.name!r}",
            (template.marker, template.body, template.breadcrumb, template.end, *template.title,
             *template.date, *template.remove),
        )  # fmt: skip
        if problem:
            return problem
    patterns = (
        *site.title_dates, *site.page_dates, *site.lead_dates, *site.closing_dates, *site.speaker_patterns,
        *site.boilerplate_paragraphs, *(pattern for pattern, _ in site.kind_rules),
    )  # fmt: skip
    if not all(isinstance(pattern, re.Pattern) for pattern in patterns):
        return "date, speaker, kind and boilerplate rules must be compiled regexes (re.compile)"
    return None


def _load_file(path: Path) -> Site | None:
    """The usable `SITE` of one external module, or None (the reason logged once and kept in SITE_PROBLEMS)."""
    module_name = f"statements_sites.{path.stem}_{zlib.crc32(str(path).encode()):08x}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError("not a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001  # any error of a user's module is reported, never raised
        sys.modules.pop(module_name, None)
        problem = f"{type(error).__name__}: {error}".splitlines()[0]
        return _skip(path, f"does not import ({problem})")
    site = getattr(module, "SITE", None)
    if site is None:
        return None  # a helper module shared by site modules
    problem = site_problem(site)
    if problem is not None:
        return _skip(path, problem)
    if site.name in BUILT_IN:
        return _skip(path, f"declares {site.name!r}, the name of a built-in site: refused (rename it)")
    if site.name in SITES:
        other = SITE_FILES.get(site.name)
        return _skip(path, f"declares {site.name!r}, already declared by {other}: refused")
    return site


def _skip(path: Path, reason: str) -> None:
    SITE_PROBLEMS[path] = reason
    logger.error("site module %s skipped: %s", path, reason)


def site_folders(value: str | list[str] | tuple[str, ...] | None) -> list[Path]:
    """The folders a `STATEMENTS_SITES` value names: a string split at `os.pathsep` (or a list), blanks dropped."""
    if not value:
        return []
    parts = value.split(os.pathsep) if isinstance(value, str) else list(value)
    return [Path(part).expanduser() for part in parts if part and part.strip()]


def load_site_folders(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Load the site modules of the folders `value` names (a `STATEMENTS_SITES` value) into `SITES`.

    Each folder is read once per process, its `*.py` files in name order (files starting with `_` are left out).
    A folder that does not exist, a module that fails to import, whose `SITE` is not usable (`site_problem`) or
    whose name is taken is skipped with one ERROR line naming its file.

    Returns:
        The names of the sites added by this call.
    """
    added: list[str] = []
    for folder in site_folders(value):
        resolved = folder.resolve()
        if resolved in _LOADED_FOLDERS:
            continue
        _LOADED_FOLDERS.add(resolved)
        if not resolved.is_dir():
            _skip(folder, "STATEMENTS_SITES names a folder that does not exist")
            continue
        for path in sorted(resolved.glob("*.py")):
            if path.name.startswith("_"):
                continue
            site = _load_file(path)
            if site is not None:
                SITES[site.name] = site
                SITE_FILES[site.name] = path
                added.append(site.name)
    return added


load_site_folders(os.environ.get("STATEMENTS_SITES"))


def get_site(name: str) -> Site:
    """Return the declarations of the site called `name` (a spider name such as "fmprc_en").

    Raises:
        UnknownSiteError: no site module declares `name`; the message lists the known names.
    """
    try:
        return SITES[name]
    except KeyError:
        raise UnknownSiteError(f"unknown site {name!r}; known sites: {', '.join(sorted(SITES))}") from None
