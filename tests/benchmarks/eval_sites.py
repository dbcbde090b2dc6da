"""Which site a labelled page comes from, for scoring by site: folds that keep every page of a
publisher on one side, so a rule or model is judged on sites it was not shaped on."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from urllib.parse import urlsplit


def _host_key(url: str) -> str | None:
    from crawler.normalize import site_of

    if not url or not urlsplit(url).hostname:
        return None
    return site_of(url)


def page_site(url: str, html: bytes) -> str:
    """The registered domain of a page: its URL's, else the one its own canonical link, og:url or
    <base> names, else the host most of its absolute links point to."""
    key = _host_key(url)
    if key:
        return key
    from crawler.extraction import Page

    tree = Page.from_bytes("", html).tree
    for xpath in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content", "//base/@href"):
        for value in tree.xpath(xpath):
            key = _host_key(value.strip())
            if key:
                return key
    hosts = Counter(k for k in (_host_key(h.strip()) for h in tree.xpath("//a/@href")) if k)
    return hosts.most_common(1)[0][0] if hosts else "unknown"


def fundus_publisher(case_id: str) -> str:
    """fundus-dev ids name the publisher before the date: one publisher's sites share templates."""
    return re.sub(r"_\d{4}_\d{2}_\d{2}$", "", case_id).split("-", 1)[-1]


def site_key(set_name: str, case: dict, html: bytes) -> str:
    if set_name == "fundus-dev":
        return "publisher:" + fundus_publisher(case["id"])
    return "site:" + page_site(case.get("url") or "", html)


def fold_of(key: str, folds: int) -> int:
    """A fixed fold per site (a hash, not an order): the same split in every run and on every machine."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % folds
