"""Site profiles: for a site whose article templates are known, where each field of the record
is printed, read directly. The cascade (crawler/extraction/cascade.py) runs the page's profile
first; the fields a profile vouches for are not looked for elsewhere on the page.

    ecns.py       ECNS (ecns.cn), in its two template generations
    selectors.py  how a profile declares where its templates print each part

`PROFILES` lists them, most specific first: (name, matches(page), extract(page)). The name is
stored with each field a profile fills (`profile:<name>` in the record's `extraction`).
"""

from __future__ import annotations

from typing import Any, Callable

from crawler.extraction.page import Page
from crawler.extraction.profiles import ecns

PROFILES = ((ecns.NAME, ecns.matches, ecns.extract),)


def profile_for(page: Page) -> tuple[str, Callable[[Page], dict[str, Any]]] | None:
    """(name, extract) of the first profile that matches the page, or None."""
    for name, matches, extract in PROFILES:
        if matches(page):
            return name, extract
    return None
