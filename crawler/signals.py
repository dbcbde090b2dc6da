"""The project's own signals (as scrapy.signals: connect with crawler.signals.connect)."""

# Sent by the crawl-run extension when the spider closes, before it writes the run's final
# counts: components that count work at the end (failed article pages) do it then.
run_closing = object()

# Sent by a spider for a fetched page it finds no article in (arguments: response, reason):
# the incremental middleware records an article page's reason as its failure's.
page_skipped = object()
