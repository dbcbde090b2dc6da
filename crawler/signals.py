"""The project's own signals (as scrapy.signals: connect with crawler.signals.connect)."""

# Sent by the crawl-run extension when the spider closes, before it writes the run's final
# counts: components that count work at the end (failed article pages) do it then.
run_closing = object()
