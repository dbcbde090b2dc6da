"""The project's middlewares, one a module. Downloader middlewares, in the order a request
meets them:

- incremental.IncrementalMiddleware (75, after the offsite filter, before robots.txt):
  article requests (`meta["article"]`) the archive already holds are dropped before they
  are sent, unless a revisit is due.
- capture.CaptureMiddleware (920, below the HTTP cache): every response received is
  written to WARC, before anything (decompression, redirects, retries) changes or
  consumes it.
- replay.ReplayMiddleware (950, last before the network): answers every request from
  recorded pages (REPLAY_DIR) or from WARC captures (REPLAY_WARC) instead of the network.

and one spider middleware:

- frontier.FrontierMiddleware (600): article links found on article pages are kept in the
  archive until they are archived, so a killed crawl's next run still fetches them.

Each raises NotConfigured when its setting is off and counts its work in the stats under
its own prefix (`incremental/`, `capture/`, `replay/`, `frontier/`).
"""
