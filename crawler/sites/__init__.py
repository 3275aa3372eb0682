"""Site modules: one per press office and language. `SITES` maps spider names to their declarations."""

from __future__ import annotations

from crawler.sites import fmprc_en, fmprc_zh
from crawler.sites.base import Site

SITES: dict[str, Site] = {site.name: site for site in (fmprc_en.SITE, fmprc_zh.SITE)}


class UnknownSiteError(KeyError):
    """Raised for a site name that no site module declares."""


def get_site(name: str) -> Site:
    """Return the declarations of the site called `name` (a spider name such as "fmprc_en").

    Raises:
        UnknownSiteError: no site module declares `name`; the message lists the known names.
    """
    try:
        return SITES[name]
    except KeyError:
        raise UnknownSiteError(f"unknown site {name!r}; known sites: {', '.join(sorted(SITES))}") from None
