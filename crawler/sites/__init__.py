"""Site modules: one per press office and language. `SITES` maps spider names to their declarations.

Every module of this package that defines `SITE` (a `crawler.sites.base.Site`) is a site: adding a press office
is adding its module (see README, "Adding a site"). Modules without `SITE` hold what several sites share
(`fmprc` for both China MFA sites) or the declarations themselves (`base`).
"""

from __future__ import annotations

import importlib
import pkgutil

from crawler.sites.base import Site


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


def get_site(name: str) -> Site:
    """Return the declarations of the site called `name` (a spider name such as "fmprc_en").

    Raises:
        UnknownSiteError: no site module declares `name`; the message lists the known names.
    """
    try:
        return SITES[name]
    except KeyError:
        raise UnknownSiteError(f"unknown site {name!r}; known sites: {', '.join(sorted(SITES))}") from None
