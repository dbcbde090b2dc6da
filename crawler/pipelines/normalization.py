"""Normalisation: each field in the form the archive stores."""

from __future__ import annotations

import re
import unicodedata

from itemadapter import ItemAdapter

from crawler.normalize import absolute_url, collapse_whitespace, normalize_body, parse_date, site_of
from crawler.pipelines import CountingPipeline

_BCP47 = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def normalize_language(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().replace("_", "-")
    primary, _, rest = value.partition("-")
    value = primary.lower() + ("-" + rest.upper() if len(rest) == 2 else ("-" + rest if rest else ""))
    return value if _BCP47.match(value) else None


class NormalizePipeline(CountingPipeline):
    """Whitespace, absolute URLs, ISO 8601 dates, BCP 47 language, the site's domain."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        before = dict(adapter.items())
        url = adapter["url"]
        # Stored text is NFC: a search typed with composed characters must find text the
        # page published decomposed (the extractor keeps the page's own form).
        adapter["title"] = unicodedata.normalize("NFC", collapse_whitespace(adapter.get("title")))
        adapter["body"] = unicodedata.normalize("NFC", normalize_body(adapter.get("body")))
        for name in ("source", "editor", "related_heading"):
            adapter[name] = collapse_whitespace(adapter.get(name)) or None
        adapter["authors"] = list(dict.fromkeys(a for a in map(collapse_whitespace, adapter.get("authors") or []) if a))
        for name in ("published", "updated"):
            value = adapter.get(name)
            # Already ISO from the extractor in the common case; re-parsing is a no-op then.
            adapter[name] = parse_date(value) if value else None
        canonical = absolute_url(url, adapter.get("canonical_url"))
        # A canonical link to another site names a different page, not this one's identity.
        adapter["canonical_url"] = canonical if canonical and site_of(canonical) == site_of(url) else None
        related = []
        for entry in adapter.get("related") or []:
            link = absolute_url(url, entry.get("url"))
            if link:
                related.append(
                    {
                        "title": collapse_whitespace(entry.get("title")) or None,
                        "url": link,
                        "published": parse_date(entry.get("published")) if entry.get("published") else None,
                    }
                )
        adapter["related"] = related
        adapter["language"] = normalize_language(adapter.get("language"))
        adapter["site"] = site_of(url)
        changed = sum(1 for key, value in adapter.items() if before.get(key) != value)
        self.stats.inc_value("normalize/items")
        if changed:
            self.stats.inc_value("normalize/fields_changed", changed)
        return item
